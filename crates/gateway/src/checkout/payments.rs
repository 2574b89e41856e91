//! Payments into deposit addresses, and the only code that writes the
//! `payments` table: a transfer the watcher sees is recorded `pending`, is
//! `confirmed` at the network's confirmations, or is dropped by a reorg.
//! Each change brings its session's status in line (through
//! `lifecycle::transition`) in the same transaction.

use tender_protocol::{Currency, EventType, Money, Session, SessionId};

use crate::checkout::lifecycle;
use crate::checkout::reconcile::{self, Trigger};
use crate::checkout::tally::{CONFIRMED, PENDING, REORGED, value_at, worth};
use crate::clock::now_seconds;
use crate::db::{self, Conn, Db};
use crate::state::AppState;

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
    /// The block's timestamp (unix seconds): it decides on time or late.
    pub block_timestamp: i64,
    /// Not the network or token its quote asked for: valued at the rate
    /// when it confirms.
    pub off_quote: bool,
    pub gas_fee_raw: String,
}

/// Records a transfer as a pending payment, once (a re-scan of the same block
/// changes nothing; a reorged payment mined again is pending again, and new
/// to the sweeper: a round that took it before the reorg may have swept
/// nothing of it on the chain that stands), and updates its session.
/// Returns whether it was new.
pub async fn record(state: &AppState, conn: &mut Conn, seen: &Seen) -> anyhow::Result<bool> {
    let session = SessionId::parse(&seen.session_id)?;
    let inserted = sqlx::query(
        "INSERT INTO payments (session_id, quote_id, chain_id, tx_hash, log_index, token, amount_raw,
                               from_address, block_number, block_hash, gas_fee_raw, status, created_at,
                               block_timestamp, off_quote)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $15, $16)
         ON CONFLICT (chain_id, tx_hash, log_index) DO UPDATE
         SET status = excluded.status, block_number = excluded.block_number,
             block_hash = excluded.block_hash, block_timestamp = excluded.block_timestamp,
             credited_minor = NULL, credited_rate = NULL, in_sweep = 0, confirmed_at = NULL
         WHERE payments.status = $14",
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
    .bind(PENDING)
    .bind(now_seconds())
    .bind(REORGED)
    .bind(seen.block_timestamp)
    .bind(i64::from(seen.off_quote))
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if inserted {
        tracing::info!(session = %seen.session_id, tx = %seen.tx_hash, amount = %seen.amount_raw, "payment seen");
        reconcile::session(state, conn, &session, Trigger::Seen).await?;
    }
    Ok(inserted)
}

#[derive(sqlx::FromRow)]
struct Due {
    id: i64,
    session_id: String,
    chain_id: i64,
    amount_raw: String,
    block_timestamp: i64,
    off_quote: i64,
    /// The token that came.
    token: String,
    covers_minor: String,
    quoted_raw: String,
    rate_price: String,
    quote_expires_at: i64,
    currency: String,
}

/// Confirms the pending payments of `chain_id` in blocks at or below
/// `deepest` (those with their confirmations now), values each, and
/// updates their sessions. Answers how many were confirmed.
pub async fn confirm(state: &AppState, chain_id: i64, deepest: i64) -> anyhow::Result<usize> {
    // Read first: most blocks confirm nothing, and need no write turn.
    let due: Vec<Due> = sqlx::query_as(
        "SELECT p.id, p.session_id, p.chain_id, p.amount_raw, p.block_timestamp, p.off_quote,
                p.token, q.covers_minor, q.amount_raw AS quoted_raw, q.rate_price,
                q.expires_at AS quote_expires_at, s.currency
         FROM payments p JOIN quotes q ON q.id = p.quote_id JOIN sessions s ON s.id = p.session_id
         WHERE p.chain_id = $1 AND p.status = $2 AND p.block_number <= $3",
    )
    .bind(chain_id)
    .bind(PENDING)
    .bind(deepest)
    .fetch_all(&state.db)
    .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let mut valued = Vec::with_capacity(due.len());
    for payment in &due {
        match value(state, payment).await {
            Ok(worth) => valued.push((payment, worth)),
            // No rate now: it stays pending and is valued at a later block.
            Err(err) => {
                tracing::warn!(
                    payment = payment.id,
                    error = format!("{err:#}"),
                    "cannot value a payment yet"
                )
            }
        }
    }
    let mut tx = db::begin_write(&state.db).await?;
    let sessions = distinct(valued.iter().map(|(p, _)| &p.session_id));
    // Every session first, in id order, then (recording events) the
    // merchant: the one order every writer locks in.
    for session in &sessions {
        db::lock_session(&mut tx, session.as_str()).await?;
    }
    for (payment, (minor, rate)) in &valued {
        sqlx::query(
            "UPDATE payments SET status = $1, credited_minor = $2, credited_rate = $3,
                                 confirmed_at = $6
             WHERE id = $4 AND status = $5",
        )
        .bind(CONFIRMED)
        .bind(minor.to_string())
        .bind(rate)
        .bind(payment.id)
        .bind(PENDING)
        .bind(now_seconds())
        .execute(&mut *tx)
        .await?;
    }
    for session in sessions {
        reconcile::session(state, &mut tx, &session, Trigger::Confirmed).await?;
    }
    tx.commit().await?;
    state.announce();
    Ok(valued.len())
}

/// What a confirming payment is worth in its session's currency, and the
/// rate: its quote's if it is what the quote asked for and its block is
/// within the quote's lock, else the rate now (a shopper cannot pay an old
/// quote the market has since made cheap). Money in another token than a
/// token-priced session's is worth nothing to it (it stays unallocated).
async fn value(state: &AppState, payment: &Due) -> anyhow::Result<(u128, String)> {
    if payment.off_quote == 0 && payment.block_timestamp <= payment.quote_expires_at {
        let minor = worth(
            &payment.amount_raw,
            &payment.covers_minor,
            &payment.quoted_raw,
        )?;
        return Ok((minor, payment.rate_price.clone()));
    }
    let currency: Currency = payment.currency.parse()?;
    if !currency.is_fiat() && currency.code() != payment.token {
        return Ok((0, "0".to_owned()));
    }
    let decimals = state
        .config
        .network_by_chain(payment.chain_id as u64)
        .and_then(|n| n.token(&payment.token))
        .map(|(_, d)| d)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{} on chain {} is not configured",
                payment.token,
                payment.chain_id
            )
        })?;
    let price = if currency.is_fiat() {
        state.rates.rate(&payment.token, currency).await?.price
    } else {
        "1".to_owned()
    };
    let minor =
        value_at(payment.amount_raw.parse()?, decimals, currency, &price).ok_or_else(|| {
            anyhow::anyhow!(
                "cannot value {} {} at {price}",
                payment.amount_raw,
                payment.token
            )
        })?;
    Ok((minor, price))
}

/// A payment a reorg took off the chain.
#[derive(Debug, Clone)]
pub struct Dropped {
    pub session_id: String,
    pub tx_hash: String,
    pub was_confirmed: bool,
}

/// A reorg orphaned the blocks of `chain_id` above `ancestor`: their
/// unconfirmed payments are forgotten (they never counted); their confirmed
/// ones stay on record as `reorged`, stop counting, and their sessions hear
/// of it. Each session's status follows, in the caller's transaction.
pub async fn drop_above(
    state: &AppState,
    conn: &mut Conn,
    chain_id: i64,
    ancestor: i64,
) -> anyhow::Result<Vec<Dropped>> {
    let unconfirmed: Vec<(String, String)> = sqlx::query_as(
        "DELETE FROM payments WHERE chain_id = $1 AND block_number > $2 AND status = $3
         RETURNING session_id, tx_hash",
    )
    .bind(chain_id)
    .bind(ancestor)
    .bind(PENDING)
    .fetch_all(&mut *conn)
    .await?;
    let confirmed: Vec<(String, String)> = sqlx::query_as(
        "UPDATE payments SET status = $1, confirmed_at = NULL
         WHERE chain_id = $2 AND block_number > $3 AND status = $4
         RETURNING session_id, tx_hash",
    )
    .bind(REORGED)
    .bind(chain_id)
    .bind(ancestor)
    .bind(CONFIRMED)
    .fetch_all(&mut *conn)
    .await?;
    let all = unconfirmed.iter().chain(&confirmed);
    for session in distinct(all.map(|(s, _)| s)) {
        reconcile::session(state, conn, &session, Trigger::Dropped).await?;
    }
    for session in distinct(confirmed.iter().map(|(s, _)| s)) {
        lifecycle::record(state, conn, &session, EventType::SessionPaymentReorged).await?;
    }
    let dropped = |rows: Vec<(String, String)>, was_confirmed| {
        rows.into_iter().map(move |(session_id, tx_hash)| Dropped {
            session_id,
            tx_hash,
            was_confirmed,
        })
    };
    Ok(dropped(unconfirmed, false)
        .chain(dropped(confirmed, true))
        .collect())
}

/// What the session's payments still awaiting confirmations are worth in
/// its currency: a re-quote does not ask for it again.
async fn in_flight_minor(db: &Db, session: &SessionId) -> anyhow::Result<u128> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT p.amount_raw, q.covers_minor, q.amount_raw FROM payments p
         JOIN quotes q ON q.id = p.quote_id WHERE p.session_id = $1 AND p.status = $2",
    )
    .bind(session.as_str())
    .bind(PENDING)
    .fetch_all(db)
    .await?;
    rows.iter().try_fold(0u128, |sum, (paid, covers, quoted)| {
        Ok(sum.saturating_add(worth(paid, covers, quoted)?))
    })
}

/// What a shopper still has to pay: the amount due less what was received
/// and what is still confirming.
pub async fn still_due(db: &Db, session: &Session) -> anyhow::Result<Money> {
    let in_flight = in_flight_minor(db, &session.id).await?;
    Ok(Money::from_minor(
        session
            .amount_due
            .minor()
            .saturating_sub(session.amount_received.minor())
            .saturating_sub(in_flight),
        session.amount_due.currency(),
    ))
}

/// Whether any payment on `chain_id` lies in a block at or below `number`.
pub async fn any_at_or_below(db: &Db, chain_id: i64, number: u64) -> anyhow::Result<bool> {
    let found: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM payments WHERE chain_id = $1 AND block_number <= $2 LIMIT 1",
    )
    .bind(chain_id)
    .bind(number as i64)
    .fetch_optional(db)
    .await?;
    Ok(found.is_some())
}

/// Each session id once, in order.
fn distinct<'a>(ids: impl Iterator<Item = &'a String>) -> Vec<SessionId> {
    let mut ids: Vec<&String> = ids.collect();
    ids.sort();
    ids.dedup();
    ids.into_iter()
        .filter_map(|id| SessionId::parse(id).ok())
        .collect()
}
