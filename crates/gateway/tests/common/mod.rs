//! Shared harness of the gateway's integration tests: a real gateway on port
//! 0 with a fresh SQLite file, a real HTTP client, and real axum receivers.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Value, json};
use tender_gateway::config::{DEV_MNEMONIC, WebhookConfig};
use tender_gateway::{Application, Config, merchants};
use tender_protocol::Secret;
use tokio_util::sync::CancellationToken;

pub struct Gateway {
    pub url: String,
    /// Base of the metrics listener.
    pub metrics_url: String,
    pub key: String,
    pub http: reqwest::Client,
    pub state: tender_gateway::AppState,
    shutdown: CancellationToken,
    running: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A fast retry schedule for tests: attempts at 0, 200, 400, 600 ms.
pub fn fast_webhooks() -> WebhookConfig {
    WebhookConfig {
        retry_schedule_ms: vec![0, 200, 200, 200],
        request_timeout_ms: 2_000,
        poll_interval_ms: 50,
        lease_ms: 5_000,
        retention_days: 30,
    }
}

pub async fn gateway() -> Gateway {
    gateway_with(|_| {}).await
}

/// A fresh database for one test: a SQLite file in `dir`, or, when
/// `TENDER_TEST_POSTGRES` names a PostgreSQL server (`cargo xtask test`
/// sets it for a second run), a new database there.
pub async fn database_url(dir: &std::path::Path) -> String {
    let Ok(admin) = std::env::var("TENDER_TEST_POSTGRES") else {
        return format!("sqlite://{}", dir.join("gateway.db").display());
    };
    use sqlx::{Connection, Executor};
    let name = format!(
        "t_{}",
        tender_protocol::ids::random_token(16).to_lowercase()
    );
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("the test PostgreSQL server answers");
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("create a test database");
    let (base, _) = admin.rsplit_once('/').expect("a database URL");
    format!("{base}/{name}")
}

pub async fn gateway_with(adjust: impl FnOnce(&mut Config)) -> Gateway {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: database_url(dir.path()).await,
        mnemonic: Secret::new(DEV_MNEMONIC.to_owned()),
        dev: true,
        webhooks: fast_webhooks(),
        limits: tender_gateway::config::LimitsConfig {
            public_per_ip_per_minute: 1_000_000,
            public_burst_per_ip: 100_000,
            public_per_session_per_minute: 1_000_000,
            ..Default::default()
        },
        ..Config::default()
    };
    adjust(&mut config);
    let (url, metrics_url, state, shutdown, running) = launch(config).await;
    let key = merchants::accounts::create(&state.db, "Test Shop", None)
        .await
        .unwrap()
        .api_key;
    Gateway {
        url,
        metrics_url,
        key,
        http: reqwest::Client::new(),
        state,
        shutdown,
        running: Some(running),
        _dir: dir,
    }
}

type Launched = (
    String,
    String,
    tender_gateway::AppState,
    CancellationToken,
    tokio::task::JoinHandle<anyhow::Result<()>>,
);

async fn launch(config: Config) -> Launched {
    let app = Application::build(config).await.unwrap();
    let url = format!("http://{}", app.local_addr());
    let metrics_url = format!("http://{}", app.metrics_addr());
    let state = app.state().clone();
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(app.run(shutdown.clone()));
    (url, metrics_url, state, shutdown, running)
}

impl Gateway {
    /// Stops this gateway and starts it again on the same database, with
    /// its config changed by `adjust` (a new port).
    pub async fn restart(&mut self, adjust: impl FnOnce(&mut Config)) {
        self.shutdown.cancel();
        if let Some(running) = self.running.take() {
            running.await.unwrap().unwrap();
        }
        let mut config = (*self.state.config).clone();
        config.listen = "127.0.0.1:0".parse().unwrap();
        adjust(&mut config);
        let (url, metrics_url, state, shutdown, running) = launch(config).await;
        (self.url, self.metrics_url, self.state, self.shutdown) =
            (url, metrics_url, state, shutdown);
        self.running = Some(running);
    }
}

impl Gateway {
    /// A second gateway instance on this one's database, with the same
    /// merchant key (its own port and workers).
    pub async fn sibling(&self) -> Gateway {
        let mut config = (*self.state.config).clone();
        config.listen = "127.0.0.1:0".parse().unwrap();
        let (url, metrics_url, state, shutdown, running) = launch(config).await;
        Gateway {
            url,
            metrics_url,
            key: self.key.clone(),
            http: reqwest::Client::new(),
            state,
            shutdown,
            running: Some(running),
            _dir: tempfile::tempdir().unwrap(),
        }
    }
}

/// A minimal valid session body.
pub fn session_body() -> Value {
    json!({
        "productData": {"name": "Sticker", "price": {"amount": "3.50", "currency": "USD"}},
        "quantity": 2,
        "metadata": {"order_id": "ord_secret_42"},
        "successUrl": "https://shop.test/success",
    })
}

/// `base` with `patch`'s keys set (or removed where `null`).
pub fn patched(mut base: Value, patch: Value) -> Value {
    for (k, v) in patch.as_object().unwrap() {
        if v.is_null() {
            base.as_object_mut().unwrap().remove(k);
        } else {
            base[k] = v.clone();
        }
    }
    base
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Gateway {
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.unwrap();
        let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(
            self.http
                .post(format!("{}{path}", self.url))
                .bearer_auth(&self.key)
                .json(&body),
        )
        .await
    }

    pub async fn post_with_key(&self, path: &str, idempotency_key: &str, body: Value) -> Answer {
        self.send(
            self.http
                .post(format!("{}{path}", self.url))
                .bearer_auth(&self.key)
                .header("Idempotency-Key", idempotency_key)
                .json(&body),
        )
        .await
    }

    /// A second merchant on this gateway; answers its API key.
    pub async fn another_merchant(&self, name: &str) -> String {
        merchants::accounts::create(&self.state.db, name, None)
            .await
            .unwrap()
            .api_key
    }

    pub async fn post_as(&self, key: &str, path: &str, body: Value) -> Answer {
        self.send(
            self.http
                .post(format!("{}{path}", self.url))
                .bearer_auth(key)
                .json(&body),
        )
        .await
    }

    pub async fn get_as(&self, key: &str, path: &str) -> Answer {
        self.send(
            self.http
                .get(format!("{}{path}", self.url))
                .bearer_auth(key),
        )
        .await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.send(
            self.http
                .put(format!("{}{path}", self.url))
                .bearer_auth(&self.key)
                .json(&body),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(
            self.http
                .get(format!("{}{path}", self.url))
                .bearer_auth(&self.key),
        )
        .await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(
            self.http
                .delete(format!("{}{path}", self.url))
                .bearer_auth(&self.key),
        )
        .await
    }

    pub async fn create_session(&self) -> Value {
        let answer = self.post("/v1/checkout/sessions", session_body()).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        answer.body
    }

    /// Adds a webhook endpoint; answers (id, secret).
    pub async fn endpoint(&self, url: &str, events: &[&str]) -> (String, String) {
        let answer = self
            .post(
                "/v1/webhook-endpoints",
                json!({"url": url, "enabledEvents": events}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        (
            answer.body["id"].as_str().unwrap().to_owned(),
            answer.body["secret"].as_str().unwrap().to_owned(),
        )
    }
}

/// One request a receiver got, and when.
#[derive(Debug, Clone)]
pub struct Received {
    pub at: Instant,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A real HTTP receiver whose answers a test scripts: the n-th request gets
/// `answer(n)` (0-based), after `delay`.
pub struct Receiver {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub async fn start(answer: impl Fn(usize) -> StatusCode + Send + Sync + 'static) -> Self {
        Self::start_slow(Duration::ZERO, answer).await
    }

    pub async fn start_slow(
        delay: Duration,
        answer: impl Fn(usize) -> StatusCode + Send + Sync + 'static,
    ) -> Self {
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let log = received.clone();
        let answer = Arc::new(answer);
        let app = Router::new().route(
            "/",
            post(move |headers: HeaderMap, body: Bytes| {
                let log = log.clone();
                let answer = answer.clone();
                async move {
                    let n = {
                        let mut log = log.lock().unwrap();
                        log.push(Received {
                            at: Instant::now(),
                            headers,
                            body,
                        });
                        log.len() - 1
                    };
                    tokio::time::sleep(delay).await;
                    answer(n).into_response()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, received }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }
}

/// Polls until `check` holds; panics naming `what` after `timeout`.
pub async fn until(what: &str, timeout: Duration, mut check: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// An address nothing listens on: connections are refused at once.
pub fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    drop(listener);
    url
}

/// Adds a network nobody answers on (the API never needs the chain) that
/// takes ETH at 2000 USD.
pub fn offline_eth(config: &mut Config) {
    config.networks.push(tender_gateway::config::NetworkConfig {
        id: "local".into(),
        name: "Local".into(),
        chain_id: 31337,
        rpc_url: dead_url().parse().unwrap(),
        ws_url: None,
        public_rpc_url: None,
        confirmations: 1,
        native_token: "ETH".into(),
        tokens: Vec::new(),
    });
    config.rates.push(tender_gateway::config::RateConfig {
        token: "ETH".into(),
        currency: tender_protocol::Currency::Usd,
        price: "2000".into(),
    });
}
