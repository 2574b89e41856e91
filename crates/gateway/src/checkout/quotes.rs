//! Quotes: the session's amount converted into one token on one network,
//! locked for a while, with a fresh deposit address to pay it to.

use anyhow::Context;
use sqlx::FromRow;
use tender_protocol::money::format_units;
use tender_protocol::{
    Address, CreateQuote, ExchangeRate, Money, Quote, QuoteId, RawAmount, Session, SessionId,
};

use crate::checkout::payments;
use crate::clock::from_seconds;
use crate::db::{self, Conn};
use crate::error::{ApiError, ApiResult};
use crate::rates::{Priced, RateError};
use crate::state::AppState;

/// Creates a quote for `session` in the requested network and token, for
/// what is still due (all of it, or what an underpayment left).
pub async fn create(
    state: &AppState,
    session: &Session,
    request: &CreateQuote,
) -> ApiResult<Quote> {
    let now = state.clock.now();
    if !session.status.is_payable() || session.expires_at.unix() <= now {
        return Err(ApiError::Conflict(format!(
            "this checkout is {} and can no longer be paid",
            if session.expires_at.unix() <= now {
                "expired"
            } else {
                session.status.as_str()
            }
        )));
    }
    let network = state.config.network(&request.network).ok_or_else(|| {
        ApiError::invalid("network", format!("unknown network {:?}", request.network))
    })?;
    let (contract, decimals) = network.token(&request.token).ok_or_else(|| {
        ApiError::invalid(
            "token",
            format!("{} is not accepted on {}", request.token, network.name),
        )
    })?;
    let remaining = payments::still_due(&state.db, session).await?;
    if remaining.minor() == 0 {
        return Err(ApiError::Conflict(
            "payments awaiting their confirmations already cover this checkout".into(),
        ));
    }
    let (priced, amount_raw) = convert(state, remaining, &request.token, decimals).await?;
    let rate = priced.rate;
    let expires_at = (now + state.config.quote_ttl_seconds as i64).min(session.expires_at.unix());
    let token_address = contract.map(|t| t.address.clone());

    let mut tx = db::begin_write(&state.db).await?;
    // Counted, then added to: one quote of a session at a time.
    db::lock_session(&mut tx, session.id.as_str()).await?;
    let (made,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM quotes WHERE session_id = $1")
        .bind(session.id.as_str())
        .fetch_one(&mut *tx)
        .await?;
    let most = state.config.limits.quotes_per_session;
    if made >= i64::from(most) {
        return Err(ApiError::Conflict(format!(
            "this checkout has had {most} quotes, the most one may; pay one of them, or start a new checkout"
        )));
    }
    let (index,): (i64,) = sqlx::query_as(
        "UPDATE counters SET value = value + 1 WHERE name = 'deposit_index' RETURNING value",
    )
    .fetch_one(&mut *tx)
    .await?;
    let deposit_address = state
        .deposits
        .address(u32::try_from(index).context("deposit index out of range")?)?;
    let id = QuoteId::generate();
    sqlx::query(
        "INSERT INTO quotes (id, session_id, network, chain_id, token, token_address, decimals,
                             amount_raw, covers_minor, deposit_index, deposit_address, rate_price,
                             rate_currency, rate_fetched_at, expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(id.as_str())
    .bind(session.id.as_str())
    .bind(&network.id)
    .bind(network.chain_id as i64)
    .bind(&request.token)
    .bind(token_address.as_ref().map(Address::as_str))
    .bind(i64::from(decimals))
    .bind(amount_raw.to_string())
    .bind(remaining.minor().to_string())
    .bind(index)
    .bind(deposit_address.as_str())
    .bind(&rate.price)
    .bind(rate.currency.code())
    .bind(priced.fetched_at)
    .bind(expires_at)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(session = %session.id, quote = %id, network = %network.id, token = %request.token, "quote created");
    Ok(Quote {
        payment_uri: Quote::payment_uri(
            &deposit_address,
            network.chain_id,
            token_address.as_ref(),
            RawAmount(amount_raw),
        ),
        id,
        network: network.id.clone(),
        chain_id: network.chain_id,
        token: request.token.clone(),
        token_address,
        decimals,
        amount: format_units(amount_raw, decimals, 0),
        amount_raw: RawAmount(amount_raw),
        deposit_address,
        exchange_rate: rate,
        rate_fetched_at: priced.fetched_at.map(from_seconds),
        expires_at: from_seconds(expires_at),
    })
}

/// The rate and the amount due in `token`'s base units. A session priced in
/// a token is paid in that token, one for one.
async fn convert(
    state: &AppState,
    due: Money,
    token: &str,
    decimals: u32,
) -> ApiResult<(Priced, u128)> {
    let currency = due.currency();
    if !currency.is_fiat() {
        if currency.code() != token {
            return Err(ApiError::invalid(
                "token",
                format!("this checkout is priced in {currency}; pay it in {currency}"),
            ));
        }
        let amount = due
            .in_token_units(decimals)
            .ok_or_else(|| anyhow::anyhow!("{due} does not fit {token}'s {decimals} decimals"))?;
        let rate = ExchangeRate {
            token: token.to_owned(),
            currency,
            price: "1".to_owned(),
        };
        let priced = Priced {
            rate,
            fetched_at: None,
        };
        return Ok((priced, amount));
    }
    // Unknown or stale rates are the platform's problem, not the shopper's:
    // 503 with a message that says to try again.
    let priced = state
        .rates
        .priced(token, currency)
        .await
        .map_err(|e: RateError| {
            let reason = match e {
                RateError::Unknown { .. } => "unknown",
                RateError::Stale(_) => "stale",
                RateError::TooFewSources { .. } => "sources_disagree",
            };
            state
                .metrics
                .rates_refused
                .get_or_create(&crate::ops::figures::labels(&[("reason", reason)]))
                .inc();
            ApiError::Upstream(e.to_string())
        })?;
    let rate = &priced.rate;
    let amount = rate
        .to_token_units(due, decimals)
        .ok_or_else(|| anyhow::anyhow!("cannot convert {due} at {rate:?}"))?;
    Ok((priced, amount))
}

#[derive(FromRow)]
struct QuoteRow {
    id: String,
    network: String,
    chain_id: i64,
    token: String,
    token_address: Option<String>,
    decimals: i64,
    amount_raw: String,
    deposit_address: String,
    rate_price: String,
    rate_currency: String,
    rate_fetched_at: Option<i64>,
    expires_at: i64,
}

/// The session's most recent quote, if any.
pub async fn latest(conn: &mut Conn, session: &SessionId) -> anyhow::Result<Option<Quote>> {
    let row: Option<QuoteRow> = sqlx::query_as(
        "SELECT id, network, chain_id, token, token_address, decimals, amount_raw, deposit_address,
                rate_price, rate_currency, rate_fetched_at, expires_at
         FROM quotes WHERE session_id = $1 ORDER BY created_at DESC, deposit_index DESC LIMIT 1",
    )
    .bind(session.as_str())
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        let amount_raw: u128 = row.amount_raw.parse()?;
        let decimals = u32::try_from(row.decimals)?;
        let chain_id = u64::try_from(row.chain_id)?;
        let deposit_address = Address::parse(&row.deposit_address)?;
        let token_address = row
            .token_address
            .as_deref()
            .map(Address::parse)
            .transpose()?;
        Ok(Quote {
            id: QuoteId::parse(&row.id)?,
            payment_uri: Quote::payment_uri(
                &deposit_address,
                chain_id,
                token_address.as_ref(),
                RawAmount(amount_raw),
            ),
            token_address,
            network: row.network,
            chain_id,
            exchange_rate: ExchangeRate {
                token: row.token.clone(),
                currency: row.rate_currency.parse()?,
                price: row.rate_price,
            },
            rate_fetched_at: row.rate_fetched_at.map(from_seconds),
            token: row.token,
            decimals,
            amount: format_units(amount_raw, decimals, 0),
            amount_raw: RawAmount(amount_raw),
            deposit_address,
            expires_at: from_seconds(row.expires_at),
        })
    })
    .transpose()
}
