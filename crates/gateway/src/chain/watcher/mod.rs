//! The chain watcher, one per network. Each step reads the head, then for
//! every new block one block fetch and one log query (`scan`), whatever the
//! number of watched deposit addresses (`watch_set`), and records what it
//! found with the cursor (`cursor`) in one transaction; a block whose parent
//! is not the block we have means a reorg (`reorg`). Then it confirms what
//! has enough confirmations. New heads over WebSocket (`heads`) wake it;
//! it polls regardless.

pub mod cursor;
pub mod heads;
pub mod reorg;
pub mod scan;
pub mod watch_set;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, Notify};
use tokio_util::sync::CancellationToken;

use crate::chain::rpc::{BlockRef, Chain};
use crate::checkout::{payments, strays};
use crate::db;
use crate::leader::{self, Leadership};
use crate::state::AppState;
use watch_set::WatchSet;

/// Blocks scanned per step at most, so a long backlog is worked off in
/// bounded steps.
pub const MAX_BLOCKS_PER_STEP: u64 = 100;

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcome {
    pub head: u64,
    pub blocks_scanned: u64,
    pub payments_found: usize,
    pub payments_confirmed: usize,
    /// Blocks rolled back by a reorg.
    pub reorged: u64,
    /// The node's head was below the cursor: nothing was done.
    pub lagging: bool,
}

/// Watches one network.
pub struct Watcher {
    state: AppState,
    chain: Arc<Chain>,
    wake: Arc<Notify>,
    watch_set: Mutex<WatchSet>,
}

impl Watcher {
    pub fn new(state: AppState, chain: Arc<Chain>) -> Self {
        Self {
            state,
            chain,
            wake: Arc::new(Notify::new()),
            watch_set: Mutex::default(),
        }
    }

    fn chain_id(&self) -> i64 {
        self.chain.network.chain_id as i64
    }

    /// One step: roll back a reorg if there is one, scan new blocks, then
    /// confirm what has enough confirmations.
    pub async fn tick(&self) -> anyhow::Result<Outcome> {
        let head_block = self.chain.head().await?;
        let (head, head_hash) = (head_block.number, head_block.hash);
        let mut outcome = Outcome {
            head,
            ..Outcome::default()
        };
        let Some(cursor) = cursor::read(&self.state.db, self.chain_id()).await? else {
            // A fresh gateway starts at the current head: there is nothing
            // to find before its first quote.
            let mut tx = db::begin_write(&self.state.db).await?;
            cursor::advance(&mut tx, self.chain_id(), head_block).await?;
            tx.commit().await?;
            return Ok(outcome);
        };
        let (at, at_hash) = (cursor.number, cursor.hash);
        if head < at {
            // A node behind our cursor (lagging, or another node behind a
            // load balancer) is not a reorg: wait until it catches up. A
            // real reorg shows as a block whose parent we do not have.
            tracing::debug!(network = %self.chain.network.id, head, cursor = at, "node behind the cursor; waiting");
            outcome.lagging = true;
            return Ok(outcome);
        }
        if head == at && head_hash != at_hash {
            // Same height, other hash: the tip was replaced.
            outcome.reorged = reorg::roll_back(&self.state, &self.chain, at).await?;
            return Ok(outcome);
        }
        // Load the watch set after reading the head: any quote a payment at
        // or below `head` was made to already exists now.
        let mut watched = self.watch_set.lock().await;
        watched.refresh(&self.state.db).await?;
        let last = head.min(at + MAX_BLOCKS_PER_STEP);
        let mut parent = at_hash;
        for number in at + 1..=last {
            let block = self.chain.block(number).await?;
            if block.header.parent_hash != parent {
                outcome.reorged = reorg::roll_back(&self.state, &self.chain, number - 1).await?;
                return Ok(outcome);
            }
            parent = block.header.hash;
            let treasury = self.state.treasury.address();
            let found = scan::payments(&self.chain, treasury, &block, &watched.by_address).await?;
            outcome.payments_found += self.record(&found, BlockRef::of(&block)).await?;
            outcome.blocks_scanned += 1;
        }
        drop(watched);
        // Included in block b, a payment has head - b + 1 confirmations.
        let deepest = head as i64 + 1 - self.chain.network.confirmations as i64;
        outcome.payments_confirmed =
            payments::confirm(&self.state, self.chain_id(), deepest).await?;
        Ok(outcome)
    }

    /// Records a block's payments and moves the cursor past it, in one
    /// transaction. Answers how many payments were new.
    async fn record(&self, found: &scan::Found, block: BlockRef) -> anyhow::Result<usize> {
        let mut tx = db::begin_write(&self.state.db).await?;
        for unknown in &found.unknown {
            strays::record(&mut tx, unknown).await?;
        }
        let mut recorded = 0;
        for payment in &found.payments {
            if payments::record(&self.state, &mut tx, payment).await? {
                recorded += 1;
            }
        }
        cursor::advance(&mut tx, self.chain_id(), block).await?;
        tx.commit().await?;
        // Every block changes confirmations; shoppers' pages want to know.
        self.state.announce();
        Ok(recorded)
    }

    /// Steps until cancelled: on each announced head, else every poll
    /// interval; errors are logged and retried with backoff.
    pub async fn run(self, shutdown: CancellationToken) {
        if let Some(url) = self.chain.network.ws_url.clone() {
            tokio::spawn(heads::follow(
                url,
                self.wake.clone(),
                self.chain.network.id.clone(),
                shutdown.clone(),
            ));
        }
        let poll = self.state.config.watcher_poll();
        let mut backoff = poll;
        let mut leadership = Leadership::new(leader::watcher_key(self.chain.network.chain_id));
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
