//! A session as the API shows it: its row, its payments (with their
//! confirmations at the chain's cursor) and, once confirmed, its settlement.
//! Only reads; every writer of these tables lives elsewhere. A page of
//! sessions is read in as many queries as one session is (five).

use std::collections::HashMap;

use sqlx::FromRow;
use tender_protocol::money::format_units;
use tender_protocol::{
    Currency, ExchangeRate, GasFee, LineItem, MerchantId, Metadata, Money, Payment, PaymentLinkId,
    PaymentStatus, RawAmount, Session, SessionId, SessionStatus, Settlement, UnallocatedPart,
};

use crate::checkout::{strays, tally};
use crate::clock::from_seconds;
use crate::config::NATIVE_DECIMALS;
use crate::db::{self, Conn};
use crate::state::AppState;

/// A session with the merchant it belongs to.
pub struct Loaded {
    pub merchant_id: MerchantId,
    pub session: Session,
}

#[derive(FromRow)]
struct SessionRow {
    id: String,
    merchant_id: String,
    status: String,
    line_items: String,
    amount_due_minor: String,
    currency: String,
    metadata: String,
    success_url: String,
    cancel_url: Option<String>,
    expires_at: i64,
    created_at: i64,
    expired_while_chains_behind: i64,
    payment_link_id: Option<String>,
    locale: Option<String>,
}

/// Reads a session with its payments and settlement; `None` if there is none.
pub async fn load(
    state: &AppState,
    conn: &mut Conn,
    id: &SessionId,
) -> anyhow::Result<Option<Loaded>> {
    Ok(load_many(state, conn, std::slice::from_ref(id))
        .await?
        .pop())
}

/// Reads sessions (those of `ids` that exist, in that order) with their
/// payments, unallocated money, settlements and unknown tokens: five
/// queries, however many sessions.
pub async fn load_many(
    state: &AppState,
    conn: &mut Conn,
    ids: &[SessionId],
) -> anyhow::Result<Vec<Loaded>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = db::placeholders(ids.len());
    let mut query = sqlx::query_as::<_, SessionRow>(sqlx::AssertSqlSafe(format!(
        "SELECT id, merchant_id, status, line_items, amount_due_minor, currency, metadata,
                success_url, cancel_url, expires_at, created_at, expired_while_chains_behind,
                payment_link_id, locale
         FROM sessions WHERE id IN ({list})"
    )));
    for id in ids {
        query = query.bind(id.as_str());
    }
    let mut rows: HashMap<String, SessionRow> = query
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|row| (row.id.clone(), row))
        .collect();
    let mut payments = payment_rows(conn, ids, &list).await?;
    let mut unallocated = unallocated_totals(conn, ids, &list).await?;
    let mut settlements = settlements(conn, ids, &list).await?;
    let mut strays = strays::of_sessions(state, conn, ids).await?;
    let mut loaded = Vec::with_capacity(rows.len());
    for id in ids {
        let Some(row) = rows.remove(id.as_str()) else {
            continue;
        };
        let merchant_id = MerchantId::parse(&row.merchant_id)?;
        let mut received_minor = 0;
        let mut decoded = Vec::new();
        for payment in payments.remove(id.as_str()).unwrap_or_default() {
            if payment.status == tally::CONFIRMED {
                received_minor += match &payment.credited_minor {
                    Some(credited) => credited.parse()?,
                    None => tally::worth(
                        &payment.amount_raw,
                        &payment.covers_minor,
                        &payment.quoted_raw,
                    )?,
                };
            }
            decoded.push(decode_payment(state, payment, row.expires_at)?);
        }
        let any_unallocated = decoded.iter().any(|p| p.unallocated.is_some());
        let mut session = decode(state, id, row, decoded, received_minor)?;
        let unallocated_minor = unallocated.remove(id.as_str()).unwrap_or(0);
        session.amount_unallocated = any_unallocated
            .then(|| Money::from_minor(unallocated_minor, session.amount_due.currency()));
        session.settlement = settlements.remove(id.as_str());
        session.unknown_tokens = strays.remove(id.as_str()).unwrap_or_default();
        loaded.push(Loaded {
            merchant_id,
            session,
        });
    }
    Ok(loaded)
}

/// Reads a session that must exist (a worker acting on an id it just read).
pub async fn reload(state: &AppState, conn: &mut Conn, id: &SessionId) -> anyhow::Result<Loaded> {
    load(state, conn, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("session {id} vanished"))
}

fn decode(
    state: &AppState,
    id: &SessionId,
    row: SessionRow,
    payments: Vec<Payment>,
    received_minor: u128,
) -> anyhow::Result<Session> {
    let currency: Currency = row.currency.parse()?;
    let status = SessionStatus::parse(&row.status)
        .ok_or_else(|| anyhow::anyhow!("stored session status {:?}", row.status))?;
    let line_items: Vec<LineItem> = serde_json::from_str(&row.line_items)?;
    let metadata: Metadata = serde_json::from_str(&row.metadata)?;
    let due: u128 = row.amount_due_minor.parse()?;
    Ok(Session {
        id: id.clone(),
        status,
        payment_url: payment_url(state, id),
        line_items,
        amount_due: Money::from_minor(due, currency),
        amount_received: Money::from_minor(received_minor, currency),
        amount_excess: (received_minor > due)
            .then(|| Money::from_minor(received_minor - due, currency)),
        amount_unallocated: None,
        amount_short: (matches!(status, SessionStatus::Paid | SessionStatus::Completed)
            && received_minor < due)
            .then(|| Money::from_minor(due - received_minor, currency)),
        expired_while_chains_behind: row.expired_while_chains_behind != 0,
        metadata,
        success_url: row.success_url,
        cancel_url: row.cancel_url,
        expires_at: from_seconds(row.expires_at),
        created_at: from_seconds(row.created_at),
        payments,
        unknown_tokens: Vec::new(),
        settlement: None,
        payment_link: row
            .payment_link_id
            .as_deref()
            .map(PaymentLinkId::parse)
            .transpose()?,
        locale: row.locale,
    })
}

/// The hosted cashier page of a session.
pub fn payment_url(state: &AppState, id: &SessionId) -> String {
    let base = state.public_url.as_str().trim_end_matches('/');
    format!("{base}/pay/{id}")
}

#[derive(FromRow)]
struct PaymentRow {
    session_id: String,
    tx_hash: String,
    chain_id: i64,
    token: String,
    amount_raw: String,
    from_address: String,
    block_number: i64,
    gas_fee_raw: String,
    status: String,
    network: String,
    decimals: i64,
    rate_price: String,
    rate_currency: String,
    covers_minor: String,
    quoted_raw: String,
    head: Option<i64>,
    block_timestamp: i64,
    seen_at: i64,
    quoted_at: i64,
    confirmed_at: Option<i64>,
    credited_minor: Option<String>,
    credited_rate: Option<String>,
    unallocated_raw: Option<String>,
    off_quote: i64,
}

/// The sessions' payment rows, by session, each in the order they came.
async fn payment_rows(
    conn: &mut Conn,
    ids: &[SessionId],
    list: &str,
) -> anyhow::Result<HashMap<String, Vec<PaymentRow>>> {
    let mut query = sqlx::query_as::<_, PaymentRow>(sqlx::AssertSqlSafe(format!(
        "SELECT p.session_id, p.tx_hash, p.chain_id, p.token, p.amount_raw, p.from_address,
                p.block_number, p.gas_fee_raw, p.status, q.network, q.decimals, q.rate_price,
                q.rate_currency, q.covers_minor, q.amount_raw AS quoted_raw,
                c.block_number AS head, p.block_timestamp, p.created_at AS seen_at,
                q.created_at AS quoted_at, p.confirmed_at, p.credited_minor, p.credited_rate,
                u.amount_raw AS unallocated_raw, p.off_quote
         FROM payments p
         LEFT JOIN unallocated u ON u.payment_id = p.id
         JOIN quotes q ON q.id = p.quote_id
         LEFT JOIN chain_cursors c ON c.chain_id = p.chain_id
         WHERE p.session_id IN ({list}) ORDER BY p.id"
    )));
    for id in ids {
        query = query.bind(id.as_str());
    }
    let mut by_session: HashMap<String, Vec<PaymentRow>> = HashMap::new();
    for row in query.fetch_all(&mut *conn).await? {
        by_session
            .entry(row.session_id.clone())
            .or_default()
            .push(row);
    }
    Ok(by_session)
}

/// What is unallocated of each session, in its currency's minor units.
async fn unallocated_totals(
    conn: &mut Conn,
    ids: &[SessionId],
    list: &str,
) -> anyhow::Result<HashMap<String, u128>> {
    let mut query = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(format!(
        "SELECT session_id, amount_minor FROM unallocated WHERE session_id IN ({list})"
    )));
    for id in ids {
        query = query.bind(id.as_str());
    }
    let mut totals: HashMap<String, u128> = HashMap::new();
    for (session, minor) in query.fetch_all(&mut *conn).await? {
        let total = totals.entry(session).or_default();
        *total = total.saturating_add(minor.parse()?);
    }
    Ok(totals)
}

fn decode_payment(state: &AppState, row: PaymentRow, expires_at: i64) -> anyhow::Result<Payment> {
    let amount_raw: u128 = row.amount_raw.parse()?;
    let gas_raw: u128 = row.gas_fee_raw.parse()?;
    let chain_id = u64::try_from(row.chain_id)?;
    // The token that came, on its network (another than the quote's, maybe).
    let decimals = match state
        .config
        .network_by_chain(chain_id)
        .and_then(|n| n.token(&row.token))
    {
        Some((_, decimals)) => decimals,
        None => u32::try_from(row.decimals)?,
    };
    let unallocated = row
        .unallocated_raw
        .map(|raw| -> anyhow::Result<UnallocatedPart> {
            let raw: u128 = raw.parse()?;
            Ok(UnallocatedPart {
                amount: format_units(raw, decimals, 0),
                amount_raw: RawAmount(raw),
            })
        })
        .transpose()?;
    let chain_id = u64::try_from(row.chain_id)?;
    let native = state
        .config
        .network_by_chain(chain_id)
        .map_or_else(|| "ETH".to_owned(), |n| n.native_token.clone());
    let confirmations = row
        .head
        .map_or(0, |head| (head - row.block_number + 1).max(0)) as u64;
    Ok(Payment {
        tx_hash: row.tx_hash.parse()?,
        // The network it came on (another than the quote's, maybe).
        network: state
            .config
            .network_by_chain(chain_id)
            .map_or(row.network, |n| n.id.clone()),
        chain_id,
        exchange_rate: ExchangeRate {
            token: row.token.clone(),
            currency: row.rate_currency.parse()?,
            price: row.credited_rate.unwrap_or(row.rate_price),
        },
        late: row.block_timestamp > expires_at,
        off_quote: row.off_quote != 0,
        unallocated,
        amount: format_units(amount_raw, decimals, 0),
        amount_raw: RawAmount(amount_raw),
        token: row.token,
        from: row.from_address.parse()?,
        block_number: u64::try_from(row.block_number)?,
        confirmations,
        confirmations_required: state
            .config
            .network_by_chain(chain_id)
            .map(|n| n.confirmations),
        quoted_at: Some(from_seconds(row.quoted_at)),
        mined_at: Some(from_seconds(row.block_timestamp)),
        seen_at: Some(from_seconds(row.seen_at)),
        confirmed_at: row.confirmed_at.map(from_seconds),
        status: match row.status.as_str() {
            tally::CONFIRMED => PaymentStatus::Confirmed,
            tally::REORGED => PaymentStatus::Reorged,
            _ => PaymentStatus::Pending,
        },
        gas_fee: GasFee {
            amount: format_units(gas_raw, NATIVE_DECIMALS, 0),
            amount_raw: RawAmount(gas_raw),
            token: native,
        },
    })
}

#[derive(FromRow)]
struct SettlementRow {
    session_id: String,
    tx_hash: String,
    network: String,
    token: String,
    decimals: i64,
    amount_raw: String,
    address: String,
    fee_minor: String,
    fee_currency: String,
}

/// The sessions' payouts that have their confirmations, by session.
async fn settlements(
    conn: &mut Conn,
    ids: &[SessionId],
    list: &str,
) -> anyhow::Result<HashMap<String, Settlement>> {
    let mut query = sqlx::query_as::<_, SettlementRow>(sqlx::AssertSqlSafe(format!(
        "SELECT session_id, tx_hash, network, token, decimals, amount_raw, address, fee_minor,
                fee_currency
         FROM settlements WHERE session_id IN ({list}) AND status = 'confirmed'"
    )));
    for id in ids {
        query = query.bind(id.as_str());
    }
    let mut by_session = HashMap::new();
    for row in query.fetch_all(&mut *conn).await? {
        let amount: u128 = row.amount_raw.parse()?;
        let settlement = Settlement {
            tx_hash: Some(row.tx_hash.as_str())
                .filter(|hash| !hash.is_empty())
                .map(str::parse)
                .transpose()?,
            network: row.network,
            amount: format_units(amount, u32::try_from(row.decimals)?, 0),
            amount_raw: RawAmount(amount),
            token: row.token,
            address: row.address.parse()?,
            fee: Money::from_minor(row.fee_minor.parse()?, row.fee_currency.parse()?),
        };
        by_session.insert(row.session_id, settlement);
    }
    Ok(by_session)
}
