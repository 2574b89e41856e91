//! The settler ("cross-chain routing"): once a session is paid, the
//! treasury pays the merchant on the merchant's chosen network and token
//! (converted at the quote's rate when it is the token paid in, else at the
//! current rate, minus the configured fee); when that transaction has its
//! confirmations the session is `completed` and `session.completed` carries
//! it. The same loop moves paid deposits into the treasury (`chain::sweeps`).

use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::{Bytes, U256};
use sqlx::FromRow;
use tender_protocol::{Currency, ExchangeRate, Money, SessionId, SessionStatus};
use tokio_util::sync::CancellationToken;

use crate::chain::rpc::Chain;
use crate::chain::sweeps;
use crate::chain::treasury::{self, Transfer};
use crate::checkout::lifecycle;
use crate::db;
use crate::leader::{self, Leadership};
use crate::settlement::payouts::{self, NewPayout};
use crate::state::AppState;

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
        let (units, fee) = payouts::payout(
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
        let payout = NewPayout {
            session_id: &row.session_id,
            network: &row.network,
            chain_id: chain.network.chain_id,
            token: &row.token,
            decimals,
            address: &row.address,
            units,
            fee,
            nonce: transfer.nonce,
            signed: &signed,
        };
        if payouts::store(&self.state.db, &payout).await? {
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
        let sent = payouts::in_flight(&self.state.db, chain.network.chain_id).await?;
        if sent.is_empty() {
            return Ok(0);
        }
        let head = chain.head().await?.number;
        let mut completed = 0;
        for (session, hash, raw) in sent {
            let Some(receipt) = chain.receipt(hash.parse()?).await? else {
                chain.broadcast(&raw.parse::<Bytes>()?).await?;
                continue;
            };
            if !receipt.status() {
                payouts::fail(&self.state.db, &session).await?;
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
        let id = SessionId::parse(session)?;
        let mut tx = db::begin_write(&self.state.db).await?;
        payouts::confirm(&mut tx, session, block).await?;
        lifecycle::transition(
            &self.state,
            &mut tx,
            &id,
            &[SessionStatus::Paid],
            SessionStatus::Completed,
        )
        .await?;
        tx.commit().await?;
        self.state.announce();
        tracing::info!(session, "session completed: settlement confirmed");
        Ok(())
    }

    pub async fn run(self, shutdown: CancellationToken) {
        let every = Duration::from_millis(self.state.config.settlement.poll_ms);
        let mut leadership = Leadership::new(leader::SETTLER_KEY);
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
