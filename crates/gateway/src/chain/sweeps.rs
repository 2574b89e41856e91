//! Sweeps: once a session is settled one way or another (paid, completed,
//! or expired with money in it), each deposit address that received
//! payments is emptied into the treasury on its own network. A token sweep
//! first sends the deposit address the gas it needs. Each transaction is
//! signed and stored before it is broadcast, and followed to its receipt.

use std::sync::Arc;

use alloy::primitives::{Address as EvmAddress, Bytes, U256};
use sqlx::FromRow;

use crate::chain::rpc::Chain;
use crate::chain::treasury::{self, Transfer};
use crate::clock::now_seconds;
use crate::state::AppState;

#[derive(FromRow)]
struct Sweep {
    quote_id: String,
    status: String,
    tx_hash: Option<String>,
    raw_tx: Option<String>,
    deposit_index: i64,
    token_address: Option<String>,
}

/// Moves paid deposits into the treasury, one step at a time; answers how
/// many sweeps moved on.
pub async fn step(state: &AppState, chain: &Arc<Chain>) -> anyhow::Result<usize> {
    let chain_id = chain.network.chain_id as i64;
    // New: quotes with confirmed payments whose session is settled one way or another.
    let fresh: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT q.id FROM quotes q
         JOIN payments p ON p.quote_id = q.id AND p.status = 'confirmed'
         JOIN sessions s ON s.id = q.session_id
         LEFT JOIN sweeps w ON w.quote_id = q.id
         WHERE q.chain_id = $1 AND w.quote_id IS NULL AND s.status IN ('paid', 'completed', 'expired')
         LIMIT 20",
    )
    .bind(chain_id)
    .fetch_all(&state.db)
    .await?;
    for (quote,) in &fresh {
        sqlx::query("INSERT INTO sweeps (quote_id, chain_id, status, created_at, updated_at) VALUES ($1, $2, 'new', $3, $3) ON CONFLICT DO NOTHING")
            .bind(quote)
            .bind(chain_id)
            .bind(now_seconds())
            .execute(&state.db)
            .await?;
    }
    let open: Vec<Sweep> = sqlx::query_as(
        "SELECT w.quote_id, w.status, w.tx_hash, w.raw_tx, q.deposit_index, q.token_address
         FROM sweeps w JOIN quotes q ON q.id = w.quote_id
         WHERE w.chain_id = $1 AND w.status != 'done' LIMIT 20",
    )
    .bind(chain_id)
    .fetch_all(&state.db)
    .await?;
    let mut advanced = 0;
    for sweep in open {
        match advance(state, chain, &sweep).await {
            Ok(true) => advanced += 1,
            Ok(false) => {}
            Err(err) => {
                tracing::warn!(quote = %sweep.quote_id, error = format!("{err:#}"), "sweep step failed")
            }
        }
    }
    Ok(advanced)
}

async fn advance(state: &AppState, chain: &Arc<Chain>, sweep: &Sweep) -> anyhow::Result<bool> {
    // A transaction in flight: wait for it (re-sending if it vanished).
    if let (Some(hash), Some(raw)) = (&sweep.tx_hash, &sweep.raw_tx) {
        match chain.receipt(hash.parse()?).await? {
            None => {
                chain.broadcast(&raw.parse::<Bytes>()?).await?;
                return Ok(false);
            }
            Some(receipt) if !receipt.status() => {
                tracing::error!(quote = %sweep.quote_id, tx = hash, "sweep transaction reverted");
                set(state, &sweep.quote_id, "done", None).await?;
                return Ok(true);
            }
            Some(_) if sweep.status == "sweeping" => {
                set(state, &sweep.quote_id, "done", None).await?;
                return Ok(true);
            }
            Some(_) => {} // funded: sweep the token now
        }
    }
    let deposit = state.deposits.signer(u32::try_from(sweep.deposit_index)?)?;
    let treasury = state.treasury.address();
    let gas_price = chain.gas_price().await?;
    match &sweep.token_address {
        None => {
            let balance = chain.balance(deposit.address()).await?;
            let cost = U256::from(treasury::NATIVE_TRANSFER_GAS) * U256::from(gas_price);
            if balance <= cost {
                set(state, &sweep.quote_id, "done", None).await?;
                return Ok(true);
            }
            let transfer = Transfer {
                chain_id: chain.network.chain_id,
                nonce: chain.nonce(deposit.address()).await?,
                gas_price,
                to: treasury,
                token: None,
                amount: balance - cost,
            };
            let signed = treasury::sign(&deposit, &transfer)?;
            set(state, &sweep.quote_id, "sweeping", Some(&signed)).await?;
            chain.broadcast(&signed.raw).await?;
        }
        Some(token) if sweep.status == "new" => {
            // Gas first: the deposit address holds tokens but no native coin.
            let transfer = Transfer {
                chain_id: chain.network.chain_id,
                nonce: chain.nonce(treasury).await?,
                gas_price,
                to: deposit.address(),
                token: None,
                amount: U256::from(treasury::TOKEN_TRANSFER_GAS) * U256::from(gas_price),
            };
            let signed = treasury::sign(state.treasury.signer(), &transfer)?;
            set(state, &sweep.quote_id, "funding", Some(&signed)).await?;
            chain.broadcast(&signed.raw).await?;
            tracing::debug!(quote = %sweep.quote_id, token, "sweep gas funded");
        }
        Some(token) => {
            let amount = received(state, &sweep.quote_id).await?;
            let transfer = Transfer {
                chain_id: chain.network.chain_id,
                nonce: chain.nonce(deposit.address()).await?,
                gas_price,
                to: treasury,
                token: Some(token.parse::<EvmAddress>()?),
                amount,
            };
            let signed = treasury::sign(&deposit, &transfer)?;
            set(state, &sweep.quote_id, "sweeping", Some(&signed)).await?;
            chain.broadcast(&signed.raw).await?;
        }
    }
    Ok(true)
}

/// The exact token amount every payment brought to a quote's address.
async fn received(state: &AppState, quote: &str) -> anyhow::Result<U256> {
    let amounts: Vec<(String,)> = sqlx::query_as(
        "SELECT amount_raw FROM payments WHERE quote_id = $1 AND status = 'confirmed'",
    )
    .bind(quote)
    .fetch_all(&state.db)
    .await?;
    amounts
        .iter()
        .try_fold(U256::ZERO, |sum, (a,)| Ok(sum + a.parse::<U256>()?))
}

async fn set(
    state: &AppState,
    quote: &str,
    status: &str,
    signed: Option<&treasury::Signed>,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE sweeps SET status = $1, tx_hash = $2, raw_tx = $3, updated_at = $4 WHERE quote_id = $5")
        .bind(status)
        .bind(signed.map(|s| s.hash.to_string()))
        .bind(signed.map(|s| s.raw.to_string()))
        .bind(now_seconds())
        .bind(quote)
        .execute(&state.db)
        .await?;
    Ok(())
}
