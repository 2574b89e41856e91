//! The chain watcher: one per network. Each step reads the head, then for
//! every new block makes one block fetch (native transfers) and one log query
//! (every configured token's Transfer events) — whatever the number of open
//! quotes — plus one receipt per matched transaction, for its gas fee. The
//! cursor and recent block hashes are persisted: blocks missed while the
//! gateway was down are scanned on restart, and a reorg is noticed, its
//! orphaned payments dropped and the new branch scanned.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use crate::db::Conn;
use alloy::consensus::Transaction as _;
use alloy::network::TransactionResponse as _;
use alloy::primitives::{Address as EvmAddress, B256, U256};
use alloy::providers::{Provider, ProviderBuilder, WsConnect};
use alloy::rpc::types::Block;
use anyhow::Context;
use futures_util::StreamExt;
use tender_protocol::Address;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::chain::{Chain, TRANSFER_TOPIC};
use crate::clock::now_seconds;
use crate::leader::Leadership;
use crate::state::AppState;
use crate::{db, payments};

/// Blocks scanned per step at most, so a long backlog is worked off in
/// bounded steps.
pub const MAX_BLOCKS_PER_STEP: u64 = 100;
/// Block hashes kept per chain: reorgs deeper than this are not followed.
const KEEP_HASHES: i64 = 256;
/// Quotes stay watched this long after they were made, so late payments are
/// still seen.
const WATCH_WINDOW_SECONDS: i64 = 7 * 24 * 3600;

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcome {
    pub head: u64,
    pub blocks_scanned: u64,
    pub payments_found: usize,
    pub payments_confirmed: usize,
    /// Blocks rolled back by a reorg.
    pub reorged: u64,
}

/// A quote the watcher looks for, by deposit address.
#[derive(Debug, Clone)]
struct Watched {
    quote_id: String,
    session_id: String,
    token: String,
    /// The token's contract; `None` for the native token.
    contract: Option<EvmAddress>,
}

/// The deposit addresses being watched, loaded incrementally: each step
/// reads only the quotes made since the last (by their deposit index, which
/// grows with every quote), and everything again now and then, which also
/// lets old sessions fall out of the window.
struct WatchSet {
    by_address: HashMap<Address, Watched>,
    /// The highest deposit index loaded (indexes start at 0).
    high_water: i64,
    loaded_at: Option<std::time::Instant>,
}

impl Default for WatchSet {
    fn default() -> Self {
        Self {
            by_address: HashMap::new(),
            high_water: -1,
            loaded_at: None,
        }
    }
}

/// How often the watch set is read whole again.
const FULL_RELOAD: Duration = Duration::from_secs(600);

/// Watches one network.
pub struct Watcher {
    state: AppState,
    chain: Arc<Chain>,
    wake: Arc<Notify>,
    watch_set: tokio::sync::Mutex<WatchSet>,
}

fn evm(address: &Address) -> EvmAddress {
    address.as_str().parse().expect("a checked address parses")
}

fn ours(address: EvmAddress) -> Address {
    Address::parse(&address.to_string()).expect("alloy formats addresses as 0x hex")
}

impl Watcher {
    pub fn new(state: AppState, chain: Arc<Chain>) -> Self {
        Self {
            state,
            chain,
            wake: Arc::new(Notify::new()),
            watch_set: tokio::sync::Mutex::default(),
        }
    }

    fn chain_id(&self) -> i64 {
        self.chain.network.chain_id as i64
    }

    /// One step: roll back a reorg if there is one, scan new blocks, then
    /// confirm what has enough confirmations.
    pub async fn tick(&self) -> anyhow::Result<Outcome> {
        let (head, head_hash) = self.chain.head().await?;
        let mut outcome = Outcome {
            head,
            ..Outcome::default()
        };
        let Some((cursor, cursor_hash)) = self.cursor().await? else {
            // A fresh gateway starts at the current head: there is nothing
            // to find before its first quote.
            let mut tx = db::begin_write(&self.state.db).await?;
            self.advance(&mut tx, head, head_hash).await?;
            tx.commit().await?;
            return Ok(outcome);
        };
        if head < cursor || (head == cursor && head_hash != cursor_hash) {
            // Same height, other hash (or a shorter chain): the tip was replaced.
            outcome.reorged = self.roll_back(cursor.min(head)).await?;
            return Ok(outcome);
        }
        // Load the watch set after reading the head: any quote a payment at
        // or below `head` was made to already exists now.
        let watched = self.watched().await?;
        let last = head.min(cursor + MAX_BLOCKS_PER_STEP);
        let mut parent = cursor_hash;
        for number in cursor + 1..=last {
            let block = self.chain.block(number).await?;
            if block.header.parent_hash != parent {
                outcome.reorged = self.roll_back(number - 1).await?;
                return Ok(outcome);
            }
            parent = block.header.hash;
            outcome.payments_found += self.scan(&block, &watched.by_address).await?;
            outcome.blocks_scanned += 1;
        }
        outcome.payments_confirmed = self.confirm(head).await?;
        Ok(outcome)
    }

    async fn cursor(&self) -> anyhow::Result<Option<(u64, B256)>> {
        let row: Option<(i64, String)> = sqlx::query_as(
            "SELECT block_number, block_hash FROM chain_cursors WHERE chain_id = $1",
        )
        .bind(self.chain_id())
        .fetch_optional(&self.state.db)
        .await?;
        row.map(|(n, h)| Ok((n as u64, h.parse()?))).transpose()
    }

    /// Moves the cursor to block `number` and remembers its hash.
    async fn advance(&self, conn: &mut Conn, number: u64, hash: B256) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO chain_cursors (chain_id, block_number, block_hash) VALUES ($1, $2, $3)
             ON CONFLICT (chain_id) DO UPDATE SET block_number = excluded.block_number,
                                                  block_hash = excluded.block_hash",
        )
        .bind(self.chain_id())
        .bind(number as i64)
        .bind(hash.to_string())
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO chain_blocks (chain_id, number, hash) VALUES ($1, $2, $3)
             ON CONFLICT (chain_id, number) DO UPDATE SET hash = excluded.hash",
        )
        .bind(self.chain_id())
        .bind(number as i64)
        .bind(hash.to_string())
        .execute(&mut *conn)
        .await?;
        sqlx::query("DELETE FROM chain_blocks WHERE chain_id = $1 AND number < $2")
            .bind(self.chain_id())
            .bind(number as i64 - KEEP_HASHES)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// The watch set, brought up to date.
    async fn watched(&self) -> anyhow::Result<tokio::sync::MutexGuard<'_, WatchSet>> {
        let mut set = self.watch_set.lock().await;
        if set.loaded_at.is_none_or(|at| at.elapsed() > FULL_RELOAD) {
            *set = WatchSet {
                loaded_at: Some(std::time::Instant::now()),
                ..WatchSet::default()
            };
        }
        let rows: Vec<(String, String, String, String, Option<String>, i64)> = sqlx::query_as(
            "SELECT deposit_address, id, session_id, token, token_address, deposit_index
             FROM quotes
             WHERE deposit_index > $3 AND chain_id = $1 AND created_at >= $2",
        )
        .bind(self.chain_id())
        .bind(now_seconds() - WATCH_WINDOW_SECONDS)
        .bind(set.high_water)
        .fetch_all(&self.state.db)
        .await?;
        for (address, quote_id, session_id, token, contract, index) in rows {
            let watched = Watched {
                quote_id,
                session_id,
                token,
                contract: contract.map(|c| c.parse()).transpose()?,
            };
            set.by_address.insert(Address::parse(&address)?, watched);
            set.high_water = set.high_water.max(index);
        }
        Ok(set)
    }

    /// Records transfers into watched addresses in `block` and moves the
    /// cursor past it, in one transaction. Returns how many were new.
    async fn scan(
        &self,
        block: &Block,
        watched: &HashMap<Address, Watched>,
    ) -> anyhow::Result<usize> {
        let number = block.header.number;
        let treasury = self.state.treasury.address();
        let mut seen = Vec::new();
        for tx in block.transactions.txns() {
            let Some(to) = tx.to() else { continue };
            // The treasury funding gas for a token sweep is not a payment.
            if tx.from() == treasury || tx.value().is_zero() {
                continue;
            }
            if let Some(target) = watched.get(&ours(to)).filter(|w| w.contract.is_none()) {
                seen.push((target.clone(), tx.tx_hash(), -1, tx.value(), tx.from()));
            }
        }
        let contracts: Vec<EvmAddress> = self
            .chain
            .network
            .tokens
            .iter()
            .map(|t| evm(&t.address))
            .collect();
        if !contracts.is_empty() && !watched.is_empty() {
            for log in self.chain.transfers(block.header.hash, &contracts).await? {
                let topics = log.topics();
                if topics.len() != 3 || topics[0] != TRANSFER_TOPIC {
                    continue;
                }
                let from = EvmAddress::from_word(topics[1]);
                let to = EvmAddress::from_word(topics[2]);
                let Some(target) = watched
                    .get(&ours(to))
                    .filter(|w| w.contract == Some(log.address()))
                else {
                    continue;
                };
                let value = U256::from_be_slice(log.data().data.as_ref());
                let (Some(hash), Some(index)) = (log.transaction_hash, log.log_index) else {
                    continue;
                };
                if from != treasury && !value.is_zero() {
                    seen.push((target.clone(), hash, index as i64, value, from));
                }
            }
        }
        // One receipt per matched transaction: its status and gas fee.
        let mut fees = HashMap::new();
        let hashes: HashSet<B256> = seen.iter().map(|(_, h, ..)| *h).collect();
        for hash in hashes {
            let receipt = self
                .chain
                .receipt(hash)
                .await?
                .with_context(|| format!("no receipt for {hash}"))?;
            if receipt.status() {
                fees.insert(
                    hash,
                    u128::from(receipt.gas_used) * receipt.effective_gas_price,
                );
            }
        }
        let mut tx = db::begin_write(&self.state.db).await?;
        let mut recorded = 0;
        for (target, hash, log_index, value, from) in seen {
            let Some(fee) = fees.get(&hash) else { continue };
            let payment = payments::Seen {
                session_id: target.session_id,
                quote_id: target.quote_id,
                chain_id: self.chain_id(),
                tx_hash: hash.to_string(),
                log_index,
                token: target.token,
                amount_raw: value.to_string(),
                from: from.to_string(),
                block_number: number as i64,
                block_hash: block.header.hash.to_string(),
                gas_fee_raw: fee.to_string(),
            };
            if payments::record(&self.state, &mut tx, &payment).await? {
                recorded += 1;
            }
        }
        self.advance(&mut tx, number, block.header.hash).await?;
        tx.commit().await?;
        // Every block changes confirmations; shoppers' pages want to know.
        self.state.announce();
        Ok(recorded)
    }

    /// Walks back from `from` to the newest block whose stored hash the chain
    /// still has, drops the payments above it that are not yet confirmed,
    /// and puts the cursor there; the next steps scan the new branch.
    async fn roll_back(&self, from: u64) -> anyhow::Result<u64> {
        let mut number = from;
        let ancestor = loop {
            let stored: Option<String> = sqlx::query_scalar(
                "SELECT hash FROM chain_blocks WHERE chain_id = $1 AND number = $2",
            )
            .bind(self.chain_id())
            .bind(number as i64)
            .fetch_optional(&self.state.db)
            .await?;
            let Some(stored) = stored else {
                anyhow::bail!(
                    "{}: reorg deeper than the {KEEP_HASHES} remembered blocks (at {number}); not followed",
                    self.chain.network.id
                );
            };
            let hash = self.chain.block_hash(number).await?;
            if hash.to_string() == stored {
                break (number, hash);
            }
            number = number.checked_sub(1).context("reorg below genesis")?;
        };
        let mut tx = db::begin_write(&self.state.db).await?;
        let dropped: Vec<(String, String, String)> = sqlx::query_as(
            "DELETE FROM payments WHERE chain_id = $1 AND block_number > $2
             RETURNING session_id, tx_hash, status",
        )
        .bind(self.chain_id())
        .bind(ancestor.0 as i64)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM chain_blocks WHERE chain_id = $1 AND number > $2")
            .bind(self.chain_id())
            .bind(ancestor.0 as i64)
            .execute(&mut *tx)
            .await?;
        self.advance(&mut tx, ancestor.0, ancestor.1).await?;
        let mut sessions: Vec<&String> = dropped.iter().map(|(s, ..)| s).collect();
        sessions.sort();
        sessions.dedup();
        for session in sessions {
            payments::reconcile(&self.state, &mut tx, session, payments::Trigger::Dropped).await?;
        }
        tx.commit().await?;
        self.state.announce();
        for (session, hash, status) in &dropped {
            if status == "confirmed" {
                tracing::error!(
                    session,
                    tx = hash,
                    "a reorg dropped a CONFIRMED payment; raise this network's confirmations"
                );
            } else {
                tracing::warn!(session, tx = hash, "a reorg dropped an unconfirmed payment");
            }
        }
        let depth = from - ancestor.0;
        tracing::warn!(network = %self.chain.network.id, depth, ancestor = ancestor.0, "reorg");
        Ok(depth)
    }

    /// Confirms pending payments with enough confirmations at `head`.
    async fn confirm(&self, head: u64) -> anyhow::Result<usize> {
        // Included in block b, a payment has head - b + 1 confirmations.
        let deepest = head as i64 + 1 - self.chain.network.confirmations as i64;
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
        self.state.announce();
        Ok(due.len())
    }

    /// Wakes the loop on every new head the WebSocket announces; reconnects
    /// with backoff. Polling goes on regardless, so a dead socket only costs
    /// latency.
    async fn follow_heads(
        url: url::Url,
        wake: Arc<Notify>,
        network: String,
        shutdown: CancellationToken,
    ) {
        let mut backoff = Duration::from_millis(500);
        loop {
            let connected = async {
                let provider = ProviderBuilder::new()
                    .disable_recommended_fillers()
                    .connect_ws(WsConnect::new(url.as_str()))
                    .await?;
                let mut heads = provider.subscribe_blocks().await?.into_stream();
                tracing::info!(network, "following new heads over WebSocket");
                while heads.next().await.is_some() {
                    wake.notify_one();
                }
                anyhow::Ok(())
            };
            tokio::select! {
                () = shutdown.cancelled() => return,
                result = connected => {
                    if let Err(err) = result {
                        tracing::warn!(network, error = format!("{err:#}"), "WebSocket new heads unavailable; polling");
                    }
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(30));
        }
    }

    /// Steps until cancelled: on each announced head, else every poll
    /// interval; errors are logged and retried with backoff.
    pub async fn run(self, shutdown: CancellationToken) {
        if let Some(url) = self.chain.network.ws_url.clone() {
            tokio::spawn(Self::follow_heads(
                url,
                self.wake.clone(),
                self.chain.network.id.clone(),
                shutdown.clone(),
            ));
        }
        let poll = self.state.config.watcher_poll();
        let mut backoff = poll;
        let mut leadership =
            Leadership::new(crate::leader::watcher_key(self.chain.network.chain_id));
        loop {
            // With several instances, one watches each network.
            if !leadership.ensure(&self.state.db).await {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(poll) => continue,
                }
            }
            let pause = match self.tick().await {
                Ok(outcome) => {
                    if outcome.blocks_scanned > 0 || outcome.reorged > 0 {
                        tracing::debug!(network = %self.chain.network.id, ?outcome, "watcher step");
                    }
                    backoff = poll;
                    let behind =
                        outcome.blocks_scanned == MAX_BLOCKS_PER_STEP || outcome.reorged > 0;
                    if behind { Duration::ZERO } else { poll }
                }
                Err(err) => {
                    tracing::warn!(network = %self.chain.network.id, error = format!("{err:#}"), "watcher step failed");
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                    backoff
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
}
