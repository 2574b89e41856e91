//! Payments into deposit addresses, and what they do to their session's
//! status. Every status change and its event commit in one transaction.

use crate::db::Conn;
use alloy::primitives::U256;
use tender_protocol::{EventType, SessionId, SessionStatus};

use crate::clock::now_seconds;
use crate::state::AppState;
use crate::{events, sessions};

/// A transfer the watcher found on chain.
#[derive(Debug, Clone)]
pub struct Seen {
    pub session_id: String,
    pub quote_id: String,
    pub chain_id: i64,
    pub tx_hash: String,
    pub log_index: i64,
    pub token: String,
    pub amount_raw: String,
    pub from: String,
    pub block_number: i64,
    pub block_hash: String,
    pub gas_fee_raw: String,
}

/// Records a transfer as a pending payment, once (a re-scan of the same block
/// changes nothing), and updates its session. Returns whether it was new.
pub async fn record(state: &AppState, conn: &mut Conn, seen: &Seen) -> anyhow::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO payments (session_id, quote_id, chain_id, tx_hash, log_index, token, amount_raw,
                               from_address, block_number, block_hash, gas_fee_raw, status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending', $12)
         ON CONFLICT (chain_id, tx_hash, log_index) DO NOTHING",
    )
    .bind(&seen.session_id)
    .bind(&seen.quote_id)
    .bind(seen.chain_id)
    .bind(&seen.tx_hash)
    .bind(seen.log_index)
    .bind(&seen.token)
    .bind(&seen.amount_raw)
    .bind(&seen.from)
    .bind(seen.block_number)
    .bind(&seen.block_hash)
    .bind(&seen.gas_fee_raw)
    .bind(now_seconds())
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if inserted {
        tracing::info!(session = %seen.session_id, tx = %seen.tx_hash, amount = %seen.amount_raw, "payment seen");
        reconcile(state, conn, &seen.session_id, Trigger::Seen).await?;
    }
    Ok(inserted)
}

/// The payments of a session, for deciding its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    /// Confirmed payments, in the session's fiat minor units (rounded down).
    pub confirmed_minor: u128,
    pub any_pending: bool,
}

/// What a payment is worth in the session's currency (minor units, rounded
/// down): paying a quote's full amount covers exactly what the quote covers.
pub fn worth(paid_raw: &str, covers_minor: &str, quoted_raw: &str) -> anyhow::Result<u128> {
    let paid: U256 = paid_raw.parse()?;
    let covers: U256 = covers_minor.parse()?;
    let quoted: U256 = quoted_raw.parse::<U256>()?.max(U256::from(1));
    // 256-bit: a large token amount times a large token price overflows u128.
    Ok(u128::try_from(paid * covers / quoted).unwrap_or(u128::MAX))
}

/// The status a payable session should have given its payments.
pub fn next_status(amount_due_minor: u128, tally: Tally) -> SessionStatus {
    if tally.confirmed_minor >= amount_due_minor {
        SessionStatus::Paid
    } else if tally.any_pending {
        SessionStatus::Processing
    } else if tally.confirmed_minor > 0 {
        SessionStatus::Underpaid
    } else {
        SessionStatus::Open
    }
}

fn event_for(status: SessionStatus) -> Option<EventType> {
    match status {
        SessionStatus::Processing => Some(EventType::SessionProcessing),
        SessionStatus::Underpaid => Some(EventType::SessionUnderpaid),
        SessionStatus::Paid => Some(EventType::SessionPaid),
        SessionStatus::Completed => Some(EventType::SessionCompleted),
        SessionStatus::Expired => Some(EventType::SessionExpired),
        SessionStatus::Open => None,
    }
}

/// What made a session's payments change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// A new payment was seen on chain.
    Seen,
    /// A payment reached its confirmations.
    Confirmed,
    /// A reorg dropped payments.
    Dropped,
}

/// Brings a session's status in line with its payments, recording the event
/// of the change, in the caller's transaction.
///
/// A payment confirming into an expired session leaves it expired and emits
/// `session.paid_late`. A session past its expiry whose in-flight payments
/// confirm short of the total expires then.
pub async fn reconcile(
    state: &AppState,
    conn: &mut Conn,
    session_id: &str,
    trigger: Trigger,
) -> anyhow::Result<()> {
    let (status, due, expires_at): (String, String, i64) =
        sqlx::query_as("SELECT status, amount_due_minor, expires_at FROM sessions WHERE id = $1")
            .bind(session_id)
            .fetch_one(&mut *conn)
            .await?;
    let current = SessionStatus::parse(&status)
        .ok_or_else(|| anyhow::anyhow!("stored session status {status:?}"))?;
    if current == SessionStatus::Expired && trigger == Trigger::Confirmed {
        return emit(state, conn, session_id, EventType::SessionPaidLate).await;
    }
    if !current.is_payable() {
        return Ok(());
    }
    let due: u128 = due.parse()?;
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT p.amount_raw, p.status, q.covers_minor, q.amount_raw FROM payments p
         JOIN quotes q ON q.id = p.quote_id WHERE p.session_id = $1",
    )
    .bind(session_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut tally = Tally::default();
    for (paid, status, covers, quoted) in rows {
        if status == "confirmed" {
            tally.confirmed_minor += worth(&paid, &covers, &quoted)?;
        } else {
            tally.any_pending = true;
        }
    }
    let mut next = next_status(due, tally);
    let late = now_seconds() >= expires_at;
    if late && matches!(next, SessionStatus::Open | SessionStatus::Underpaid) {
        next = SessionStatus::Expired;
    }
    if next == current {
        return Ok(());
    }
    sqlx::query("UPDATE sessions SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(next.as_str())
        .bind(now_seconds())
        .bind(session_id)
        .execute(&mut *conn)
        .await?;
    tracing::info!(
        session = session_id,
        from = current.as_str(),
        to = next.as_str(),
        "session status"
    );
    match event_for(next) {
        Some(kind) => emit(state, conn, session_id, kind).await,
        None => Ok(()),
    }
}

/// Records `kind` with the session as it now stands.
async fn emit(
    state: &AppState,
    conn: &mut Conn,
    session_id: &str,
    kind: EventType,
) -> anyhow::Result<()> {
    let id = SessionId::parse(session_id)?;
    let loaded = sessions::load(state, conn, &id)
        .await
        .map_err(|e| anyhow::anyhow!("reloading session {session_id}: {e}"))?;
    events::record(conn, &loaded.merchant_id, kind, &loaded.session).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payment_is_worth_its_share_of_what_its_quote_covers() {
        assert_eq!(
            worth("12500000000000000", "2500", "12500000000000000").unwrap(),
            2500
        );
        assert_eq!(
            worth("6250000000000000", "2500", "12500000000000000").unwrap(),
            1250
        );
        // 2,000 tokens of 18 decimals priced at 1,000 tokens: no overflow.
        let big = "1000000000000000000000";
        assert_eq!(
            worth("2000000000000000000000", big, big).unwrap(),
            2 * 10u128.pow(21)
        );
    }

    #[test]
    fn status_follows_confirmed_total_and_pending_payments() {
        let t = |confirmed_minor, any_pending| Tally {
            confirmed_minor,
            any_pending,
        };
        assert_eq!(next_status(100, t(0, false)), SessionStatus::Open);
        assert_eq!(next_status(100, t(0, true)), SessionStatus::Processing);
        assert_eq!(next_status(100, t(40, false)), SessionStatus::Underpaid);
        assert_eq!(next_status(100, t(40, true)), SessionStatus::Processing);
        assert_eq!(next_status(100, t(100, false)), SessionStatus::Paid);
        assert_eq!(next_status(100, t(150, true)), SessionStatus::Paid);
    }
}
