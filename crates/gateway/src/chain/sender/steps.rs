//! One step of one transaction: signing it (a fresh nonce, or its own for
//! a replacement), broadcasting it, and following it to its receipt.

use alloy::primitives::{Address, Bytes, U256};
use anyhow::Context;

use crate::chain::rpc::{Chain, Refused};
use crate::chain::sender::nonces::{give_back, take_nonce};
use crate::chain::sender::row::{Row, Signer};
use crate::chain::treasury::{self, Fees, Transfer};
use crate::clock::now_seconds;
use crate::db::WriteOne;
use crate::db::{self, Conn};
use crate::state::AppState;

/// The transfer a row stands for at `fees` (`None`: not worth its gas).
fn transfer(chain: &Chain, row: &Row, nonce: u64, fees: Fees) -> anyhow::Result<Option<Transfer>> {
    let token: Option<Address> = row.token_address.as_deref().map(str::parse).transpose()?;
    let mut amount: U256 = row.amount_raw.parse()?;
    if token.is_none() && row.fee_cap.is_some() {
        // A sweep: everything less its own gas.
        let gas = U256::from(treasury::gas_limit(None)) * U256::from(fees.max_per_gas());
        if amount <= gas {
            return Ok(None);
        }
        amount -= gas;
    }
    Ok(Some(Transfer {
        chain_id: chain.network.chain_id,
        nonce,
        fees,
        to: row.to_address.parse()?,
        token,
        amount,
    }))
}

/// Signs a row with a fresh nonce (or, replacing, its own at `replacing`'s
/// fees), stores it, and broadcasts it.
pub async fn sign(
    state: &AppState,
    chain: &Chain,
    row: &Row,
    replacing: Option<Fees>,
) -> anyhow::Result<bool> {
    let signer = Signer::parse(&row.signer)?;
    let key = signer.key(state)?;
    let market = chain.fees().await?;
    let mut fees = match replacing {
        Some(old) => old.bumped(market),
        None => market,
    };
    if let Some(cap) = row.fee_cap.as_deref() {
        fees = fees.capped(cap.parse()?);
    }
    let floor = match replacing {
        Some(_) => None,
        None => Some(chain.mined_nonce(key.address()).await?),
    };
    let mut tx = db::begin_write(&state.db).await?;
    let nonce = match (floor, row.nonce) {
        (None, Some(nonce)) => nonce as u64,
        (Some(floor), _) => take_nonce(&mut tx, chain.network.chain_id, &row.signer, floor).await?,
        (None, None) => anyhow::bail!("a replacement without a nonce"),
    };
    let Some(transfer) = transfer(chain, row, nonce, fees)? else {
        give_back(&mut tx, chain.network.chain_id, &row.signer, nonce).await?;
        set_status(&mut tx, row.id, "void").await?;
        tx.commit().await?;
        tracing::info!(outgoing = row.id, "nothing worth its gas to send");
        return Ok(true);
    };
    let signed = treasury::sign(&key, &transfer)?;
    let (max_fee, priority) = match fees {
        Fees::Legacy { gas_price } => (gas_price, None),
        Fees::Eip1559 { max_fee, priority } => (max_fee, Some(priority)),
    };
    sqlx::query(
        "UPDATE outgoing SET status = CASE WHEN status = 'pending' THEN 'pending' ELSE 'unsent' END,
                nonce = $1, sender = $2, max_fee = $3, priority_fee = $4, raw_tx = $5, tx_hash = $6,
                replacements = replacements + $7, updated_at = $8
         WHERE id = $9",
    )
    .bind(nonce as i64)
    .bind(key.address().to_string())
    .bind(max_fee.to_string())
    .bind(priority.map(|p| p.to_string()))
    .bind(signed.raw.to_string())
    .bind(signed.hash.to_string())
    .bind(i64::from(replacing.is_some()))
    .bind(now_seconds())
    .bind(row.id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO outgoing_hashes (tx_hash, outgoing_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(signed.hash.to_string())
    .bind(row.id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if replacing.is_some() {
        tracing::info!(outgoing = row.id, nonce, tx = %signed.hash, "replacing a transaction not mined in time");
    }
    let signed_row = Row {
        nonce: Some(nonce as i64),
        raw_tx: Some(signed.raw.to_string()),
        status: if replacing.is_some() {
            "pending"
        } else {
            "unsent"
        }
        .to_owned(),
        ..row.clone()
    };
    push(state, chain, &signed_row).await
}

async fn set_status(conn: &mut Conn, id: i64, status: &str) -> anyhow::Result<()> {
    sqlx::query("UPDATE outgoing SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status)
        .bind(now_seconds())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Broadcasts a signed row.
pub async fn push(state: &AppState, chain: &Chain, row: &Row) -> anyhow::Result<bool> {
    let raw: Bytes = row.raw_tx.as_deref().context("a signed row")?.parse()?;
    match chain.broadcast(&raw).await {
        Ok(()) => {
            sqlx::query(
                "UPDATE outgoing SET status = 'pending', sent_at = $1, tries = 0, last_error = NULL,
                        updated_at = $1
                 WHERE id = $2 AND status IN ('unsent', 'pending')",
            )
            .bind(now_seconds())
            .bind(row.id)
            .write(&state.db)
            .await?;
            Ok(true)
        }
        // Ours may have been mined under another signing: look.
        Err(Refused::NonceTaken) => match receipt(state, chain, row).await? {
            true => Ok(true),
            false => anyhow::bail!("its nonce was taken by a transaction not ours"),
        },
        Err(Refused::Rejected(cause)) if row.status == "unsent" => {
            // The node will not take it (funds, fees): free the nonce so
            // the transactions behind it go, and sign it afresh later.
            let nonce = row.nonce.context("a signed row has a nonce")? as u64;
            let mut tx = db::begin_write(&state.db).await?;
            if give_back(&mut tx, chain.network.chain_id, &row.signer, nonce).await? {
                sqlx::query(
                    "UPDATE outgoing SET status = 'unsigned', nonce = NULL, raw_tx = NULL, tx_hash = NULL,
                            updated_at = $1 WHERE id = $2",
                )
                .bind(now_seconds())
                .bind(row.id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            anyhow::bail!("refused: {cause}")
        }
        Err(err) => Err(anyhow::anyhow!("{err}")),
    }
}

/// Whether any signing of `row` is mined; records it if so.
async fn receipt(state: &AppState, chain: &Chain, row: &Row) -> anyhow::Result<bool> {
    let hashes: Vec<(String,)> =
        sqlx::query_as("SELECT tx_hash FROM outgoing_hashes WHERE outgoing_id = $1")
            .bind(row.id)
            .fetch_all(&state.db)
            .await?;
    for (hash,) in &hashes {
        let Some(receipt) = chain.receipt(hash.parse()?).await? else {
            continue;
        };
        let status = if receipt.status() {
            "mined"
        } else {
            "reverted"
        };
        sqlx::query(
            "UPDATE outgoing SET status = $1, mined_hash = $2, block_number = $3, updated_at = $4
             WHERE id = $5",
        )
        .bind(status)
        .bind(hash)
        .bind(receipt.block_number.map(|n| n as i64))
        .bind(now_seconds())
        .bind(row.id)
        .write(&state.db)
        .await?;
        if status == "reverted" {
            tracing::error!(outgoing = row.id, purpose = %row.purpose, tx = %hash, "transaction reverted");
        }
        return Ok(true);
    }
    Ok(false)
}

/// Looks for a pending row's receipt under any of its signings; replaces
/// it if it has waited too long.
pub async fn watch(state: &AppState, chain: &Chain, row: &Row) -> anyhow::Result<bool> {
    if receipt(state, chain, row).await? {
        return Ok(true);
    }
    let waited = now_seconds() - row.sent_at.unwrap_or(0);
    // Payouts signed before the sender existed carry no fees to bump.
    let replaceable = row.max_fee.as_deref().is_some_and(|fee| fee != "0");
    if row.status == "pending"
        && replaceable
        && waited >= state.config.settlement.replace_after_seconds as i64
    {
        let old = match (row.max_fee.as_deref(), row.priority_fee.as_deref()) {
            (Some(max), Some(priority)) => Fees::Eip1559 {
                max_fee: max.parse()?,
                priority: priority.parse()?,
            },
            (Some(price), None) => Fees::Legacy {
                gas_price: price.parse()?,
            },
            (None, _) => anyhow::bail!("a pending transaction without fees"),
        };
        // The clock restarts with the replacement.
        sqlx::query("UPDATE outgoing SET sent_at = $1 WHERE id = $2")
            .bind(now_seconds())
            .bind(row.id)
            .write(&state.db)
            .await?;
        return sign(state, chain, row, Some(old)).await;
    }
    Ok(false)
}
