//! The companion server's settings (flags or `TENDER_MERCHANT_*` environment
//! variables; see `main.rs`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tender_protocol::{Secret, WebhookSecret};
use url::Url;

/// Everything the companion server needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Public base URL of this shop (success and cancel pages); defaults to
    /// `http://{listen}`.
    pub public_url: Option<Url>,
    /// The Tender gateway's base URL.
    pub gateway_url: Url,
    /// Secret API key (`sk_test_...`).
    pub api_key: Secret<String>,
    /// Webhook signing secret (`whsec_...`) of this shop's endpoint.
    pub webhook_secret: WebhookSecret,
    /// `sqlite://orders.db` (created if missing).
    pub database_url: String,
    /// The built storefront (trunk's output), served at `/`.
    pub storefront_dir: Option<PathBuf>,
    /// An order still unconfirmed this long after checkout is checked with
    /// the gateway when the success page polls it.
    pub reconcile_after: Duration,
    /// Checkouts one client address may start per minute (each makes an
    /// order and a Checkout Session); more are answered 429.
    pub checkouts_per_minute: u32,
}
