//! A companion server on a loopback port with one order awaiting
//! payment, for the tests that talk to it over real HTTP.

use std::sync::Arc;

use tender_merchant::{Application, Config, RecordShipment};
use tender_protocol::{Secret, WebhookSecret};
use tokio_util::sync::CancellationToken;

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const ORDER: &str = "ord_test1";
pub const SESSION: &str = "cs_test1";

// Each test binary uses the parts it needs.
#[allow(dead_code)]
pub struct Shop {
    pub url: String,
    pub state: tender_merchant::AppState,
    pub http: reqwest::Client,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for Shop {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn shop_with_an_order() -> Shop {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        public_url: None,
        // Webhooks never call the gateway; nothing listens here.
        gateway_url: "http://127.0.0.1:9".parse().unwrap(),
        api_key: Secret::new("sk_test_unused".into()),
        webhook_secret: WebhookSecret::parse(SECRET).unwrap(),
        database_url: format!("sqlite://{}", dir.path().join("shop.db").display()),
        storefront_dir: None,
        reconcile_after: std::time::Duration::from_secs(60),
        checkouts_per_minute: 20,
    };
    let app = Application::build(config, Arc::new(RecordShipment))
        .await
        .unwrap();
    let url = format!("http://{}", app.local_addr());
    let state = app.state().clone();
    sqlx::query(
        "INSERT INTO orders (id, product_id, quantity, session_id, status, created_at, updated_at)
         VALUES ($1, 'prod_x', 1, $2, 'awaiting_payment', 0, 0)",
    )
    .bind(ORDER)
    .bind(SESSION)
    .execute(&state.db)
    .await
    .unwrap();
    let shutdown = CancellationToken::new();
    tokio::spawn(app.run(shutdown.clone()));
    Shop {
        url,
        state,
        http: reqwest::Client::new(),
        shutdown,
        _dir: dir,
    }
}
