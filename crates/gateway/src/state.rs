//! What every handler and worker shares.

use std::sync::Arc;

use tokio::sync::Notify;
use url::Url;

use crate::config::Config;
use crate::db::Db;
use crate::deposits::DepositKeys;

/// The gateway's shared state; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    /// Base URL shoppers and merchants reach this gateway at.
    pub public_url: Arc<Url>,
    pub deposits: Arc<DepositKeys>,
    /// Client for webhook deliveries (no redirects, bounded timeout).
    pub http: reqwest::Client,
    /// Wakes the dispatcher when the outbox gains rows.
    pub outbox: Arc<Notify>,
}
