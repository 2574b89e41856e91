//! Time spent in the write sections that nothing else may overlap: on
//! SQLite the group's turn (one writer at a time in the whole database),
//! on PostgreSQL a batch's hold on a row every writer of the merchant
//! needs (its event counter), from the statement that takes it to the
//! commit. What limits how far more instances can add throughput
//! (Amdahl): served as two counters on `/metrics` (their rate over time is
//! the share of it a section was held) and logged when the gateway stops.

use std::sync::LazyLock;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::registry::Registry;

static SECTIONS: LazyLock<Counter> = LazyLock::new(Counter::default);
static SECONDS: LazyLock<Counter<f64, AtomicU64>> = LazyLock::new(Counter::default);

/// Counts one section that lasted `held`.
pub fn record(held: Duration) {
    SECTIONS.inc();
    SECONDS.inc_by(held.as_secs_f64());
}

/// Sections so far and their total time, in this process.
pub fn totals() -> (u64, Duration) {
    (SECTIONS.get(), Duration::from_secs_f64(SECONDS.get()))
}

/// Serves the counters in `registry`.
pub fn register(registry: &mut Registry) {
    registry.register(
        "serialized_write_sections",
        "Write sections held that no other writer may overlap (SQLite: the group's turn; PostgreSQL: a merchant's event counter, lock to commit)",
        SECTIONS.clone(),
    );
    registry.register(
        "serialized_write_seconds",
        "Time those sections were held",
        SECONDS.clone(),
    );
}
