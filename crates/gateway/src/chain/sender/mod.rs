//! The one way the gateway sends a transaction (owns `outgoing`,
//! `outgoing_hashes` and `nonces`): payouts, sweep gas and sweeps are asked
//! for as rows ([`request`]), and [`follow`] takes each through its life,
//! one step per tick, each row on its own (one failing never holds up the
//! others):
//!
//! - *unsigned* → signed with the next nonce of its signer, handed out from
//!   a counter in the write transaction that stores the signed bytes (before
//!   any broadcast, so a crash can only re-send the same bytes);
//! - *unsent* → broadcast; a node that refuses it outright (no funds, fees
//!   too low) gets the nonce back and the row is signed afresh after a
//!   pause, so a payout the treasury cannot cover today never blocks the
//!   ones behind it, and all go once it is refilled;
//! - *pending* → followed to its receipt (any of its signings may be the
//!   one mined); one not mined within `replace_after_seconds` is replaced at
//!   the same nonce with higher fees (EIP-1559 where the chain has it), so a
//!   transaction dropped from a mempool or priced under the market moves;
//! - *mined* or *reverted*: its owner decides what follows.

mod nonces;
mod row;
mod steps;

use alloy::primitives::{Address, U256};
use sqlx::FromRow;

use crate::chain::rpc::Chain;
use crate::clock::now_seconds;
use crate::db::WriteOne;
use crate::db::{Conn, Db};
use crate::state::AppState;
use row::Row;
pub use row::Signer;

/// A transaction to send.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub chain_id: u64,
    pub signer: Signer,
    /// `payout`, `sweep_gas` or `sweep`.
    pub purpose: &'static str,
    pub to: Address,
    /// The ERC-20 moved, or `None` for the native token.
    pub token: Option<Address>,
    pub amount: U256,
    /// The most its gas may cost per unit. A native transfer with a cap
    /// sends `amount` less its gas (a sweep empties an address).
    pub fee_cap: Option<u128>,
    /// Said in the logs.
    pub reference: &'a str,
}

/// Asks for a transaction, in the caller's transaction; [`follow`] sends
/// it. Answers its id.
pub async fn request(conn: &mut Conn, request: &Request<'_>) -> anyhow::Result<i64> {
    let now = now_seconds();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO outgoing (chain_id, signer, sender, purpose, to_address, token_address,
                               amount_raw, fee_cap, status, created_at, updated_at)
         VALUES ($1, $2, '', $3, $4, $5, $6, $7, 'unsigned', $8, $8) RETURNING id",
    )
    .bind(request.chain_id as i64)
    .bind(request.signer.label())
    .bind(request.purpose)
    .bind(request.to.to_string())
    .bind(request.token.map(|t| t.to_string()))
    .bind(request.amount.to_string())
    .bind(request.fee_cap.map(|c| c.to_string()))
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    tracing::debug!(
        outgoing = id,
        purpose = request.purpose,
        reference = request.reference,
        "transaction requested"
    );
    Ok(id)
}

/// Where a transaction stands, for its owner.
#[derive(Debug, Clone, FromRow)]
pub struct Status {
    pub status: String,
    pub mined_hash: Option<String>,
    pub block_number: Option<i64>,
    pub last_error: Option<String>,
}

pub async fn status(db: &Db, id: i64) -> anyhow::Result<Status> {
    Ok(sqlx::query_as(
        "SELECT status, mined_hash, block_number, last_error FROM outgoing WHERE id = $1",
    )
    .bind(id)
    .fetch_one(db)
    .await?)
}

/// What the treasury has still to send on chain `chain_id`: each of its
/// transactions asked for and not yet mined, as (token contract or `None`
/// for the native token, amount). Their gas is the caller's to add.
pub async fn owed_by_treasury(
    db: &Db,
    chain_id: u64,
) -> anyhow::Result<Vec<(Option<Address>, U256)>> {
    let rows: Vec<(Option<String>, String)> = sqlx::query_as(
        "SELECT token_address, amount_raw FROM outgoing
         WHERE chain_id = $1 AND status IN ('unsigned', 'unsent', 'pending') AND signer = 'treasury'",
    )
    .bind(chain_id as i64)
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|(token, amount)| {
            Ok((
                token.as_deref().map(str::parse).transpose()?,
                amount.parse()?,
            ))
        })
        .collect()
}

/// Gives up a transaction not yet signed (it holds no nonce): `void`.
pub async fn abandon(db: &Db, id: i64) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE outgoing SET status = 'void', updated_at = $1 WHERE id = $2 AND status = 'unsigned'",
    )
    .bind(now_seconds())
    .bind(id)
    .write(db)
    .await?
    .rows_affected();
    Ok(done == 1)
}

/// Takes every open transaction of `chain` one step on; answers how many
/// moved. A row that fails is logged with its cause and tried again later.
pub async fn follow(state: &AppState, chain: &Chain) -> anyhow::Result<usize> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, signer, nonce, purpose, to_address, token_address, amount_raw, max_fee,
                priority_fee, fee_cap, raw_tx, status, sent_at, tries
         FROM outgoing
         WHERE chain_id = $1 AND status IN ('unsigned', 'unsent', 'pending') AND next_try_at <= $2
         ORDER BY id LIMIT 50",
    )
    .bind(chain.network.chain_id as i64)
    .bind(now_seconds())
    .fetch_all(&state.db)
    .await?;
    let mut moved = 0;
    for row in rows {
        tracing::trace!(outgoing = row.id, status = %row.status, "transaction step");
        let step = match row.status.as_str() {
            "unsigned" => steps::sign(state, chain, &row, None).await,
            "unsent" => steps::push(state, chain, &row).await,
            _ => steps::watch(state, chain, &row).await,
        };
        match step {
            Ok(true) => moved += 1,
            Ok(false) => {}
            Err(err) => {
                let cause = format!("{err:#}");
                if row.tries < 3 {
                    tracing::warn!(outgoing = row.id, purpose = %row.purpose, error = %cause, "transaction step failed; will retry");
                }
                let longest = state.config.settlement.retry_after_seconds.max(1) as i64;
                pause(&state.db, row.id, row.tries + 1, longest, &cause).await?;
            }
        }
    }
    Ok(moved)
}

/// Backs a row off after a failure: 2 s, doubling, at most `longest`.
async fn pause(db: &Db, id: i64, tries: i64, longest: i64, cause: &str) -> anyhow::Result<()> {
    let wait = 2i64.saturating_pow(tries.clamp(1, 20) as u32).min(longest);
    sqlx::query(
        "UPDATE outgoing SET tries = $1, next_try_at = $2, last_error = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(tries)
    .bind(now_seconds() + wait)
    .bind(cause)
    .bind(now_seconds())
    .bind(id)
    .write(db)
    .await?;
    Ok(())
}
