//! `tender-merchant`: the demo shop's companion server.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use tender_merchant::{Application, Config, RecordShipment};
use tender_protocol::{Secret, WebhookSecret};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;
use url::Url;

/// The merchant companion server: creates Checkout Sessions for the Pay
/// button, receives Tender webhooks and serves the storefront.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    /// Address to listen on.
    #[arg(long, env = "TENDER_MERCHANT_LISTEN", default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// Public base URL of the shop (success and cancel pages); defaults to http://{listen}.
    #[arg(long, env = "TENDER_MERCHANT_PUBLIC_URL")]
    public_url: Option<Url>,
    /// Base URL of the Tender gateway.
    #[arg(long, env = "TENDER_GATEWAY_URL")]
    gateway_url: Url,
    /// Secret API key (sk_test_...).
    #[arg(long, env = "TENDER_API_KEY", hide_env_values = true)]
    api_key: String,
    /// Webhook signing secret (whsec_...) of this shop's endpoint.
    #[arg(long, env = "TENDER_WEBHOOK_SECRET", hide_env_values = true)]
    webhook_secret: String,
    /// Database URL for orders.
    #[arg(
        long,
        env = "TENDER_MERCHANT_DATABASE_URL",
        default_value = "sqlite://tender-merchant.db"
    )]
    database_url: String,
    /// Directory of the built storefront to serve at /.
    #[arg(long, env = "TENDER_STOREFRONT_DIR")]
    storefront_dir: Option<PathBuf>,
    /// Seconds after checkout from which a polled, unconfirmed order is
    /// checked with the gateway itself (so a lost webhook never strands it).
    #[arg(long, env = "TENDER_MERCHANT_RECONCILE_AFTER", default_value_t = 60)]
    reconcile_after_seconds: u64,
    /// Checkouts one client address may start per minute.
    #[arg(
        long,
        env = "TENDER_MERCHANT_CHECKOUTS_PER_MINUTE",
        default_value_t = 20
    )]
    checkouts_per_minute: u32,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        // Colour on a terminal only: a log file would keep the escape codes.
        .with_ansi(std::io::stdout().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    let webhook_secret = WebhookSecret::parse(&cli.webhook_secret)
        .map_err(|e| anyhow::anyhow!("TENDER_WEBHOOK_SECRET: {e}"))?;
    let config = Config {
        listen: cli.listen,
        public_url: cli.public_url,
        gateway_url: cli.gateway_url,
        api_key: Secret::new(cli.api_key),
        webhook_secret,
        database_url: cli.database_url,
        storefront_dir: cli.storefront_dir,
        reconcile_after: Duration::from_secs(cli.reconcile_after_seconds),
        checkouts_per_minute: cli.checkouts_per_minute,
    };
    let app = Application::build(config, Arc::new(RecordShipment)).await?;
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("cannot install the SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        stop.cancel();
    });
    app.run(shutdown).await
}
