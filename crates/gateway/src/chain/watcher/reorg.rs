//! Following a reorg: walk back from where the chain and our remembered
//! hashes disagree to the newest block they still share, drop the payments
//! above it (their sessions move back), and put the cursor there; the next
//! steps scan the new branch.

use crate::chain::rpc::Chain;
use crate::chain::watcher::cursor::{self, KEEP_HASHES};
use crate::checkout::{payments, strays};
use crate::db;
use crate::state::AppState;

/// Rolls back from block `from`; answers how many blocks were rolled back.
pub async fn roll_back(state: &AppState, chain: &Chain, from: u64) -> anyhow::Result<u64> {
    let chain_id = chain.network.chain_id as i64;
    let mut number = from;
    let ancestor = loop {
        let block = chain.block_ref(number).await?;
        match cursor::stored_hash(&state.db, chain_id, number).await? {
            Some(stored) if stored == block.hash.to_string() => break block,
            Some(_) => {}
            // Below what we remember: fine if nothing of ours is there (the
            // blocks before this gateway's first), else it cannot be checked.
            None if !payments::any_at_or_below(&state.db, chain_id, number).await? => {
                break block;
            }
            None => anyhow::bail!(
                "{}: reorg deeper than the {KEEP_HASHES} remembered blocks (at {number}); not followed",
                chain.network.id
            ),
        }
        number = number
            .checked_sub(1)
            .ok_or_else(|| anyhow::anyhow!("reorg below genesis"))?;
    };
    let mut tx = db::begin_write(&state.db).await?;
    cursor::rewind(&mut tx, chain_id, ancestor).await?;
    let dropped = payments::drop_above(state, &mut tx, chain_id, ancestor.number as i64).await?;
    strays::drop_above(&mut tx, chain_id, ancestor.number as i64).await?;
    tx.commit().await?;
    state.announce();
    for payment in &dropped {
        if payment.was_confirmed {
            tracing::error!(
                session = payment.session_id,
                tx = payment.tx_hash,
                "a reorg dropped a CONFIRMED payment; raise this network's confirmations"
            );
        } else {
            tracing::warn!(
                session = payment.session_id,
                tx = payment.tx_hash,
                "a reorg dropped an unconfirmed payment"
            );
        }
    }
    let depth = from - ancestor.number;
    tracing::warn!(network = %chain.network.id, depth, ancestor = ancestor.number, "reorg");
    Ok(depth)
}
