//! Time. Bookkeeping stamps (`created_at`, `updated_at`, delivery times)
//! are wall-clock; the gateway's deadlines (when a session expires, how long
//! a quote is locked, when an expiry is due) read [`Clock`], which tests can
//! move forward. Whether a payment was on time is the chain's business: its
//! block's timestamp decides (see `checkout::deadline`).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use tender_protocol::Timestamp;

/// Now, in unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Now, in unix seconds.
pub fn now_seconds() -> i64 {
    now_ms().div_euclid(1000)
}

/// A stored unix time (seconds) as a timestamp.
pub fn from_seconds(seconds: i64) -> Timestamp {
    Timestamp::from_unix(seconds)
}

/// The gateway's clock for deadlines: the system's, plus an offset that
/// only tests change (to reach an expiry without waiting for it).
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset: Arc<AtomicI64>,
}

impl Clock {
    /// Now, in unix seconds.
    pub fn now(&self) -> i64 {
        now_seconds() + self.offset.load(Ordering::Relaxed)
    }

    /// Moves this clock (and every clone of it) forward by `seconds`.
    pub fn advance(&self, seconds: i64) {
        self.offset.fetch_add(seconds, Ordering::Relaxed);
    }
}
