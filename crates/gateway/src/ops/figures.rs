//! The gateway's Prometheus figures (the registry and its series) and its
//! last readiness answer, kept in the shared state; `metrics` and `health`
//! fill and serve them.

use std::sync::atomic::AtomicU64;
use std::time::Instant;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use serde::Serialize;

pub type Labels = Vec<(String, String)>;
type Latency = Family<Labels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// The gateway's figures.
pub struct Metrics {
    pub(crate) registry: Registry,
    pub(crate) http: Latency,
    pub(crate) head_lag: Family<Labels, Gauge>,
    pub(crate) treasury: Family<Labels, Gauge<f64, AtomicU64>>,
    pub(crate) treasury_short: Family<Labels, Gauge<f64, AtomicU64>>,
    pub(crate) open_quotes: Gauge,
    pub(crate) outbox_backlog: Gauge,
    pub(crate) oldest_due: Gauge,
    pub(crate) deliveries: Family<Labels, Gauge>,
    pub(crate) payouts_pending: Family<Labels, Gauge>,
    pub(crate) sweeps_pending: Family<Labels, Gauge>,
    /// Quotes refused for want of a rate, by reason.
    pub rates_refused: Family<Labels, Counter>,
    /// The last `/readyz` answer and when it was made.
    pub(crate) last_readiness: tokio::sync::Mutex<Option<(Instant, Readiness)>>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("tender");
        let http = Latency::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route, method and status class",
            http.clone(),
        );
        let m = Self {
            registry,
            http,
            head_lag: Family::default(),
            treasury: Family::default(),
            treasury_short: Family::default(),
            open_quotes: Gauge::default(),
            outbox_backlog: Gauge::default(),
            oldest_due: Gauge::default(),
            deliveries: Family::default(),
            payouts_pending: Family::default(),
            sweeps_pending: Family::default(),
            rates_refused: Family::default(),
            last_readiness: tokio::sync::Mutex::default(),
        };
        let mut m = m;
        let r = &mut m.registry;
        crate::db::serial::register(r);
        r.register(
            "watcher_head_lag_blocks",
            "Blocks between a network's head and what its watcher scanned",
            m.head_lag.clone(),
        );
        r.register(
            "treasury_balance",
            "The treasury's balance per network and token, in whole tokens",
            m.treasury.clone(),
        );
        r.register(
            "treasury_shortfall",
            "What the treasury lacks to send the payouts, refunds and sweep gas waiting on a network, per token, in whole tokens (0: covered)",
            m.treasury_short.clone(),
        );
        r.register(
            "open_quotes",
            "Quotes whose lock has not ended",
            m.open_quotes.clone(),
        );
        r.register(
            "outbox_backlog",
            "Webhook deliveries waiting to be sent",
            m.outbox_backlog.clone(),
        );
        r.register(
            "outbox_oldest_due_seconds",
            "How long the oldest due delivery has been due",
            m.oldest_due.clone(),
        );
        r.register(
            "deliveries",
            "Webhook deliveries kept, by status",
            m.deliveries.clone(),
        );
        r.register(
            "payouts_pending",
            "Payout transactions sent and not yet confirmed, per network",
            m.payouts_pending.clone(),
        );
        r.register(
            "sweeps_pending",
            "Sweeps of deposit addresses under way, per network",
            m.sweeps_pending.clone(),
        );
        r.register(
            "quotes_refused_for_rates",
            "Quotes refused because no trustworthy rate was known, by reason",
            m.rates_refused.clone(),
        );
        m
    }
}

pub fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// One part of readiness.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    /// Whether `ready` waits for it. A short treasury is told but does not
    /// take the gateway out of a load balancer: it can still take payments.
    pub required: bool,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Readiness {
    pub ready: bool,
    pub checks: Vec<Check>,
}
