//! The whole local stack in one test: anvil, the gateway and the merchant
//! companion server, each on its own port, talking HTTP to each other.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use tender_client::Client;
use tender_gateway::config::{DEV_MNEMONIC, NetworkConfig, RateConfig, WebhookConfig};
use tender_protocol::{
    CheckoutResponse, CreateProduct, CreateWebhookEndpoint, Currency, Money, Order, OrderId,
    ProductId, PublicSession, Quote, Secret, SessionId, WebhookSecret,
};
use tokio_util::sync::CancellationToken;

use crate::anvil::Anvil;

/// The product ids the demo storefront's page embeds.
pub const TSHIRT: &str = "prod_tshirt";
pub const MUG: &str = "prod_mug";

/// What to start.
#[derive(Debug, Clone, Default)]
pub struct StackOptions {
    /// Seconds between anvil's blocks; `None` mines one block per transaction.
    pub block_time: Option<u64>,
    /// Serve the built cashier and storefront (browser tests).
    pub web: bool,
}

/// A running stack. Everything stops when it is dropped.
pub struct Stack {
    pub anvil: Anvil,
    pub gateway_url: String,
    pub merchant_url: String,
    pub api_key: String,
    pub webhook_secret: WebhookSecret,
    pub gateway: tender_gateway::AppState,
    pub merchant: tender_merchant::AppState,
    pub client: Client,
    http: reqwest::Client,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
}

fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("address")
}

impl Stack {
    pub async fn start(options: StackOptions) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let anvil = Anvil::start(31337, options.block_time);
        let shutdown = CancellationToken::new();

        let gateway_config = tender_gateway::Config {
            listen: "127.0.0.1:0".parse().expect("address"),
            database_url: format!("sqlite://{}", dir.path().join("gateway.db").display()),
            mnemonic: Secret::new(DEV_MNEMONIC.to_owned()),
            dev: true,
            networks: vec![NetworkConfig {
                id: "anvil".into(),
                name: "Anvil (local)".into(),
                chain_id: anvil.chain_id,
                rpc_url: anvil.rpc_url.parse().expect("rpc url"),
                confirmations: 2,
                native_token: "ETH".into(),
            }],
            rates: vec![RateConfig {
                token: "ETH".into(),
                currency: Currency::Usd,
                price: "2000.00".into(),
            }],
            cashier_dir: options.web.then(crate::tools::cashier_dist),
            watcher_poll_ms: 100,
            webhooks: WebhookConfig {
                retry_schedule_ms: vec![0, 200, 500, 1000, 2000],
                request_timeout_ms: 5_000,
                poll_interval_ms: 100,
                lease_ms: 10_000,
            },
            ..tender_gateway::Config::default()
        };
        let gateway_app = tender_gateway::Application::build(gateway_config)
            .await
            .expect("gateway starts");
        let gateway_url = format!("http://{}", gateway_app.local_addr());
        let gateway = gateway_app.state().clone();
        tokio::spawn(gateway_app.run(shutdown.clone()));

        let merchant_account = tender_gateway::merchants::create(&gateway.db, "Tender Demo Shop")
            .await
            .expect("create merchant");
        let client = Client::new(&gateway_url, &merchant_account.api_key).expect("client");
        for (id, name, price) in [
            (TSHIRT, "Tender T-shirt", "25.00"),
            (MUG, "Tender Mug", "12.00"),
        ] {
            client
                .create_product(&CreateProduct {
                    id: Some(ProductId::parse(id).expect("id")),
                    name: name.into(),
                    description: None,
                    image_url: None,
                    price: Money::parse(price, Currency::Usd).expect("price"),
                })
                .await
                .expect("create product");
        }

        let merchant_addr = free_port();
        let merchant_url = format!("http://{merchant_addr}");
        let endpoint = client
            .create_webhook_endpoint(&CreateWebhookEndpoint {
                url: format!("{merchant_url}/webhooks/tender"),
                enabled_events: vec!["*".into()],
            })
            .await
            .expect("create webhook endpoint");
        let webhook_secret = WebhookSecret::parse(
            endpoint
                .secret
                .as_deref()
                .expect("secret shown at creation"),
        )
        .expect("whsec secret");
        let merchant_config = tender_merchant::Config {
            listen: merchant_addr,
            public_url: None,
            gateway_url: gateway_url.parse().expect("url"),
            api_key: Secret::new(merchant_account.api_key.clone()),
            webhook_secret: webhook_secret.clone(),
            database_url: format!("sqlite://{}", dir.path().join("merchant.db").display()),
            storefront_dir: options.web.then(crate::tools::storefront_dist),
        };
        let merchant_app = tender_merchant::Application::build(
            merchant_config,
            Arc::new(tender_merchant::RecordShipment),
        )
        .await
        .expect("merchant server starts");
        let merchant = merchant_app.state().clone();
        tokio::spawn(merchant_app.run(shutdown.clone()));

        Self {
            anvil,
            gateway_url,
            merchant_url,
            api_key: merchant_account.api_key,
            webhook_secret,
            gateway,
            merchant,
            client,
            http: reqwest::Client::new(),
            shutdown,
            _dir: dir,
        }
    }

    /// Starts a checkout the way the Pay button does.
    pub async fn checkout(&self, product: &str) -> CheckoutResponse {
        let response = self
            .http
            .post(format!("{}/api/checkout", self.merchant_url))
            .json(&serde_json::json!({"productId": product, "quantity": 1}))
            .send()
            .await
            .expect("merchant reachable");
        assert!(
            response.status().is_success(),
            "checkout failed: {}",
            response.status()
        );
        response.json().await.expect("checkout answer")
    }

    /// The session id at the end of a payment URL.
    pub fn session_of(payment_url: &str) -> SessionId {
        SessionId::parse(payment_url.rsplit('/').next().expect("path")).expect("session id")
    }

    /// The cashier's view of a session.
    pub async fn public_session(&self, id: &SessionId) -> PublicSession {
        self.http
            .get(format!("{}/v1/pay/{id}", self.gateway_url))
            .send()
            .await
            .expect("gateway reachable")
            .json()
            .await
            .expect("public session")
    }

    /// Asks for a quote in native ETH, as the cashier does.
    pub async fn quote_eth(&self, id: &SessionId) -> Quote {
        let response = self
            .http
            .post(format!("{}/v1/pay/{id}/quote", self.gateway_url))
            .json(&serde_json::json!({"network": "anvil", "token": "ETH"}))
            .send()
            .await
            .expect("gateway reachable");
        assert_eq!(response.status(), 201, "quote failed");
        response.json().await.expect("quote")
    }

    /// The merchant's view of an order, as the success page polls it.
    pub async fn order(&self, id: &OrderId) -> Order {
        self.http
            .get(format!("{}/api/orders/{id}", self.merchant_url))
            .send()
            .await
            .expect("merchant reachable")
            .json()
            .await
            .expect("order")
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
