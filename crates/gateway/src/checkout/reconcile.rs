//! A session's status brought in line with its payments and its deadline,
//! by the rules in `tally`: run when a payment is seen, confirms or is
//! reorged away, and when the session's time may be up. The unallocated
//! record follows, and a merchant hears of new money that paid nothing.

use tender_protocol::{Currency, EventType, SessionId, SessionStatus};

use crate::checkout::deadline::{self, TimeUp};
use crate::checkout::lifecycle::{self, Change};
use crate::checkout::tally::{self, CONFIRMED, Counted, Tally, worth};
use crate::checkout::unallocated;
use crate::db::Conn;
use crate::refunds::offers;
use crate::state::AppState;

/// What brought the session up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// A new payment was seen on chain.
    Seen,
    /// A payment reached its confirmations.
    Confirmed,
    /// A reorg dropped payments.
    Dropped,
    /// Its `expiresAt` has passed on the gateway's clock.
    Deadline,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    status: String,
    block_timestamp: i64,
    amount_raw: String,
    credited_minor: Option<String>,
    off_quote: i64,
    covers_minor: String,
    quoted_raw: String,
}

/// Brings session `id` in line, in the caller's transaction.
pub async fn session(
    state: &AppState,
    conn: &mut Conn,
    id: &SessionId,
    trigger: Trigger,
) -> anyhow::Result<()> {
    // Its tally and status are read, then written: one change at a time.
    crate::db::lock_session(conn, id.as_str()).await?;
    let (status, due, currency, expires_at, tolerance): (String, String, String, i64, String) =
        sqlx::query_as(
            "SELECT status, amount_due_minor, currency, expires_at, tolerance_minor
             FROM sessions WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_one(&mut *conn)
        .await?;
    let current = SessionStatus::parse(&status)
        .ok_or_else(|| anyhow::anyhow!("stored session status {status:?}"))?;
    let due: u128 = due.parse()?;
    // What pays it: the amount due less the underpayment tolerance.
    let pays = due.saturating_sub(tolerance.parse()?);
    let currency: Currency = currency.parse()?;
    let payments = counted(conn, id, expires_at).await?;
    // A reorg can take a paid session back, unless its payout is on its way.
    let reopen = current == SessionStatus::Paid
        && trigger == Trigger::Dropped
        && !payout_started(conn, id).await?;
    let time_up = deadline::time_up(state, conn, expires_at).await?;
    let judged_as = if reopen { SessionStatus::Open } else { current };
    let verdict = tally::decide(judged_as, pays, Tally::of(&payments), time_up.is_up());
    let mut moved = false;
    if verdict.status != current {
        let change = Change {
            from: &[current],
            to: verdict.status,
            event: verdict.event,
            while_chains_behind: verdict.status == SessionStatus::Expired
                && time_up == TimeUp::WhileChainsBehind,
            expires_at: None,
        };
        moved = lifecycle::apply(state, conn, id, change).await?.is_some();
    }
    let parts = tally::unallocated(verdict.status, due, &payments);
    let grew = unallocated::replace(conn, id, currency, &parts).await?;
    // A status event carries the new amount; without one, say it.
    if grew && !moved {
        lifecycle::record(state, conn, id, EventType::SessionUnallocatedFunds).await?;
    }
    if grew {
        offers::offer(state, conn, id).await?;
    }
    Ok(())
}

/// The session's payments as the rules see them: on time or late by their
/// block, worth what they were credited at (or, still pending, their
/// quote's estimate).
async fn counted(conn: &mut Conn, id: &SessionId, expires_at: i64) -> anyhow::Result<Vec<Counted>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT p.id, p.status, p.block_timestamp, p.amount_raw, p.credited_minor, p.off_quote,
                q.covers_minor, q.amount_raw AS quoted_raw
         FROM payments p JOIN quotes q ON q.id = p.quote_id WHERE p.session_id = $1",
    )
    .bind(id.as_str())
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            let minor = match (&row.credited_minor, row.status.as_str()) {
                (Some(credited), CONFIRMED) => credited.parse()?,
                // Off its quote's terms, its worth is known when it confirms.
                _ if row.off_quote != 0 => 0,
                _ => worth(&row.amount_raw, &row.covers_minor, &row.quoted_raw)?,
            };
            Ok(Counted {
                id: row.id,
                status: row.status,
                late: row.block_timestamp > expires_at,
                minor,
                amount_raw: row.amount_raw.parse()?,
            })
        })
        .collect()
}

/// Whether the session's payout has been signed (it cannot be taken back).
async fn payout_started(conn: &mut Conn, session: &SessionId) -> anyhow::Result<bool> {
    let found: Option<(String,)> =
        sqlx::query_as("SELECT session_id FROM settlements WHERE session_id = $1")
            .bind(session.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    Ok(found.is_some())
}
