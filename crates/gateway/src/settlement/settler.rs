//! The settler ("cross-chain routing"): once a session is paid, the
//! treasury pays the merchant on the merchant's chosen network and token
//! (converted at the quote's rate when it is the token paid in, else at the
//! current rate, minus the configured fee); when that transaction has its
//! confirmations the session is `completed` and `session.completed` carries
//! it; refunds of payments owed by the merchant are taken off first. The
//! same loop moves paid deposits into the treasury (`chain::sweeps`) and
//! pays claimed refunds (`refunds::payer`).

use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::U256;
use anyhow::Context;
use sqlx::FromRow;
use tender_protocol::{Currency, EventType, ExchangeRate, Money, SessionId, SessionStatus};
use tokio_util::sync::CancellationToken;

use crate::chain::rpc::Chain;
use crate::chain::sender::{self, Request, Signer};
use crate::chain::sweeps;
use crate::checkout::{lifecycle, view};
use crate::clock::now_seconds;
use crate::db;
use crate::leader::{self, Leadership};
use crate::refunds;
use crate::settlement::payouts::{self, NewPayout};
use crate::settlement::{cover, debts};
use crate::state::AppState;

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcome {
    pub sent: usize,
    pub completed: usize,
    pub sweeps: usize,
    pub refunds: usize,
}

#[derive(FromRow)]
struct Due {
    session_id: String,
    merchant_id: String,
    amount_due_minor: String,
    currency: String,
    network: String,
    token: String,
    address: String,
}

/// Pays merchants out and sweeps deposits.
pub struct Settler {
    state: AppState,
    alarm: cover::Alarm,
}

/// Up to 20 paid sessions of merchants with a payout destination and no
/// settlement yet, oldest first.
pub const PAID_UNSETTLED: &str =
    "SELECT s.id AS session_id, s.merchant_id, s.amount_due_minor, s.currency, d.network,
            d.token, d.address
     FROM sessions s
     JOIN settlement_destinations d ON d.merchant_id = s.merchant_id
     LEFT JOIN settlements t ON t.session_id = s.id
     WHERE s.status = 'paid' AND t.session_id IS NULL
     ORDER BY s.updated_at LIMIT 20";

impl Settler {
    pub fn new(state: AppState) -> Self {
        Self {
            state,
            alarm: cover::Alarm::default(),
        }
    }

    /// One step: every network's transactions on (each row on its own: a
    /// failing one is logged and tried later, never holding up the others),
    /// then new payouts asked for.
    pub async fn tick(&self) -> anyhow::Result<Outcome> {
        let mut outcome = Outcome::default();
        for chain in self.state.chains.values() {
            let network = &chain.network.id;
            // Before sending: a shortfall is told before a node refuses.
            self.alarm.check(&self.state, chain).await;
            if let Err(err) = sender::follow(&self.state, chain).await {
                tracing::warn!(network = %network, error = format!("{err:#}"), "sending failed");
            }
            match self.follow_up(chain).await {
                Ok(n) => outcome.completed += n,
                Err(err) => {
                    tracing::warn!(network = %network, error = format!("{err:#}"), "payout follow-up failed")
                }
            }
            match sweeps::step(&self.state, chain).await {
                Ok(n) => outcome.sweeps += n,
                Err(err) => {
                    tracing::warn!(network = %network, error = format!("{err:#}"), "sweeping failed")
                }
            }
            match refunds::payer::step(&self.state, chain).await {
                Ok(n) => outcome.refunds += n,
                Err(err) => {
                    tracing::warn!(network = %network, error = format!("{err:#}"), "refunding failed")
                }
            }
        }
        outcome.sent += self.start().await?;
        Ok(outcome)
    }

    /// Asks the sender for the payout of each newly paid session.
    async fn start(&self) -> anyhow::Result<usize> {
        let due: Vec<Due> = sqlx::query_as(PAID_UNSETTLED)
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
        // A session paid within its underpayment tolerance pays out what came in.
        let received = {
            let mut conn = self.state.db.acquire().await?;
            let id = SessionId::parse(&row.session_id)?;
            view::reload(&self.state, &mut conn, &id)
                .await?
                .session
                .amount_received
        };
        let due = if received.minor() < due.minor() {
            received
        } else {
            due
        };
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
        let fee_bps = self.state.config.settlement.fee_bps;
        let net = due.minor() - due.minor() * u128::from(fee_bps) / 10_000;
        let mut tx = db::begin_write(&self.state.db).await?;
        // Refunds of this merchant's payments are paid back from its payouts.
        let taken = debts::repay(&mut tx, &row.merchant_id, currency, net).await?;
        let (units, fee) = payouts::payout(due, fee_bps, taken, rate.as_ref(), decimals)
            .ok_or_else(|| anyhow::anyhow!("cannot convert {due} into {}", row.token))?;
        let outgoing_id = if units == 0 {
            None
        } else {
            let request = Request {
                chain_id: chain.network.chain_id,
                signer: Signer::Treasury,
                purpose: "payout",
                to: row.address.parse()?,
                token: contract.map(|t| t.address.as_str().parse()).transpose()?,
                amount: U256::from(units),
                fee_cap: None,
                reference: &row.session_id,
            };
            Some(sender::request(&mut tx, &request).await?)
        };
        let payout = NewPayout {
            session_id: &row.session_id,
            network: &row.network,
            chain_id: chain.network.chain_id,
            token: &row.token,
            decimals,
            address: &row.address,
            units,
            fee,
            outgoing_id,
            debt_minor: taken,
        };
        if !payouts::store(&mut tx, &payout).await? {
            return Ok(());
        }
        if outgoing_id.is_none() {
            // Refunds owed took it all: the session is settled as it is.
            let id = SessionId::parse(&row.session_id)?;
            lifecycle::transition(
                &self.state,
                &mut tx,
                &id,
                &[SessionStatus::Paid],
                SessionStatus::Completed,
            )
            .await?;
        }
        tx.commit().await?;
        if outgoing_id.is_none() {
            self.state.announce();
        }
        tracing::info!(session = %row.session_id, amount = units, debt = taken, token = %row.token, "payout asked for");
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

    /// Completes payouts whose transactions have their confirmations; tries
    /// a reverted one again after a pause, up to the configured attempts,
    /// then fails it with `session.settlement_failed`.
    async fn follow_up(&self, chain: &Arc<Chain>) -> anyhow::Result<usize> {
        let open = payouts::open(&self.state.db, chain.network.chain_id).await?;
        if open.is_empty() {
            return Ok(0);
        }
        let head = chain.head().await?.number;
        let mut completed = 0;
        for payout in open {
            match self.follow_one(chain, head, &payout).await {
                Ok(true) => completed += 1,
                Ok(false) => {}
                Err(err) => {
                    tracing::warn!(session = %payout.session_id, error = format!("{err:#}"), "payout step failed")
                }
            }
        }
        Ok(completed)
    }

    async fn follow_one(
        &self,
        chain: &Chain,
        head: u64,
        payout: &payouts::Open,
    ) -> anyhow::Result<bool> {
        let settings = &self.state.config.settlement;
        if payout.status == "retrying" {
            if payout.next_try_at <= now_seconds() {
                self.again(chain, payout).await?;
            }
            return Ok(false);
        }
        let id = payout
            .outgoing_id
            .context("a sent payout has a transaction")?;
        let sent = sender::status(&self.state.db, id).await?;
        match sent.status.as_str() {
            "mined" => {
                let block = sent.block_number.unwrap_or(head as i64) as u64;
                if head + 1 < block + chain.network.confirmations {
                    return Ok(false);
                }
                let hash = sent.mined_hash.unwrap_or_default();
                self.complete(&payout.session_id, block, &hash).await?;
                Ok(true)
            }
            "reverted" | "void" => {
                let cause = format!("payout transaction {}", sent.status);
                if payout.attempts >= i64::from(settings.max_payout_attempts) {
                    self.give_up(&payout.session_id, &cause).await?;
                } else {
                    let pause = settings.retry_after_seconds as i64
                        * 2i64.saturating_pow((payout.attempts - 1).clamp(0, 16) as u32);
                    payouts::retry_at(
                        &self.state.db,
                        &payout.session_id,
                        now_seconds() + pause,
                        &cause,
                    )
                    .await?;
                    tracing::warn!(session = %payout.session_id, attempt = payout.attempts, pause, "payout reverted (treasury short of the token?); trying again");
                }
                Ok(false)
            }
            _ => Ok(false),
        }
    }

    /// Another attempt at a payout: a new transaction for the same amount.
    async fn again(&self, chain: &Chain, payout: &payouts::Open) -> anyhow::Result<()> {
        let (contract, _) = chain.network.token(&payout.token).ok_or_else(|| {
            anyhow::anyhow!("{} is not a token of {}", payout.token, chain.network.id)
        })?;
        let request = Request {
            chain_id: chain.network.chain_id,
            signer: Signer::Treasury,
            purpose: "payout",
            to: payout.address.parse()?,
            token: contract.map(|t| t.address.as_str().parse()).transpose()?,
            amount: payout.amount_raw.parse()?,
            fee_cap: None,
            reference: &payout.session_id,
        };
        let mut tx = db::begin_write(&self.state.db).await?;
        let outgoing_id = sender::request(&mut tx, &request).await?;
        payouts::resend(&mut tx, &payout.session_id, outgoing_id).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn give_up(&self, session: &str, cause: &str) -> anyhow::Result<()> {
        let id = SessionId::parse(session)?;
        let mut tx = db::begin_write(&self.state.db).await?;
        payouts::fail(&mut tx, session, cause).await?;
        lifecycle::record(
            &self.state,
            &mut tx,
            &id,
            EventType::SessionSettlementFailed,
        )
        .await?;
        tx.commit().await?;
        self.state.announce();
        tracing::error!(session, cause, "payout failed after its last attempt");
        Ok(())
    }

    async fn complete(&self, session: &str, block: u64, tx_hash: &str) -> anyhow::Result<()> {
        let id = SessionId::parse(session)?;
        let mut tx = db::begin_write(&self.state.db).await?;
        payouts::confirm(&mut tx, session, block, tx_hash).await?;
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
