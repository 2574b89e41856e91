//! A session's life, and the only code that writes the `sessions` table.
//! A session is created `open`; [`apply`] is the one way its status
//! changes. Each change is conditional on the status the caller expects (so
//! a race can never move a session backwards) and records its event, with
//! the event's outbox rows, in the caller's transaction. The status → event
//! mapping is `EventType::for_status`, beside the types.

use tender_protocol::{
    EventType, LineItem, MerchantId, Metadata, Money, PaymentLinkId, Session, SessionId,
    SessionStatus,
};

use crate::checkout::view;
use crate::clock::{from_seconds, now_seconds};
use crate::db::{Batch, Conn};
use crate::state::AppState;
use crate::webhooks::outbox;

/// What a new session is made of, checked by the API.
pub struct NewSession<'a> {
    pub merchant: &'a MerchantId,
    pub line_items: &'a [LineItem],
    pub amount_due: Money,
    pub metadata: &'a Metadata,
    pub success_url: &'a str,
    pub cancel_url: Option<&'a str>,
    /// Unix seconds.
    pub expires_at: i64,
    /// How short a payment may fall and still pay it (minor units).
    pub tolerance_minor: u128,
    /// The payment link it is made for.
    pub payment_link: Option<&'a PaymentLinkId>,
    /// The language its cashier speaks.
    pub locale: Option<&'a str>,
}

/// Inserts an `open` session and records `session.created`. The answer is
/// built here, not read back: nothing about a new session is in another
/// table yet.
pub fn create(
    state: &AppState,
    batch: &mut Batch,
    new: &NewSession<'_>,
) -> anyhow::Result<Session> {
    let id = SessionId::generate();
    let now = now_seconds();
    let currency = new.amount_due.currency();
    let session = Session {
        payment_url: view::payment_url(state, &id),
        id,
        status: SessionStatus::Open,
        line_items: new.line_items.to_vec(),
        amount_due: new.amount_due,
        amount_received: Money::from_minor(0, currency),
        amount_excess: None,
        amount_short: None,
        amount_unallocated: None,
        expired_while_chains_behind: false,
        metadata: new.metadata.clone(),
        success_url: new.success_url.to_owned(),
        cancel_url: new.cancel_url.map(str::to_owned),
        expires_at: from_seconds(new.expires_at),
        created_at: from_seconds(now),
        payments: Vec::new(),
        unknown_tokens: Vec::new(),
        settlement: None,
        payment_link: new.payment_link.cloned(),
        locale: new.locale.map(str::to_owned),
    };
    let line_items = serde_json::to_string(new.line_items)?;
    let metadata = serde_json::to_string(new.metadata)?;
    batch
        .add(
            "INSERT INTO sessions (id, merchant_id, status, line_items, amount_due_minor, currency,
                                   metadata, success_url, cancel_url, expires_at, created_at, updated_at,
                                   tolerance_minor, payment_link_id, locale)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14)",
        )
        .bind(session.id.as_str())
        .bind(new.merchant.as_str())
        .bind(SessionStatus::Open.as_str())
        .bind(line_items)
        .bind(new.amount_due.minor().to_string())
        .bind(currency.code())
        .bind(metadata)
        .bind(new.success_url)
        .bind(new.cancel_url)
        .bind(new.expires_at)
        .bind(now)
        .bind(new.tolerance_minor.to_string())
        .bind(new.payment_link.map(PaymentLinkId::as_str))
        .bind(new.locale);
    outbox::record_in(batch, new.merchant, EventType::SessionCreated, &session)?;
    Ok(session)
}

/// A move of a session's status.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    /// The statuses the caller expects the session to be in.
    pub from: &'a [SessionStatus],
    pub to: SessionStatus,
    /// The event recorded; `EventType::for_status(to)` unless the move is
    /// special (`session.paid_late`).
    pub event: Option<EventType>,
    /// An expiry the outage allowance forced, before every chain was
    /// scanned past the session's `expiresAt`.
    pub while_chains_behind: bool,
    /// A new `expiresAt` (a merchant expiring a session early: money mined
    /// after this moment is late).
    pub expires_at: Option<i64>,
}

impl<'a> Change<'a> {
    /// A plain move, recording the event of `to`.
    pub fn to(from: &'a [SessionStatus], to: SessionStatus) -> Self {
        Self {
            from,
            to,
            event: EventType::for_status(to),
            while_chains_behind: false,
            expires_at: None,
        }
    }
}

/// Moves session `id` from one of `from` to `to`, recording the event of
/// `to` (if it has one) in the caller's transaction. See [`apply`].
pub async fn transition(
    state: &AppState,
    conn: &mut Conn,
    id: &SessionId,
    from: &[SessionStatus],
    to: SessionStatus,
) -> anyhow::Result<Option<Session>> {
    apply(state, conn, id, Change::to(from, to)).await
}

/// The one way a session's status changes: to `change.to` if it is in one
/// of `change.from`, recording `change.event` in the caller's transaction.
/// Answers the session as it now is, or `None` if it was not in any of
/// `from` (someone else moved it first). Call `state.announce()` after the
/// commit.
pub async fn apply(
    state: &AppState,
    conn: &mut Conn,
    id: &SessionId,
    change: Change<'_>,
) -> anyhow::Result<Option<Session>> {
    anyhow::ensure!(
        !change.from.is_empty(),
        "a transition needs a status to move from"
    );
    let expected: Vec<String> = (0..change.from.len())
        .map(|i| format!("${}", i + 6))
        .collect();
    let sql = format!(
        "UPDATE sessions SET status = $1, updated_at = $2, expired_while_chains_behind = $3,
                             expires_at = COALESCE($4, expires_at)
         WHERE id = $5 AND status IN ({})",
        expected.join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(change.to.as_str())
        .bind(now_seconds())
        .bind(i64::from(change.while_chains_behind))
        .bind(change.expires_at)
        .bind(id.as_str());
    for status in change.from {
        query = query.bind(status.as_str());
    }
    if query.execute(&mut *conn).await?.rows_affected() == 0 {
        return Ok(None);
    }
    let loaded = view::reload(state, conn, id).await?;
    tracing::info!(session = %id, to = change.to.as_str(), "session status");
    if let Some(kind) = change.event {
        outbox::record(conn, &loaded.merchant_id, kind, &loaded.session).await?;
    }
    Ok(Some(loaded.session))
}

/// Records `kind` about a session without moving it
/// (`session.payment_reorged`, `session.unallocated_funds`), in the
/// caller's transaction.
pub async fn record(
    state: &AppState,
    conn: &mut Conn,
    id: &SessionId,
    kind: EventType,
) -> anyhow::Result<()> {
    let loaded = view::reload(state, conn, id).await?;
    outbox::record(conn, &loaded.merchant_id, kind, &loaded.session).await?;
    Ok(())
}
