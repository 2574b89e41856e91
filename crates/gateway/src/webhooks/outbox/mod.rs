//! The webhook outbox, and the only code that writes `events`, `deliveries`
//! and `delivery_attempts`. An event and its delivery rows are written in
//! the caller's transaction, the same one that changes the session, so a
//! state change is never without its webhook and vice versa. The
//! dispatcher leases due rows here and records each attempt's outcome here.

mod record;

pub use record::{
    queue, queue_to_enabled, record, record_destination_change, record_in, record_made_up,
    record_refund, record_test,
};

use crate::db::{self, Backend, Batch, Conn, Db};

/// Enabled endpoints with a delivery due at `$1` that no one holds: one
/// index probe per endpoint (a backlog of an endpoint that is paused is
/// never read through).
pub const DUE_ENDPOINTS: &str = "SELECT w.id FROM webhook_endpoints w
     WHERE w.deleted_at IS NULL AND w.disabled_at IS NULL
       AND EXISTS (SELECT 1 FROM deliveries d
                   WHERE d.endpoint_id = w.id AND d.status = 'pending'
                     AND d.next_attempt_ms <= $1 AND d.locked_until_ms <= $1)";

/// The endpoints with deliveries due at `now` that no one holds.
pub async fn due_endpoints(db: &Db, now: i64) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as(DUE_ENDPOINTS)
        .bind(now)
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Leases up to `$4` of an endpoint's due deliveries until `$1`, as
/// `backend` has it (PostgreSQL skips rows another instance is claiming).
/// The limit is `$4 + 0`, an expression: SQLite's planner reads a bare
/// bound `LIMIT` and so prepared the statement anew at every run (3 % of
/// the gateway's time under a create flood); the plan is the same.
pub fn claim_sql(backend: Backend) -> &'static str {
    macro_rules! claim {
        ($skip_locked:literal) => {
            concat!(
                "UPDATE deliveries SET locked_until_ms = $1
         WHERE id IN (SELECT id FROM deliveries
                      WHERE endpoint_id = $2 AND status = 'pending'
                        AND next_attempt_ms <= $3 AND locked_until_ms <= $3
                      ORDER BY next_attempt_ms LIMIT $4 + 0",
                $skip_locked,
                ")
         RETURNING id, attempts, event_id,
                   (SELECT payload FROM events WHERE events.id = deliveries.event_id)"
            )
        };
    }
    match backend {
        Backend::Sqlite => claim!(""),
        Backend::Postgres => claim!(" FOR UPDATE SKIP LOCKED"),
    }
}

/// A leased delivery, with what sending it takes.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    /// Attempts made before this one.
    pub attempts: i64,
    pub event_id: String,
    pub payload: String,
}

/// Leases up to `limit` due deliveries of one endpoint until `until`, with
/// their payloads: one statement, however many. On PostgreSQL rows
/// another instance is claiming are skipped, not waited for.
pub async fn claim(
    db: &Db,
    endpoint: &str,
    limit: usize,
    now: i64,
    until: i64,
) -> Result<Vec<Claimed>, sqlx::Error> {
    // A write, with the others of the moment (on SQLite a write beside
    // the group's would wait on SQLite's lock, and make it wait).
    let mut lease = Batch::new();
    lease
        .add(claim_sql(Backend::of(db)))
        .bind(until)
        .bind(endpoint)
        .bind(now)
        .bind(limit as i64);
    let rows = db::write_returning(db, lease).await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in rows {
        let Ok([id, attempts, event_id, payload]) = <[db::Value; 4]>::try_from(row) else {
            return Err(malformed());
        };
        let (Some(id), Some(attempts), Some(event_id)) =
            (id.int(), attempts.int(), event_id.into_text())
        else {
            return Err(malformed());
        };
        // An event is kept while a delivery of it is pending (retention);
        // one without is left to its lease.
        if let Some(payload) = payload.into_text() {
            claimed.push(Claimed {
                id,
                attempts,
                event_id,
                payload,
            });
        }
    }
    Ok(claimed)
}

fn malformed() -> sqlx::Error {
    sqlx::Error::Protocol("a claimed delivery read back malformed".into())
}

/// How one attempt went, as stored.
#[derive(Debug, Clone)]
pub struct AttemptRecord<'a> {
    pub delivery_id: i64,
    /// Attempts made, this one included.
    pub attempts: i64,
    /// `pending` (to retry at `next_attempt_ms`), `succeeded` or `failed`.
    pub status: &'static str,
    pub next_attempt_ms: i64,
    pub status_code: Option<u16>,
    pub error: Option<&'a str>,
    /// When it was sent, unix milliseconds.
    pub attempted_ms: i64,
    pub latency_ms: i64,
}

/// Records an attempt and what comes next, in the caller's transaction.
/// Only a pending delivery moves on: one cancelled (its endpoint deleted)
/// while this attempt was in flight stays cancelled.
pub fn finish(batch: &mut Batch, attempt: &AttemptRecord<'_>) {
    batch
        .add(
            "UPDATE deliveries SET status = $1, attempts = $2, next_attempt_ms = $3,
                    locked_until_ms = 0, last_status_code = $4, last_error = $5
             WHERE id = $6 AND status = 'pending'",
        )
        .bind(attempt.status)
        .bind(attempt.attempts)
        .bind(attempt.next_attempt_ms)
        .bind(attempt.status_code.map(i64::from))
        .bind(attempt.error)
        .bind(attempt.delivery_id);
    batch
        .add(
            "INSERT INTO delivery_attempts (delivery_id, attempted_ms, status_code, latency_ms, error)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(attempt.delivery_id)
        .bind(attempt.attempted_ms)
        .bind(attempt.status_code.map(i64::from))
        .bind(attempt.latency_ms)
        .bind(attempt.error);
}

/// Ends every pending delivery to `endpoint` with `status` (`cancelled`
/// when the merchant deletes it, `failed` when it answers 410 Gone).
pub async fn end_pending(
    conn: &mut Conn,
    endpoint: &str,
    status: &'static str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE deliveries SET status = $1 WHERE endpoint_id = $2 AND status = 'pending'")
        .bind(status)
        .bind(endpoint)
        .execute(conn)
        .await?;
    Ok(())
}

/// Up to `$2` events older than `$1` with nothing left to deliver.
pub const PAST_RETENTION: &str = "SELECT e.id FROM events e
     WHERE e.created_at < $1
       AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
     ORDER BY e.created_at LIMIT $2";

/// Deletes up to `batch` events created before `before` (unix seconds)
/// that have no delivery still pending, with their deliveries and
/// attempts, in one write. Answers how many events went.
pub async fn prune(db: &Db, before: i64, batch: usize) -> anyhow::Result<usize> {
    let old: Vec<(String,)> = sqlx::query_as(PAST_RETENTION)
        .bind(before)
        .bind(batch as i64)
        .fetch_all(db)
        .await?;
    if old.is_empty() {
        return Ok(0);
    }
    let list = crate::db::placeholders(old.len());
    let mut tx = crate::db::begin_write(db).await?;
    let mut deleted = 0;
    for statement in [
        format!(
            "DELETE FROM delivery_attempts WHERE delivery_id IN
             (SELECT id FROM deliveries WHERE event_id IN ({list}) AND status <> 'pending')"
        ),
        format!("DELETE FROM deliveries WHERE event_id IN ({list}) AND status <> 'pending'"),
        // An event that gained a pending delivery meanwhile (a redelivery)
        // keeps it and stays.
        format!(
            "DELETE FROM events WHERE id IN ({list})
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id)"
        ),
    ] {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(statement));
        for (id,) in &old {
            query = query.bind(id);
        }
        deleted = query.execute(&mut *tx).await?.rows_affected();
    }
    tx.commit().await?;
    Ok(deleted as usize)
}
