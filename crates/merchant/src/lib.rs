//! The merchant companion server: the small backend a shop runs beside its
//! pages to create Checkout Sessions and receive Tender webhooks.

pub mod config;
pub mod db;
pub mod error;
pub mod fulfilment;
pub mod locales;
pub mod orders;
pub mod products;
pub mod state;
pub mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;
use url::Url;

pub use config::Config;
pub use fulfilment::{Fulfilment, RecordShipment};
pub use state::AppState;

/// All routes, with the storefront (if configured) as the fallback.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(orders::router())
        .merge(webhooks::router())
        .merge(products::router())
        .merge(locales::router())
        .route("/health", axum::routing::get(|| async { "ok" }));
    let api = match &state.config.storefront_dir {
        Some(dir) => api.fallback_service(ServeDir::new(dir)),
        None => api,
    };
    api.layer(TraceLayer::new_for_http()).with_state(state)
}

/// A companion server with its listener bound.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Opens the database, builds the gateway client and binds the listener.
    pub async fn build(config: Config, fulfilment: Arc<dyn Fulfilment>) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let addr = listener.local_addr()?;
        let public_url = match &config.public_url {
            Some(url) => url.clone(),
            None => Url::parse(&format!("http://{addr}"))?,
        };
        let db = db::connect(&config.database_url).await?;
        let gateway =
            tender_client::Client::new(config.gateway_url.as_str(), config.api_key.expose())
                .context("gateway client")?;
        let per_minute = std::num::NonZeroU32::new(config.checkouts_per_minute)
            .context("checkouts_per_minute must be at least 1")?;
        let checkouts = Arc::new(governor::DefaultKeyedRateLimiter::keyed(
            governor::Quota::per_minute(per_minute),
        ));
        let state = AppState {
            db,
            checkouts,
            config: Arc::new(config),
            public_url: Arc::new(public_url),
            gateway,
            fulfilment,
        };
        Ok(Self { listener, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` is cancelled.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        tracing::info!(addr = %self.local_addr(), "merchant server listening");
        let app = router(self.state).into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await
            .context("server error")
    }
}
