//! Time spent in the write sections that nothing else may overlap: on
//! SQLite the group's turn (one writer at a time in the whole database),
//! on PostgreSQL a batch's hold on a row every writer of the merchant
//! needs (its event counter), from the statement that takes it to the
//! commit. What limits how far more instances can add throughput
//! (Amdahl); logged when the gateway stops, for the benchmark.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

static SECTIONS: AtomicU64 = AtomicU64::new(0);
static NANOS: AtomicU64 = AtomicU64::new(0);

/// Counts one section that lasted `held`.
pub fn record(held: Duration) {
    SECTIONS.fetch_add(1, Ordering::Relaxed);
    NANOS.fetch_add(
        u64::try_from(held.as_nanos()).unwrap_or(u64::MAX),
        Ordering::Relaxed,
    );
}

/// Sections so far and their total time, in this process.
pub fn totals() -> (u64, Duration) {
    (
        SECTIONS.load(Ordering::Relaxed),
        Duration::from_nanos(NANOS.load(Ordering::Relaxed)),
    )
}
