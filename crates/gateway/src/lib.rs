//! The Tender payment platform: merchant API, hosted cashier, chain watcher
//! and webhook delivery, as one axum service. The modules are the domain's
//! folders (`checkout`, `cashier`, `webhooks`, `chain`, `settlement`,
//! `merchants`) and the plumbing they share (`db`, `config`, `error`,
//! `pagination`, `validate`, `rates`, `clock`, `leader`, `state`, `openapi`).

pub mod cashier;
pub mod chain;
pub mod checkout;
pub mod clock;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod error;
pub mod leader;
pub mod limits;
pub mod merchants;
pub mod openapi;
pub mod ops;
pub mod pagination;
pub mod plans;
pub mod public;
pub mod rates;
pub mod refunds;
pub mod settlement;
pub mod state;
pub mod validate;
pub mod vault;
pub mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tower_http::trace::TraceLayer;
use url::Url;

pub use config::Config;
pub use error::MAX_BODY_BYTES;
pub use state::AppState;

/// All routes of the gateway: the merchant API behind its pipeline (a key
/// checked once, then idempotency), and the public cashier.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(merchants::pipeline(merchant_api(), &state))
        .merge(dashboard::router(merchant_api(), &state))
        .merge(public::router(&state))
        .merge(cashier::page::router(&state))
        .merge(openapi::router(&state))
        .merge(ops::health::router())
        .route("/health", axum::routing::get(|| async { "ok" }))
        .fallback(|| async { error::ApiError::NotFound("route") })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::metrics::time_requests,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The merchant API's routes, without their pipeline: behind a key under
/// `/v1`, and behind the dashboard's sign-in under `/dashboard/api/v1`.
fn merchant_api() -> Router<AppState> {
    Router::new()
        .merge(checkout::router())
        .merge(merchants::router())
        .merge(webhooks::router())
        .merge(settlement::router())
        .merge(refunds::api::router())
}

/// A gateway with its listener bound, ready to run.
pub struct Application {
    listener: TcpListener,
    metrics_listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Validates the config, opens the database and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        config.validate()?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let addr = listener.local_addr()?;
        let public_url = match &config.public_url {
            Some(url) => url.clone(),
            None => Url::parse(&format!("http://{addr}")).context("public URL")?,
        };
        let db = db::connect(&config.database_url).await?;
        let vault = vault::Vault::from_config(&config)?;
        let config_limits = config.limits.clone();
        webhooks::secrets::reseal_all(&db, &vault).await?;
        let deposits = chain::deposits::DepositKeys::from_mnemonic(config.mnemonic.expose())?;
        let treasury = chain::treasury::Treasury::from_mnemonic(config.mnemonic.expose())?;
        let rates = rates::Rates::from_config(&config);
        let chains = config
            .networks
            .iter()
            .map(|n| (n.id.clone(), Arc::new(chain::rpc::Chain::new(n.clone()))))
            .collect();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.webhooks.request_timeout_ms))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(webhooks::targets::GuardedResolver::new(
                config.target_policy(),
            ))
            .user_agent(concat!("Tender-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("HTTP client")?;
        let state = AppState::new(state::State {
            db,
            config: Arc::new(config),
            public_url: Arc::new(public_url),
            deposits: Arc::new(deposits),
            treasury: Arc::new(treasury),
            rates: Arc::new(rates),
            chains: Arc::new(chains),
            http,
            outbox: Arc::new(Notify::new()),
            changes: Arc::new(tokio::sync::watch::channel(0).0),
            clock: clock::Clock::default(),
            vault: Arc::new(vault),
            limits: Arc::new(limits::Limits::new(&config_limits)),
            endpoints_changed: Arc::default(),
            keys: Arc::default(),
            settings: Arc::default(),
            metrics: Arc::default(),
            stopping: CancellationToken::new(),
        });
        let metrics_listener = TcpListener::bind(state.config.ops.metrics_listen)
            .await
            .with_context(|| {
                format!(
                    "cannot listen for metrics on {}",
                    state.config.ops.metrics_listen
                )
            })?;
        Ok(Self {
            listener,
            metrics_listener,
            state,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Where `/metrics` is served.
    pub fn metrics_addr(&self) -> SocketAddr {
        self.metrics_listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Measures deadlines on `clock` (tests share one across restarts, to
    /// move time forward).
    pub fn with_clock(mut self, clock: clock::Clock) -> Self {
        self.state
            .unshared()
            .expect("the state is not shared before the gateway runs")
            .clock = clock;
        self
    }

    /// Serves the API and runs the watchers and the dispatcher until
    /// `shutdown` is cancelled.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let mut workers = tokio::task::JoinSet::new();
        for chain in self.state.chains.values() {
            let watcher = chain::watcher::Watcher::new(self.state.clone(), chain.clone());
            workers.spawn(watcher.run(shutdown.clone()));
        }
        let settler = settlement::settler::Settler::new(self.state.clone());
        workers.spawn(settler.run(shutdown.clone()));
        let dispatcher = webhooks::dispatcher::Dispatcher::new(self.state.clone());
        workers.spawn(dispatcher.run(shutdown.clone()));
        let expiry = checkout::expiry::Expiry::new(self.state.clone());
        workers.spawn(expiry.run(shutdown.clone()));
        let retention = webhooks::retention::Retention::new(self.state.clone());
        workers.spawn(retention.run(shutdown.clone()));
        workers.spawn(db::checkpoints(self.state.db.clone(), shutdown.clone()));
        tracing::info!(
            addr = %self.local_addr(),
            url = %self.state.public_url,
            treasury = %self.state.treasury.address(),
            "gateway listening"
        );
        workers.spawn(forget_idle_clients(
            self.state.limits.clone(),
            shutdown.clone(),
        ));
        tracing::info!(addr = %self.metrics_addr(), "metrics listening");
        let metrics = ops::metrics::router(self.state.clone());
        let stop = shutdown.clone();
        workers.spawn(async move {
            let served = axum::serve(self.metrics_listener, metrics)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await;
            if let Err(err) = served {
                tracing::error!(error = %err, "metrics listener failed");
            }
        });
        // Live streams end as the shutdown begins.
        let stopping = self.state.stopping.clone();
        let stop = shutdown.clone();
        workers.spawn(async move {
            stop.cancelled().await;
            stopping.cancel();
        });
        let app = router(self.state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let stop = shutdown.clone();
        axum::serve(self.listener, app)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await
            .context("server error")?;
        shutdown.cancel();
        while workers.join_next().await.is_some() {}
        Ok(())
    }
}

/// Every minute, drops the rate limiters' state of clients that have
/// recovered fully, so memory follows current traffic only.
async fn forget_idle_clients(limits: Arc<limits::Limits>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = tick.tick() => limits.forget_idle(),
            () = shutdown.cancelled() => return,
        }
    }
}
