//! The whole local stack in one test: two anvil chains with the test
//! stablecoin, the gateway and the merchant companion server, each on its
//! own port, talking HTTP to each other.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use alloy::primitives::Address as EvmAddress;
use tender_client::Client;
use tender_gateway::chain::devnet::{self, Devnet, STABLECOIN_DECIMALS};
use tender_gateway::chain::treasury::Treasury;
use tender_gateway::clock::Clock;
use tender_gateway::config::{DEV_MNEMONIC, NetworkConfig, RateConfig, TokenConfig, WebhookConfig};
use tender_launch::supervise::free_port;
use tender_protocol::{
    CreateProduct, CreateWebhookEndpoint, Currency, Money, ProductId, Secret, WebhookSecret,
};
use tokio_util::sync::CancellationToken;
use url::Url;

mod actions;

use crate::anvil::Anvil;
use crate::flaky::Flaky;
use crate::lagging::Lagging;
use crate::switch::Switch;

/// The product ids the demo storefront's page embeds.
pub const TSHIRT: &str = "prod_tshirt";
pub const MUG: &str = "prod_mug";
/// The test stablecoin's symbol.
pub const STABLECOIN: &str = "TUSD";
/// Network ids of the two local chains.
pub const CHAIN_A: &str = "anvil";
pub const CHAIN_B: &str = "anvil2";

/// What to start.
#[derive(Debug, Clone, Default)]
pub struct StackOptions {
    /// Seconds between anvil's blocks; `None` mines one block per transaction.
    pub block_time: Option<u64>,
    /// Serve the built cashier and storefront (browser tests).
    pub web: bool,
    /// Take rates from these HTTP price feeds instead of the static table
    /// (the median of those that answer; one is enough).
    pub price_feeds: Vec<Url>,
    /// Seconds a quote is locked (default 15 minutes).
    pub quote_ttl_seconds: Option<u64>,
    /// When the merchant server starts asking the gateway about an
    /// unconfirmed order (default 60 s).
    pub reconcile_after: Option<std::time::Duration>,
    /// Send the merchant's webhooks through a [`Switch`] (it starts down).
    pub webhook_switch: bool,
    /// Reach chain A's RPC through a [`Flaky`] hop.
    pub flaky_rpc: bool,
    /// Reach chain A's RPC through a [`Lagging`] hop.
    pub lagging_rpc: bool,
    /// Attempts at a payout before it fails (default 5).
    pub max_payout_attempts: Option<u32>,
    /// Seconds past expiry a session waits for a chain that is behind
    /// (default 1800).
    pub expiry_outage_allowance_seconds: Option<u64>,
    /// The gateway's abuse limits; `None` sets them far above anything a
    /// test does.
    pub limits: Option<tender_gateway::config::LimitsConfig>,
    /// The shop server's checkouts per address per minute; `None`: plenty.
    pub checkouts_per_minute: Option<u32>,
}

/// A running stack. Everything stops when it is dropped.
pub struct Stack {
    pub anvil: Anvil,
    pub anvil_b: Anvil,
    /// The test stablecoin on each chain.
    pub stablecoin: EvmAddress,
    pub stablecoin_b: EvmAddress,
    pub treasury: EvmAddress,
    pub gateway_url: String,
    /// The gateway's Prometheus listener (`/metrics`).
    pub metrics_url: String,
    pub merchant_url: String,
    pub api_key: String,
    /// The merchant's first dashboard user.
    pub dashboard_email: String,
    pub dashboard_password: String,
    pub webhook_secret: WebhookSecret,
    pub gateway: tender_gateway::AppState,
    pub merchant: tender_merchant::AppState,
    pub client: Client,
    /// The hop in front of the merchant's webhook endpoint, if asked for.
    pub switch: Option<Switch>,
    /// The hop in front of chain A's RPC, if asked for.
    pub flaky: Option<Flaky>,
    /// The lagging hop in front of chain A's RPC, if asked for.
    pub lagging: Option<Lagging>,
    gateway_config: tender_gateway::Config,
    /// The gateway's deadline clock, kept across restarts.
    pub clock: Clock,
    gateway_stop: CancellationToken,
    http: reqwest::Client,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
}

/// A chain's network config, its RPC (and WebSocket) reached at `via`
/// (`http://host:port`) if a hop stands in front of it.
fn network(
    id: &str,
    name: &str,
    anvil: &Anvil,
    via: Option<(String, String)>,
    stablecoin: EvmAddress,
) -> NetworkConfig {
    let ws = anvil.rpc_url.replace("http://", "ws://");
    let (rpc, ws) = via.unwrap_or_else(|| (anvil.rpc_url.clone(), ws));
    NetworkConfig {
        id: id.into(),
        name: name.into(),
        chain_id: anvil.chain_id,
        rpc_url: rpc.parse().expect("rpc url"),
        ws_url: Some(ws.parse().expect("ws url")),
        public_rpc_url: Some(anvil.rpc_url.parse().expect("rpc url")),
        confirmations: 2,
        native_token: "ETH".into(),
        tokens: vec![TokenConfig {
            symbol: STABLECOIN.into(),
            address: stablecoin.to_string().parse().expect("address"),
            decimals: STABLECOIN_DECIMALS,
        }],
    }
}

impl Stack {
    pub async fn start(options: StackOptions) -> Self {
        // The parts' warnings (RUST_LOG for more) go to the test's output,
        // shown when it fails, and are kept (`logs::lines`).
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .with_writer(|| crate::logs::Tee)
            .try_init();
        let dir = tempfile::tempdir().expect("temp dir");
        let anvil = Anvil::start(31337, options.block_time);
        let anvil_b = Anvil::start(31338, options.block_time);
        let treasury = Treasury::from_mnemonic(DEV_MNEMONIC)
            .expect("treasury")
            .address();
        let stablecoin = devnet::prepare(anvil.rpc_url.parse().expect("url"), treasury)
            .await
            .expect("ready chain A");
        let stablecoin_b = devnet::prepare(anvil_b.rpc_url.parse().expect("url"), treasury)
            .await
            .expect("ready chain B");
        let shutdown = CancellationToken::new();
        let flaky = match options.flaky_rpc {
            true => {
                Some(Flaky::start(anvil.rpc_url.trim_start_matches("http://").to_owned()).await)
            }
            false => None,
        };
        let lagging = match options.lagging_rpc {
            true => Some(Lagging::start(anvil.rpc_url.clone()).await),
            false => None,
        };
        // The flaky hop passes WebSocket too; the lagging one speaks HTTP.
        let via = match (&flaky, &lagging) {
            (Some(hop), _) => Some((format!("http://{}", hop.addr), format!("ws://{}", hop.addr))),
            (None, Some(hop)) => Some((hop.url.clone(), anvil.rpc_url.replace("http://", "ws://"))),
            (None, None) => None,
        };

        let rate = |token: &str, currency: Currency, price: &str| RateConfig {
            token: token.into(),
            currency,
            price: price.into(),
        };
        let mut gateway_config = tender_gateway::Config {
            listen: "127.0.0.1:0".parse().expect("address"),
            database_url: format!("sqlite://{}", dir.path().join("gateway.db").display()),
            mnemonic: Secret::new(DEV_MNEMONIC.to_owned()),
            dev: true,
            networks: vec![
                network(CHAIN_A, "Anvil (local)", &anvil, via, stablecoin),
                network(CHAIN_B, "Anvil 2 (local)", &anvil_b, None, stablecoin_b),
            ],
            // Dollars, and yen for shops that price in them.
            rates: vec![
                rate("ETH", Currency::Usd, "2000.00"),
                rate(STABLECOIN, Currency::Usd, "1"),
                rate("ETH", Currency::Jpy, "300000"),
                rate(STABLECOIN, Currency::Jpy, "150"),
            ],
            cashier_dir: options.web.then(crate::tools::cashier_dist),
            dashboard_dir: options.web.then(crate::tools::dashboard_dist),
            watcher_poll_ms: 100,
            webhooks: WebhookConfig {
                retry_schedule_ms: vec![0, 200, 500, 1000, 2000],
                request_timeout_ms: 5_000,
                poll_interval_ms: 100,
                lease_ms: 10_000,
                retention_days: 30,
            },
            limits: options.limits.clone().unwrap_or_else(plenty),
            ..tender_gateway::Config::default()
        };
        gateway_config.settlement.poll_ms = 200;
        // Stuck transactions are replaced, refused ones tried again, soon.
        gateway_config.settlement.replace_after_seconds = 2;
        gateway_config.settlement.retry_after_seconds = 1;
        if let Some(allowance) = options.expiry_outage_allowance_seconds {
            gateway_config.expiry_outage_allowance_seconds = allowance;
        }
        if let Some(attempts) = options.max_payout_attempts {
            gateway_config.settlement.max_payout_attempts = attempts;
        }
        if !options.price_feeds.is_empty() {
            gateway_config.pricing.feed_urls = options.price_feeds;
            gateway_config.pricing.refresh_seconds = 0;
            gateway_config.pricing.max_age_seconds = 1;
        }
        if let Some(ttl) = options.quote_ttl_seconds {
            gateway_config.quote_ttl_seconds = ttl;
        }
        let clock = Clock::default();
        let gateway_app = tender_gateway::Application::build(gateway_config.clone())
            .await
            .expect("gateway starts")
            .with_clock(clock.clone());
        // Restarts reuse the port, so URLs handed out stay valid.
        gateway_config.listen = gateway_app.local_addr();
        let gateway_url = format!("http://{}", gateway_app.local_addr());
        let metrics_url = format!("http://{}/metrics", gateway_app.metrics_addr());
        let gateway = gateway_app.state().clone();
        let gateway_stop = shutdown.child_token();
        tokio::spawn(gateway_app.run(gateway_stop.clone()));

        let merchant_account = tender_gateway::merchants::accounts::create(
            &gateway.db,
            "Tender Demo Shop",
            Some("demo@tender.local"),
        )
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

        let merchant_addr = SocketAddr::from(([127, 0, 0, 1], free_port().expect("a free port")));
        let merchant_url = format!("http://{merchant_addr}");
        let webhook_url = format!("{merchant_url}/webhooks/tender");
        let switch = match options.webhook_switch {
            true => Some(Switch::start(webhook_url.clone()).await),
            false => None,
        };
        let endpoint = client
            .create_webhook_endpoint(&CreateWebhookEndpoint {
                url: switch.as_ref().map_or(webhook_url, |s| s.url.clone()),
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
        let shop_key = client
            .create_api_key(&tender_protocol::CreateApiKey {
                scopes: Some(tender_client::SHOP_SERVER_SCOPES.to_vec()),
            })
            .await
            .expect("the shop server's key")
            .secret
            .expect("secret shown at creation");
        let merchant_config = tender_merchant::Config {
            listen: merchant_addr,
            public_url: None,
            gateway_url: gateway_url.parse().expect("url"),
            api_key: Secret::new(shop_key),
            webhook_secret: webhook_secret.clone(),
            database_url: format!("sqlite://{}", dir.path().join("merchant.db").display()),
            storefront_dir: options.web.then(crate::tools::storefront_dist),
            reconcile_after: options
                .reconcile_after
                .unwrap_or(std::time::Duration::from_secs(60)),
            checkouts_per_minute: options.checkouts_per_minute.unwrap_or(100_000),
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
            anvil_b,
            stablecoin,
            stablecoin_b,
            treasury,
            gateway_url,
            metrics_url,
            merchant_url,
            api_key: merchant_account.api_key,
            dashboard_email: merchant_account.dashboard_email,
            dashboard_password: merchant_account.dashboard_password,
            webhook_secret,
            gateway,
            merchant,
            client,
            switch,
            flaky,
            lagging,
            gateway_config,
            clock,
            gateway_stop,
            http: reqwest::Client::new(),
            shutdown,
            _dir: dir,
        }
    }

    /// Stops the gateway (API and workers); the chains and the merchant
    /// server go on.
    pub async fn stop_gateway(&mut self) {
        self.gateway_stop.cancel();
        // Wait until the port is free again.
        for _ in 0..100 {
            if TcpListener::bind(self.gateway_config.listen).is_ok() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the gateway did not stop");
    }

    /// Starts the gateway again on the same port and database.
    pub async fn start_gateway(&mut self) {
        let app = tender_gateway::Application::build(self.gateway_config.clone())
            .await
            .expect("gateway restarts")
            .with_clock(self.clock.clone());
        self.gateway = app.state().clone();
        self.metrics_url = format!("http://{}/metrics", app.metrics_addr());
        self.gateway_stop = self.shutdown.child_token();
        tokio::spawn(app.run(self.gateway_stop.clone()));
    }

    /// A dev-chain handle for chain A or B.
    pub fn devnet(&self, network: &str) -> Devnet {
        let anvil = if network == CHAIN_B {
            &self.anvil_b
        } else {
            &self.anvil
        };
        Devnet::connect(anvil.rpc_url.parse().expect("url"))
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Limits no test reaches unless it means to.
fn plenty() -> tender_gateway::config::LimitsConfig {
    tender_gateway::config::LimitsConfig {
        public_per_ip_per_minute: 1_000_000,
        public_burst_per_ip: 100_000,
        public_per_session_per_minute: 1_000_000,
        ..tender_gateway::config::LimitsConfig::default()
    }
}
