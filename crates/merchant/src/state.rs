//! What every handler shares.

use std::net::IpAddr;
use std::sync::Arc;

use governor::DefaultKeyedRateLimiter;
use url::Url;

use crate::config::Config;
use crate::db::Db;
use crate::fulfilment::Fulfilment;

/// The companion server's shared state; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    /// Base URL shoppers reach this shop at.
    pub public_url: Arc<Url>,
    pub gateway: tender_client::Client,
    pub fulfilment: Arc<dyn Fulfilment>,
    /// Checkouts per client address (the `governor` crate's GCRA).
    pub checkouts: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}
