//! The queries background workers (and a few searches) run over tables
//! that grow without bound, named, so `tests/query_plans.rs` can check that each one reads
//! through an index rather than the whole table (`EXPLAIN QUERY PLAN`).

use crate::chain::sweeps;
use crate::checkout::{expiry, overview, sessions};
use crate::merchants::idempotency;
use crate::settlement::settler;
use crate::webhooks::outbox;

/// (what runs it, the SQL as SQLite gets it).
pub fn worker_queries() -> Vec<(&'static str, String)> {
    vec![
        (
            "dispatcher: due endpoints",
            outbox::DUE_ENDPOINTS.to_owned(),
        ),
        (
            "dispatcher: claim",
            outbox::claim_sql(crate::db::Backend::Sqlite).to_owned(),
        ),
        ("expiry: sessions past expiresAt", expiry::DUE.to_owned()),
        (
            "retention: events past retention",
            outbox::PAST_RETENTION.to_owned(),
        ),
        ("idempotency: prune", idempotency::PRUNE.to_owned()),
        ("sweeps: open sweeps", sweeps::OPEN.to_owned()),
        ("sweeps: payments to sweep", sweeps::UNSWEPT.to_owned()),
        (
            "settler: paid sessions unsettled",
            settler::PAID_UNSETTLED.to_owned(),
        ),
        (
            "sessions list: paid by a transaction",
            format!(
                "SELECT id FROM sessions WHERE merchant_id = $1 AND {}",
                sessions::PAID_BY_TX.replace('?', "$2")
            ),
        ),
        ("overview: paid volume", overview::PAID_SINCE.to_owned()),
        (
            "overview: endpoint health",
            overview::ENDPOINT_HEALTH.to_owned(),
        ),
        (
            "webhook endpoints: delivery counts",
            crate::webhooks::health::counts_sql(2),
        ),
        (
            "overview: sessions by status",
            overview::BY_STATUS.to_owned(),
        ),
    ]
}
