//! The chain watcher: one per network. Each step fetches the blocks after the
//! persisted cursor (one block fetch each, whatever the number of open
//! quotes), records transfers into deposit addresses, then confirms payments
//! that have the network's required confirmations.

use std::collections::HashMap;
use std::time::Duration;

use alloy::consensus::Transaction as _;
use alloy::eips::BlockNumberOrTag;
use alloy::network::TransactionResponse as _;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use anyhow::Context;
use sqlx::FromRow;
use tender_protocol::Address;
use tokio_util::sync::CancellationToken;

use crate::clock::now_seconds;
use crate::config::NetworkConfig;
use crate::state::AppState;
use crate::{db, payments};

/// Blocks scanned per step at most, so a long backlog is worked off in
/// bounded steps.
const MAX_BLOCKS_PER_STEP: u64 = 200;
/// Quotes stay watched this long after their session was created, so late
/// payments are still seen.
const WATCH_WINDOW_SECONDS: i64 = 7 * 24 * 3600;

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub head: u64,
    pub blocks_scanned: u64,
    pub payments_found: usize,
    pub payments_confirmed: usize,
}

/// Watches one network.
pub struct Watcher {
    state: AppState,
    network: NetworkConfig,
    provider: DynProvider,
}

/// A deposit address the watcher looks for, and the quote it belongs to.
#[derive(FromRow, Clone)]
struct Watched {
    quote_id: String,
    session_id: String,
    token: String,
}

impl Watcher {
    pub fn new(state: AppState, network: NetworkConfig) -> Self {
        let provider = ProviderBuilder::new()
            .disable_recommended_fillers()
            .connect_http(network.rpc_url.clone())
            .erased();
        Self {
            state,
            network,
            provider,
        }
    }

    fn chain_id(&self) -> i64 {
        self.network.chain_id as i64
    }

    /// One step: scan new blocks, then confirm what has enough confirmations.
    pub async fn tick(&self) -> anyhow::Result<Outcome> {
        let head = self
            .provider
            .get_block_number()
            .await
            .with_context(|| format!("{}: eth_blockNumber", self.network.id))?;
        // Load the watch set after reading the head: any quote a payment at or
        // below `head` was made to already exists now.
        let watched = self.watched().await?;
        let cursor: Option<(i64,)> =
            sqlx::query_as("SELECT block_number FROM chain_cursors WHERE chain_id = $1")
                .bind(self.chain_id())
                .fetch_optional(&self.state.db)
                .await?;
        // A fresh gateway starts at the current head: there is nothing to
        // find before its first quote.
        let first = cursor.map_or(head, |(n,)| n as u64 + 1);
        let last = head.min(first.saturating_add(MAX_BLOCKS_PER_STEP - 1));
        let mut found = 0;
        for number in first..=last {
            if first > head {
                break;
            }
            found += self.scan_block(number, &watched).await?;
        }
        let confirmed = self.confirm(head).await?;
        Ok(Outcome {
            head,
            blocks_scanned: if first > head { 0 } else { last - first + 1 },
            payments_found: found,
            payments_confirmed: confirmed,
        })
    }

    async fn watched(&self) -> anyhow::Result<HashMap<Address, Watched>> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT q.deposit_address, q.id, q.session_id, q.token
             FROM quotes q JOIN sessions s ON s.id = q.session_id
             WHERE q.chain_id = $1 AND s.created_at >= $2",
        )
        .bind(self.chain_id())
        .bind(now_seconds() - WATCH_WINDOW_SECONDS)
        .fetch_all(&self.state.db)
        .await?;
        rows.into_iter()
            .map(|(address, quote_id, session_id, token)| {
                Ok((
                    Address::parse(&address)?,
                    Watched {
                        quote_id,
                        session_id,
                        token,
                    },
                ))
            })
            .collect()
    }

    /// Records native transfers into watched addresses in block `number` and
    /// moves the cursor past it, in one transaction.
    async fn scan_block(
        &self,
        number: u64,
        watched: &HashMap<Address, Watched>,
    ) -> anyhow::Result<usize> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .full()
            .await
            .with_context(|| format!("{}: eth_getBlockByNumber({number})", self.network.id))?
            .with_context(|| format!("{}: block {number} not found", self.network.id))?;
        let mut matches = Vec::new();
        for tx in block.transactions.txns() {
            let Some(to) = tx.to() else { continue };
            let to = Address::parse(&to.to_string())?;
            let Some(target) = watched.get(&to) else {
                continue;
            };
            if tx.value().is_zero() {
                continue;
            }
            let receipt = self
                .provider
                .get_transaction_receipt(tx.tx_hash())
                .await?
                .with_context(|| format!("no receipt for {}", tx.tx_hash()))?;
            if !receipt.status() {
                continue;
            }
            let gas_fee = u128::from(receipt.gas_used) * receipt.effective_gas_price;
            matches.push(payments::Seen {
                session_id: target.session_id.clone(),
                quote_id: target.quote_id.clone(),
                chain_id: self.chain_id(),
                tx_hash: tx.tx_hash().to_string(),
                log_index: -1,
                token: target.token.clone(),
                amount_raw: tx.value().to_string(),
                from: tx.from().to_string(),
                block_number: number as i64,
                block_hash: block.header.hash.to_string(),
                gas_fee_raw: gas_fee.to_string(),
            });
        }
        let mut tx = db::begin_write(&self.state.db).await?;
        let mut recorded = 0;
        for seen in &matches {
            if payments::record(&self.state, &mut tx, seen).await? {
                recorded += 1;
            }
        }
        sqlx::query(
            "INSERT INTO chain_cursors (chain_id, block_number, block_hash) VALUES ($1, $2, $3)
             ON CONFLICT (chain_id) DO UPDATE SET block_number = excluded.block_number,
                                                  block_hash = excluded.block_hash",
        )
        .bind(self.chain_id())
        .bind(number as i64)
        .bind(block.header.hash.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if recorded > 0 {
            self.state.outbox.notify_one();
        }
        Ok(recorded)
    }

    /// Confirms pending payments with enough confirmations at `head`.
    async fn confirm(&self, head: u64) -> anyhow::Result<usize> {
        // Included in block b, a payment has head - b + 1 confirmations.
        let deepest = head as i64 + 1 - self.network.confirmations as i64;
        let due: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, session_id FROM payments
             WHERE chain_id = $1 AND status = 'pending' AND block_number <= $2",
        )
        .bind(self.chain_id())
        .bind(deepest)
        .fetch_all(&self.state.db)
        .await?;
        if due.is_empty() {
            return Ok(0);
        }
        let mut tx = db::begin_write(&self.state.db).await?;
        for (id, _) in &due {
            sqlx::query("UPDATE payments SET status = 'confirmed' WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let mut sessions: Vec<&String> = due.iter().map(|(_, s)| s).collect();
        sessions.sort();
        sessions.dedup();
        for session in sessions {
            payments::reconcile(&self.state, &mut tx, session, payments::Trigger::Confirmed)
                .await?;
        }
        tx.commit().await?;
        self.state.outbox.notify_one();
        Ok(due.len())
    }

    /// Steps until cancelled, every poll interval; errors are logged and
    /// retried with backoff.
    pub async fn run(self, shutdown: CancellationToken) {
        let poll = self.state.config.watcher_poll();
        let mut backoff = poll;
        loop {
            let pause = match self.tick().await {
                Ok(outcome) => {
                    if outcome.blocks_scanned > 0 {
                        tracing::debug!(network = %self.network.id, ?outcome, "watcher step");
                    }
                    backoff = poll;
                    if outcome.blocks_scanned == MAX_BLOCKS_PER_STEP {
                        Duration::ZERO
                    } else {
                        poll
                    }
                }
                Err(err) => {
                    tracing::warn!(network = %self.network.id, error = format!("{err:#}"), "watcher step failed");
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                    backoff
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
}
