//! Settlement ("cross-chain routing"): once a session is paid, the treasury
//! pays the merchant on the merchant's chosen network and token (converted at
//! the quote's rate when it is the token paid in, else at the current rate,
//! minus the configured fee); when that transaction has its confirmations the
//! session is `completed` and `session.completed` carries it. Paid deposits
//! are swept into the treasury too (see `sweeps`).

use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::{Bytes, U256};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use sqlx::FromRow;
use tender_protocol::money::format_units;
use tender_protocol::{
    Currency, ErrorBody, EventType, ExchangeRate, Money, SessionId, SettlementDestination,
};
use tokio_util::sync::CancellationToken;

use crate::chain::Chain;
use crate::clock::now_seconds;
use crate::db::Conn;
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::leader::Leadership;
use crate::merchants::Merchant;
use crate::state::AppState;
use crate::treasury::{self, Transfer};
use crate::{db, events, sessions, sweeps, validate};

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/settlement-destination", get(show).put(update))
}

/// Where this merchant's proceeds go.
#[utoipa::path(get, path = "/v1/settlement-destination", tag = "Settlement",
    responses((status = 200, body = SettlementDestination), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn show(
    State(state): State<AppState>,
    merchant: Merchant,
) -> ApiResult<ApiJson<SettlementDestination>> {
    let row: Option<(String, String, String)> = sqlx::query_as(
        "SELECT network, token, address FROM settlement_destinations WHERE merchant_id = $1",
    )
    .bind(merchant.id.as_str())
    .fetch_optional(&state.db)
    .await?;
    let (network, token, address) = row.ok_or(ApiError::NotFound("settlement destination"))?;
    Ok(ApiJson(SettlementDestination {
        network,
        token,
        address: address.parse().map_err(anyhow::Error::from)?,
    }))
}

/// Set where proceeds go: a network, a token it carries, and an address.
#[utoipa::path(put, path = "/v1/settlement-destination", tag = "Settlement",
    request_body = SettlementDestination,
    responses((status = 200, body = SettlementDestination), (status = 400, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn update(
    State(state): State<AppState>,
    merchant: Merchant,
    ApiJson(body): ApiJson<SettlementDestination>,
) -> ApiResult<ApiJson<SettlementDestination>> {
    let network = state.config.network(&body.network).ok_or_else(|| {
        ApiError::invalid("network", format!("unknown network {:?}", body.network))
    })?;
    if network.token(&body.token).is_none() {
        return Err(ApiError::invalid(
            "token",
            format!("{} is not a token of {}", body.token, network.name),
        ));
    }
    validate::not_zero_address("address", &body.address)?;
    sqlx::query(
        "INSERT INTO settlement_destinations (merchant_id, network, token, address, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (merchant_id) DO UPDATE SET network = excluded.network, token = excluded.token,
             address = excluded.address, updated_at = excluded.updated_at",
    )
    .bind(merchant.id.as_str())
    .bind(&body.network)
    .bind(&body.token)
    .bind(body.address.as_str())
    .bind(now_seconds())
    .execute(&state.db)
    .await?;
    Ok(ApiJson(body))
}

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcome {
    pub sent: usize,
    pub completed: usize,
    pub sweeps: usize,
}

#[derive(FromRow)]
struct Due {
    session_id: String,
    amount_due_minor: String,
    currency: String,
    network: String,
    token: String,
    address: String,
}

/// The payout of one session, in the destination token's base units, and
/// the fee kept.
pub fn payout(
    due: Money,
    fee_bps: u32,
    rate: Option<&ExchangeRate>,
    decimals: u32,
) -> Option<(u128, Money)> {
    let fee = Money::from_minor(due.minor() * u128::from(fee_bps) / 10_000, due.currency());
    let net = Money::from_minor(due.minor() - fee.minor(), due.currency());
    let units = if due.currency().is_fiat() {
        rate?.to_token_units_down(net, decimals)?
    } else {
        // A token price: pay in that token, dropping digits it does not have.
        let scale = 10u128.pow(tender_protocol::money::TOKEN_PRICE_DECIMALS - decimals);
        net.minor() / scale
    };
    Some((units, fee))
}

/// Pays merchants out and sweeps deposits.
pub struct Settler {
    state: AppState,
}

impl Settler {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    pub async fn tick(&self) -> anyhow::Result<Outcome> {
        let mut outcome = Outcome::default();
        for chain in self.state.chains.values() {
            // First make sure every stored transaction is on its way, so the
            // pending nonce counts it before anything new is signed.
            outcome.completed += self.follow_up(chain).await?;
            outcome.sweeps += sweeps::step(&self.state, chain).await?;
        }
        outcome.sent += self.start().await?;
        Ok(outcome)
    }

    /// Signs, stores and broadcasts the payout of each newly paid session.
    async fn start(&self) -> anyhow::Result<usize> {
        let due: Vec<Due> = sqlx::query_as(
            "SELECT s.id AS session_id, s.amount_due_minor, s.currency, d.network, d.token, d.address
             FROM sessions s
             JOIN settlement_destinations d ON d.merchant_id = s.merchant_id
             LEFT JOIN settlements t ON t.session_id = s.id
             WHERE s.status = 'paid' AND t.session_id IS NULL
             ORDER BY s.updated_at LIMIT 20",
        )
        .fetch_all(&self.state.db)
        .await?;
        let mut sent = 0;
        for row in due {
            match self.pay_out(&row).await {
                Ok(()) => sent += 1,
                Err(err) => {
                    tracing::error!(session = %row.session_id, error = format!("{err:#}"), "cannot settle")
                }
            }
        }
        Ok(sent)
    }

    async fn pay_out(&self, row: &Due) -> anyhow::Result<()> {
        let chain = self.state.chains.get(&row.network).ok_or_else(|| {
            anyhow::anyhow!("settlement network {:?} is not configured", row.network)
        })?;
        let (contract, decimals) = chain
            .network
            .token(&row.token)
            .ok_or_else(|| anyhow::anyhow!("{} is not a token of {}", row.token, row.network))?;
        let currency: Currency = row.currency.parse()?;
        let due = Money::from_minor(row.amount_due_minor.parse()?, currency);
        let rate = if currency.is_fiat() {
            Some(self.rate_for(&row.session_id, &row.token, currency).await?)
        } else if currency.code() == row.token {
            None
        } else {
            anyhow::bail!(
                "a session priced in {currency} settles only in {currency}, not {}",
                row.token
            );
        };
        let (units, fee) = payout(
            due,
            self.state.config.settlement.fee_bps,
            rate.as_ref(),
            decimals,
        )
        .ok_or_else(|| anyhow::anyhow!("cannot convert {due} into {}", row.token))?;
        let treasury = self.state.treasury.address();
        let transfer = Transfer {
            chain_id: chain.network.chain_id,
            nonce: chain.nonce(treasury).await?,
            gas_price: chain.gas_price().await?,
            to: row.address.parse()?,
            token: contract.map(|t| t.address.as_str().parse()).transpose()?,
            amount: U256::from(units),
        };
        let signed = treasury::sign(self.state.treasury.signer(), &transfer)?;
        let now = now_seconds();
        let inserted = sqlx::query(
            "INSERT INTO settlements (session_id, network, chain_id, token, decimals, address, amount_raw,
                                      fee_minor, fee_currency, nonce, raw_tx, tx_hash, status,
                                      created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'sent', $13, $13)
             ON CONFLICT (session_id) DO NOTHING",
        )
        .bind(&row.session_id)
        .bind(&row.network)
        .bind(chain.network.chain_id as i64)
        .bind(&row.token)
        .bind(i64::from(decimals))
        .bind(&row.address)
        .bind(units.to_string())
        .bind(fee.minor().to_string())
        .bind(fee.currency().code())
        .bind(transfer.nonce as i64)
        .bind(signed.raw.to_string())
        .bind(signed.hash.to_string())
        .bind(now)
        .execute(&self.state.db)
        .await?
        .rows_affected();
        if inserted == 1 {
            chain.broadcast(&signed.raw).await?;
            tracing::info!(session = %row.session_id, tx = %signed.hash, amount = units, token = %row.token, "settlement sent");
        }
        Ok(())
    }

    /// The rate to pay `token` out at: the session's own quote's if it was
    /// paid in that token, else the current one.
    async fn rate_for(
        &self,
        session: &str,
        token: &str,
        currency: Currency,
    ) -> anyhow::Result<ExchangeRate> {
        let quoted: Option<(String, String)> = sqlx::query_as(
            "SELECT q.rate_price, q.rate_currency FROM payments p JOIN quotes q ON q.id = p.quote_id
             WHERE p.session_id = $1 AND p.status = 'confirmed' AND q.token = $2 LIMIT 1",
        )
        .bind(session)
        .bind(token)
        .fetch_optional(&self.state.db)
        .await?;
        if let Some((price, rate_currency)) = quoted
            && rate_currency == currency.code()
        {
            return Ok(ExchangeRate {
                token: token.to_owned(),
                currency,
                price,
            });
        }
        Ok(self.state.rates.rate(token, currency).await?)
    }

    /// Re-sends payouts not yet mined; completes those with their confirmations.
    async fn follow_up(&self, chain: &Arc<Chain>) -> anyhow::Result<usize> {
        let sent: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT session_id, tx_hash, raw_tx FROM settlements WHERE chain_id = $1 AND status = 'sent'",
        )
        .bind(chain.network.chain_id as i64)
        .fetch_all(&self.state.db)
        .await?;
        if sent.is_empty() {
            return Ok(0);
        }
        let (head, _) = chain.head().await?;
        let mut completed = 0;
        for (session, hash, raw) in sent {
            let Some(receipt) = chain.receipt(hash.parse()?).await? else {
                chain.broadcast(&raw.parse::<Bytes>()?).await?;
                continue;
            };
            if !receipt.status() {
                sqlx::query("UPDATE settlements SET status = 'failed', updated_at = $1 WHERE session_id = $2")
                    .bind(now_seconds())
                    .bind(&session)
                    .execute(&self.state.db)
                    .await?;
                tracing::error!(
                    session,
                    tx = hash,
                    "settlement transaction reverted (treasury short of funds?)"
                );
                continue;
            }
            let block = receipt.block_number.unwrap_or(head);
            if head + 1 < block + chain.network.confirmations {
                continue;
            }
            self.complete(&session, block).await?;
            completed += 1;
        }
        Ok(completed)
    }

    async fn complete(&self, session: &str, block: u64) -> anyhow::Result<()> {
        let mut tx = db::begin_write(&self.state.db).await?;
        sqlx::query("UPDATE settlements SET status = 'confirmed', block_number = $1, updated_at = $2 WHERE session_id = $3")
            .bind(block as i64)
            .bind(now_seconds())
            .bind(session)
            .execute(&mut *tx)
            .await?;
        let changed = sqlx::query("UPDATE sessions SET status = 'completed', updated_at = $1 WHERE id = $2 AND status = 'paid'")
            .bind(now_seconds())
            .bind(session)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 1 {
            let id = SessionId::parse(session)?;
            let loaded = sessions::load(&self.state, &mut tx, &id)
                .await
                .map_err(|e| anyhow::anyhow!("reloading {session}: {e}"))?;
            events::record(
                &mut tx,
                &loaded.merchant_id,
                EventType::SessionCompleted,
                &loaded.session,
            )
            .await?;
        }
        tx.commit().await?;
        self.state.announce();
        tracing::info!(session, "session completed: settlement confirmed");
        Ok(())
    }

    pub async fn run(self, shutdown: CancellationToken) {
        let every = Duration::from_millis(self.state.config.settlement.poll_ms);
        let mut leadership = Leadership::new(crate::leader::SETTLER_KEY);
        loop {
            // With several instances, one pays out (one nonce sequence per treasury).
            if !leadership.ensure(&self.state.db).await {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(every) => continue,
                }
            }
            if let Err(err) = self.tick().await {
                tracing::warn!(error = format!("{err:#}"), "settlement step failed");
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    }
}

#[derive(FromRow)]
struct SettlementRow {
    tx_hash: String,
    network: String,
    token: String,
    decimals: i64,
    amount_raw: String,
    address: String,
    fee_minor: String,
    fee_currency: String,
}

/// The settlement of a session, once confirmed, as the API shows it.
pub async fn of_session(
    conn: &mut Conn,
    session: &SessionId,
) -> anyhow::Result<Option<tender_protocol::Settlement>> {
    let row: Option<SettlementRow> = sqlx::query_as(
        "SELECT tx_hash, network, token, decimals, amount_raw, address, fee_minor, fee_currency
         FROM settlements WHERE session_id = $1 AND status = 'confirmed'",
    )
    .bind(session.as_str())
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        let amount: u128 = row.amount_raw.parse()?;
        Ok(tender_protocol::Settlement {
            tx_hash: row.tx_hash.parse()?,
            network: row.network,
            amount: format_units(amount, u32::try_from(row.decimals)?, 0),
            amount_raw: tender_protocol::RawAmount(amount),
            token: row.token,
            address: row.address.parse()?,
            fee: Money::from_minor(row.fee_minor.parse()?, row.fee_currency.parse()?),
        })
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(amount: &str) -> Money {
        Money::parse(amount, Currency::Usd).unwrap()
    }

    #[test]
    fn a_payout_is_the_amount_due_less_the_fee_at_the_rate_rounded_down() {
        let rate = ExchangeRate {
            token: "ETH".into(),
            currency: Currency::Usd,
            price: "2000".into(),
        };
        // 25.00 USD less 1% = 24.75 USD = 0.012375 ETH.
        let (units, fee) = payout(usd("25.00"), 100, Some(&rate), 18).unwrap();
        assert_eq!(units, 12_375_000_000_000_000);
        assert_eq!(fee, usd("0.25"));
        let stable = ExchangeRate {
            token: "TUSD".into(),
            currency: Currency::Usd,
            price: "1".into(),
        };
        let (units, fee) = payout(usd("10.00"), 0, Some(&stable), 6).unwrap();
        assert_eq!((units, fee.minor()), (10_000_000, 0));
        assert!(
            payout(usd("1.00"), 0, None, 18).is_none(),
            "fiat needs a rate"
        );
    }
}
