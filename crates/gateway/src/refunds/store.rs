//! Refunds as stored (owns `refunds`): each change of a refund's status is
//! conditional on the status it expects and records its `refund.*` event in
//! the caller's transaction.

use sha2::{Digest, Sha256};
use sqlx::FromRow;
use tender_protocol::money::format_units;
use tender_protocol::{
    Currency, EventType, Money, NetworkFeePayer, RawAmount, Refund, RefundBasis, RefundId,
    RefundSource, RefundStatus, SessionId,
};

use crate::checkout::view;
use crate::clock::{from_seconds, now_seconds};
use crate::db::{Conn, Db};
use crate::state::AppState;
use crate::webhooks::outbox;

/// The columns a refund is read with.
pub const COLUMNS: &str = "id, merchant_id, session_id, source, basis, network_fee, reason, currency, \
     amount_minor, network, chain_id, token, token_address, decimals, rate_price, amount_raw, \
     claim_expires_at, status, destination, outgoing_id, tx_hash, failure, created_at";

/// A refund's row.
#[derive(Debug, Clone, FromRow)]
pub struct Row {
    pub id: String,
    pub merchant_id: String,
    pub session_id: String,
    pub source: String,
    pub basis: String,
    pub network_fee: String,
    pub reason: Option<String>,
    pub currency: String,
    pub amount_minor: String,
    pub network: String,
    pub chain_id: i64,
    pub token: String,
    pub token_address: Option<String>,
    pub decimals: i64,
    pub rate_price: Option<String>,
    pub amount_raw: Option<String>,
    pub claim_expires_at: i64,
    pub status: String,
    pub destination: Option<String>,
    pub outgoing_id: Option<i64>,
    pub tx_hash: Option<String>,
    pub failure: Option<String>,
    pub created_at: i64,
}

fn wire<T: serde::de::DeserializeOwned>(text: &str) -> anyhow::Result<T> {
    Ok(serde_json::from_value(serde_json::Value::String(
        text.to_owned(),
    ))?)
}

fn text<T: serde::Serialize>(value: T) -> anyhow::Result<String> {
    match serde_json::to_value(value)? {
        serde_json::Value::String(text) => Ok(text),
        other => anyhow::bail!("not a string: {other}"),
    }
}

impl Row {
    pub fn status(&self) -> anyhow::Result<RefundStatus> {
        RefundStatus::parse(&self.status)
            .ok_or_else(|| anyhow::anyhow!("stored refund status {:?}", self.status))
    }

    pub fn source(&self) -> anyhow::Result<RefundSource> {
        wire(&self.source)
    }

    pub fn basis(&self) -> anyhow::Result<RefundBasis> {
        wire(&self.basis)
    }

    pub fn network_fee(&self) -> anyhow::Result<NetworkFeePayer> {
        wire(&self.network_fee)
    }

    pub fn amount(&self) -> anyhow::Result<Money> {
        Ok(Money::from_minor(
            self.amount_minor.parse()?,
            self.currency.parse::<Currency>()?,
        ))
    }

    pub fn decimals(&self) -> anyhow::Result<u32> {
        Ok(u32::try_from(self.decimals)?)
    }

    pub fn chain_id(&self) -> anyhow::Result<u64> {
        Ok(u64::try_from(self.chain_id)?)
    }

    /// The ERC-20 refunded; `None` for the native token.
    pub fn token_address(&self) -> anyhow::Result<Option<alloy::primitives::Address>> {
        Ok(self.token_address.as_deref().map(str::parse).transpose()?)
    }

    pub fn amount_raw(&self) -> anyhow::Result<Option<u128>> {
        Ok(self.amount_raw.as_deref().map(str::parse).transpose()?)
    }

    /// The refund as the merchant's API shows it (never its claim link).
    pub fn to_refund(&self) -> anyhow::Result<Refund> {
        let decimals = u32::try_from(self.decimals)?;
        let raw = self.amount_raw()?;
        Ok(Refund {
            id: RefundId::parse(&self.id)?,
            session_id: SessionId::parse(&self.session_id)?,
            status: self.status()?,
            source: self.source()?,
            basis: self.basis()?,
            network_fee: self.network_fee()?,
            amount: self.amount()?,
            network: self.network.clone(),
            chain_id: u64::try_from(self.chain_id)?,
            token: self.token.clone(),
            decimals,
            token_amount: raw.map(|r| format_units(r, decimals, 0)),
            token_amount_raw: raw.map(RawAmount),
            reason: self.reason.clone(),
            claim_url: None,
            claim_expires_at: from_seconds(self.claim_expires_at),
            destination: self.destination.as_deref().map(str::parse).transpose()?,
            tx_hash: self.tx_hash.as_deref().map(str::parse).transpose()?,
            failure: self.failure.clone(),
            created_at: from_seconds(self.created_at),
        })
    }
}

/// A claim token's stored form.
pub fn claim_hash(token: &str) -> String {
    alloy::hex::encode(Sha256::digest(token.as_bytes()))
}

/// A refund about to be stored.
pub struct NewRefund<'a> {
    pub merchant_id: &'a str,
    pub session_id: &'a SessionId,
    pub source: RefundSource,
    pub basis: RefundBasis,
    pub network_fee: NetworkFeePayer,
    pub reason: Option<&'a str>,
    pub amount: Money,
    pub network: &'a str,
    pub chain_id: u64,
    pub token: &'a str,
    pub token_address: Option<&'a str>,
    pub decimals: u32,
    pub rate_price: Option<&'a str>,
    pub amount_raw: Option<u128>,
    pub claim_token: &'a str,
    pub claim_expires_at: i64,
    /// Offered on the session's cashier page: the claim token is kept (the
    /// session id that shows it is the shopper's capability already).
    pub offered: bool,
}

/// Stores a `pending` refund and records `refund.created`, in the caller's
/// transaction.
pub async fn insert(state: &AppState, conn: &mut Conn, new: &NewRefund<'_>) -> anyhow::Result<Row> {
    let id = RefundId::generate();
    let now = now_seconds();
    sqlx::query(
        "INSERT INTO refunds (id, merchant_id, session_id, source, basis, network_fee, reason,
                              currency, amount_minor, network, chain_id, token, token_address,
                              decimals, rate_price, amount_raw, claim_hash, claim_expires_at, status,
                              created_at, updated_at, offered_token)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                 'pending', $19, $19, $20)",
    )
    .bind(id.as_str())
    .bind(new.merchant_id)
    .bind(new.session_id.as_str())
    .bind(text(new.source)?)
    .bind(text(new.basis)?)
    .bind(text(new.network_fee)?)
    .bind(new.reason)
    .bind(new.amount.currency().code())
    .bind(new.amount.minor().to_string())
    .bind(new.network)
    .bind(new.chain_id as i64)
    .bind(new.token)
    .bind(new.token_address)
    .bind(i64::from(new.decimals))
    .bind(new.rate_price)
    .bind(new.amount_raw.map(|r| r.to_string()))
    .bind(claim_hash(new.claim_token))
    .bind(new.claim_expires_at)
    .bind(now)
    .bind(new.offered.then_some(new.claim_token))
    .execute(&mut *conn)
    .await?;
    let row = load(conn, &id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("refund {id} vanished"))?;
    record(state, conn, &row, EventType::RefundCreated).await?;
    Ok(row)
}

pub async fn load(conn: &mut Conn, id: &RefundId) -> anyhow::Result<Option<Row>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM refunds WHERE id = $1"
    )))
    .bind(id.as_str())
    .fetch_optional(&mut *conn)
    .await?)
}

/// The refund a claim link's token names.
pub async fn by_claim(db: &Db, token: &str) -> anyhow::Result<Option<Row>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM refunds WHERE claim_hash = $1"
    )))
    .bind(claim_hash(token))
    .fetch_optional(db)
    .await?)
}

/// The session's refunds still standing (not canceled or failed).
pub async fn standing(conn: &mut Conn, session: &SessionId) -> anyhow::Result<Vec<Row>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM refunds
         WHERE session_id = $1 AND status IN ('pending', 'claimed', 'completed')"
    )))
    .bind(session.as_str())
    .fetch_all(&mut *conn)
    .await?)
}

/// A pending refund, claimed to `destination` (its token amount fixed now
/// if it was not): answers whether it was still pending and unexpired.
pub async fn claim(
    state: &AppState,
    conn: &mut Conn,
    row: &Row,
    destination: &str,
    amount_raw: u128,
) -> anyhow::Result<bool> {
    let changed = sqlx::query(
        "UPDATE refunds SET status = 'claimed', destination = $1, amount_raw = $2, updated_at = $3
         WHERE id = $4 AND status = 'pending' AND claim_expires_at > $3",
    )
    .bind(destination)
    .bind(amount_raw.to_string())
    .bind(now_seconds())
    .bind(&row.id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if changed == 1 {
        let row = reload(conn, &row.id).await?;
        record(state, conn, &row, EventType::RefundClaimed).await?;
    }
    Ok(changed == 1)
}

/// The refund's payout transaction, asked of the sender.
pub async fn attach(conn: &mut Conn, id: &str, outgoing_id: i64) -> anyhow::Result<()> {
    sqlx::query("UPDATE refunds SET outgoing_id = $1, updated_at = $2 WHERE id = $3")
        .bind(outgoing_id)
        .bind(now_seconds())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A move of a refund's status.
#[derive(Debug, Clone, Copy)]
pub struct Move<'a> {
    pub from: RefundStatus,
    pub to: RefundStatus,
    pub tx_hash: Option<&'a str>,
    pub failure: Option<&'a str>,
    /// The event recorded, if any.
    pub event: Option<EventType>,
}

/// Moves a refund as `change` says if it is in `change.from`, recording
/// its event; answers whether it moved.
pub async fn finish(
    state: &AppState,
    conn: &mut Conn,
    id: &str,
    change: Move<'_>,
) -> anyhow::Result<bool> {
    let changed = sqlx::query(
        "UPDATE refunds SET status = $1, tx_hash = COALESCE($2, tx_hash),
                failure = COALESCE($3, failure), updated_at = $4
         WHERE id = $5 AND status = $6",
    )
    .bind(change.to.as_str())
    .bind(change.tx_hash)
    .bind(change.failure)
    .bind(now_seconds())
    .bind(id)
    .bind(change.from.as_str())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if changed == 1
        && let Some(kind) = change.event
    {
        let row = reload(conn, id).await?;
        record(state, conn, &row, kind).await?;
    }
    Ok(changed == 1)
}

async fn reload(conn: &mut Conn, id: &str) -> anyhow::Result<Row> {
    load(conn, &RefundId::parse(id)?)
        .await?
        .ok_or_else(|| anyhow::anyhow!("refund {id} vanished"))
}

/// Records `kind` with the refund and its session, in the caller's
/// transaction.
async fn record(
    state: &AppState,
    conn: &mut Conn,
    row: &Row,
    kind: EventType,
) -> anyhow::Result<()> {
    let session = view::reload(state, conn, &SessionId::parse(&row.session_id)?).await?;
    let refund = row.to_refund()?;
    outbox::record_refund(conn, &session.merchant_id, kind, &session.session, &refund).await?;
    Ok(())
}
