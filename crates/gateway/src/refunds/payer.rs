//! Paying claimed refunds: the treasury sends each through the sender (the
//! same nonce-safe way as payouts), and the refund is `completed` when the
//! transaction has its confirmations, `failed` if it reverts. A refund of a
//! payment becomes the merchant's debt, taken off its next payouts.

use alloy::primitives::Address as EvmAddress;
use tender_protocol::{EventType, RefundSource, RefundStatus};

use crate::chain::rpc::Chain;
use crate::chain::sender::{self, Request, Signer};
use crate::db;
use crate::refunds::store::{self, COLUMNS, Move, Row};
use crate::settlement::debts;
use crate::state::AppState;

/// Moves the claimed refunds of `chain` on; answers how many completed.
/// Each refund fails on its own.
pub async fn step(state: &AppState, chain: &Chain) -> anyhow::Result<usize> {
    let claimed: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM refunds WHERE chain_id = $1 AND status = 'claimed'"
    )))
    .bind(chain.network.chain_id as i64)
    .fetch_all(&state.db)
    .await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let head = chain.head().await?.number;
    let mut completed = 0;
    for refund in claimed {
        match advance(state, chain, head, &refund).await {
            Ok(true) => completed += 1,
            Ok(false) => {}
            Err(err) => {
                tracing::warn!(refund = %refund.id, error = format!("{err:#}"), "refund step failed")
            }
        }
    }
    if completed > 0 {
        state.announce();
    }
    Ok(completed)
}

async fn advance(state: &AppState, chain: &Chain, head: u64, refund: &Row) -> anyhow::Result<bool> {
    let Some(outgoing) = refund.outgoing_id else {
        let token: Option<EvmAddress> = refund
            .token_address
            .as_deref()
            .map(str::parse)
            .transpose()?;
        let destination = refund
            .destination
            .as_deref()
            .ok_or_else(|| anyhow::anyhow!("a claimed refund without a destination"))?;
        let request = Request {
            chain_id: chain.network.chain_id,
            signer: Signer::Treasury,
            purpose: "refund",
            to: destination.parse()?,
            token,
            amount: refund
                .amount_raw()?
                .ok_or_else(|| anyhow::anyhow!("a claimed refund without an amount"))?
                .try_into()?,
            fee_cap: None,
            reference: &refund.id,
        };
        let mut tx = db::begin_write(&state.db).await?;
        let id = sender::request(&mut tx, &request).await?;
        store::attach(&mut tx, &refund.id, id).await?;
        tx.commit().await?;
        return Ok(false);
    };
    let sent = sender::status(&state.db, outgoing).await?;
    match sent.status.as_str() {
        "mined" => {
            let block = sent.block_number.unwrap_or(head as i64) as u64;
            if head + 1 < block + chain.network.confirmations {
                return Ok(false);
            }
            let mut tx = db::begin_write(&state.db).await?;
            let change = Move {
                from: RefundStatus::Claimed,
                to: RefundStatus::Completed,
                tx_hash: sent.mined_hash.as_deref(),
                failure: None,
                event: Some(EventType::RefundCompleted),
            };
            let done = store::finish(state, &mut tx, &refund.id, change).await?;
            if done && refund.source()? == RefundSource::Payment {
                debts::record(&mut tx, refund).await?;
            }
            tx.commit().await?;
            tracing::info!(refund = %refund.id, "refund paid out");
            Ok(done)
        }
        "reverted" | "void" => {
            let mut tx = db::begin_write(&state.db).await?;
            let change = Move {
                from: RefundStatus::Claimed,
                to: RefundStatus::Failed,
                tx_hash: None,
                failure: Some("the refund transaction reverted (the treasury short of the token?)"),
                event: Some(EventType::RefundFailed),
            };
            store::finish(state, &mut tx, &refund.id, change).await?;
            tx.commit().await?;
            state.announce();
            Ok(false)
        }
        _ => Ok(false),
    }
}
