//! What every handler and worker shares.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::chain::deposits::DepositKeys;
use crate::chain::rpc::Chain;
use crate::chain::treasury::Treasury;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::limits::Limits;
use crate::merchants::key_cache::{KeyCache, SettingsCache};
use crate::ops::figures::Metrics;
use crate::rates::Rates;
use crate::vault::Vault;

/// The gateway's shared state: one allocation, so the clone every request
/// and task takes is one counter, not one per field (twenty, on a core the
/// others share; it showed in the create-session profile).
#[derive(Clone)]
pub struct AppState(Arc<State>);

impl AppState {
    pub fn new(state: State) -> Self {
        Self(Arc::new(state))
    }

    /// The state to change, while nothing shares it yet.
    pub fn unshared(&mut self) -> Option<&mut State> {
        Arc::get_mut(&mut self.0)
    }
}

impl std::ops::Deref for AppState {
    type Target = State;
    fn deref(&self) -> &State {
        &self.0
    }
}

/// What [`AppState`] holds.
pub struct State {
    pub db: Db,
    pub config: Arc<Config>,
    /// Base URL shoppers and merchants reach this gateway at.
    pub public_url: Arc<Url>,
    pub deposits: Arc<DepositKeys>,
    pub treasury: Arc<Treasury>,
    pub rates: Arc<Rates>,
    /// Each configured network's RPC, by network id.
    pub chains: Arc<HashMap<String, Arc<Chain>>>,
    /// Client for webhook deliveries (no redirects, no proxy, bounded
    /// timeout, names resolved only to addresses `webhooks::targets` admits).
    pub http: reqwest::Client,
    /// Wakes the dispatcher when the outbox gains rows.
    pub outbox: Arc<Notify>,
    /// Bumped whenever a session may look different to a shopper (a status
    /// change, a new block's confirmations); live cashier pages listen.
    pub changes: Arc<watch::Sender<u64>>,
    /// The clock deadlines are measured on.
    pub clock: Clock,
    /// Seals and opens secrets stored in the database.
    pub vault: Arc<Vault>,
    /// The public API's rate limits and stream counts.
    pub limits: Arc<Limits>,
    /// Bumped whenever this process changes a webhook endpoint or its
    /// secrets, so cached copies are dropped.
    pub endpoints_changed: Arc<AtomicU64>,
    /// Recently authenticated API keys.
    pub keys: Arc<KeyCache>,
    /// Merchants' settings recently read.
    pub settings: Arc<SettingsCache>,
    /// Prometheus figures.
    pub metrics: Arc<Metrics>,
    /// Cancelled when the gateway stops: endless answers (the live
    /// streams) end, so a shutdown is not held up by open pages.
    pub stopping: CancellationToken,
}

impl AppState {
    /// Says that committed changes may concern the outbox and shoppers.
    pub fn announce(&self) {
        self.outbox.notify_one();
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }
}
