//! Sweeps (owns `sweeps`): once a session is settled one way or another
//! (paid, completed, or expired with money in it), each deposit address
//! that received payments is emptied into the treasury on its own network,
//! through the sender. A token sweep first has the treasury send the
//! deposit address its gas, with room for the fee to double before the
//! sweep goes out. A later payment to a swept address starts another round.
//! What the coins are owed to (a merchant's payout, unallocated money) is
//! accounted elsewhere; sweeping only moves them.

use alloy::primitives::{Address as EvmAddress, U256};
use sqlx::FromRow;

use crate::chain::rpc::Chain;
use crate::chain::sender::{self, Request, Signer};
use crate::chain::treasury;
use crate::clock::now_seconds;
use crate::db::{self, Conn, WriteOne};
use crate::state::AppState;

/// A sweep whose transaction fails this many times starts over.
const MAX_TRIES: i64 = 5;

#[derive(FromRow)]
struct Sweep {
    quote_id: String,
    chain_id: i64,
    /// The token swept, on this network.
    token: String,
    status: String,
    funding_id: Option<i64>,
    sweep_id: Option<i64>,
    deposit_index: i64,
}

/// The key of a sweep: a deposit address (by quote), network and token.
#[derive(Clone, Copy)]
struct Key<'a> {
    quote: &'a str,
    chain_id: i64,
    token: &'a str,
}

impl Sweep {
    fn key(&self) -> Key<'_> {
        Key {
            quote: &self.quote_id,
            chain_id: self.chain_id,
            token: &self.token,
        }
    }
}

/// Up to 20 unfinished sweeps of chain `$1` due at `$2` (the statuses
/// named, so the index skips every finished one).
pub const OPEN: &str =
    "SELECT w.quote_id, w.chain_id, w.token, w.status, w.funding_id, w.sweep_id, q.deposit_index
     FROM sweeps w JOIN quotes q ON q.id = w.quote_id
     WHERE w.chain_id = $1 AND w.status IN ('new', 'funding', 'sweeping') AND w.next_try_at <= $2
     LIMIT 20";

/// Moves paid deposits into the treasury, one step at a time; answers how
/// many sweeps moved on. Each sweep fails on its own.
pub async fn step(state: &AppState, chain: &Chain) -> anyhow::Result<usize> {
    let chain_id = chain.network.chain_id as i64;
    start_rounds(state, chain_id).await?;
    let open: Vec<Sweep> = sqlx::query_as(OPEN)
        .bind(chain_id)
        .bind(now_seconds())
        .fetch_all(&state.db)
        .await?;
    let mut advanced = 0;
    for sweep in open {
        match advance(state, chain, &sweep).await {
            Ok(true) => advanced += 1,
            Ok(false) => {}
            Err(err) => {
                let cause = format!("{err:#}");
                tracing::warn!(quote = %sweep.quote_id, error = %cause, "sweep step failed");
                pause(state, sweep.key(), "new", &cause).await?;
            }
        }
    }
    Ok(advanced)
}

/// How many token sweeps of chain `chain_id` have yet to ask the treasury
/// for their gas (`native` is the network's own coin, which needs none).
pub async fn awaiting_gas(db: &crate::db::Db, chain_id: u64, native: &str) -> anyhow::Result<u64> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sweeps WHERE chain_id = $1 AND status = 'new' AND token <> $2",
    )
    .bind(chain_id as i64)
    .bind(native)
    .fetch_one(db)
    .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The gas a token sweep asks the treasury for at `max_per_gas`: room for
/// the fee to double before the sweep goes out.
pub fn sweep_gas(max_per_gas: u128) -> U256 {
    U256::from(treasury::TOKEN_TRANSFER_GAS) * U256::from(2 * max_per_gas)
}

/// Deposit addresses and tokens of network `$1` with confirmed payments
/// not yet in a sweep round, whose session is settled one way or another
/// and whose address has no round under way; with the last such payment.
/// Read through the partial index of payments not in a round, so a step
/// costs what is new, not the network's whole history.
pub const UNSWEPT: &str = "SELECT p.quote_id, p.token, MAX(p.id) FROM payments p
     JOIN sessions s ON s.id = p.session_id
     WHERE p.chain_id = $1 AND p.status = 'confirmed' AND p.in_sweep = 0
       AND s.status IN ('paid', 'completed', 'expired')
       AND NOT EXISTS (SELECT 1 FROM sweeps w
                       WHERE w.quote_id = p.quote_id AND w.chain_id = p.chain_id
                         AND w.token = p.token AND w.status <> 'done')
     GROUP BY p.quote_id, p.token
     LIMIT 20";

/// A round for each deposit address and token with payments no round has
/// taken yet (money may come on any network, in any accepted token); the
/// round and the payments it takes are written together.
async fn start_rounds(state: &AppState, chain_id: i64) -> anyhow::Result<()> {
    let fresh: Vec<(String, String, i64)> = sqlx::query_as(UNSWEPT)
        .bind(chain_id)
        .fetch_all(&state.db)
        .await?;
    for (quote, token, through) in &fresh {
        let mut tx = db::begin_write(&state.db).await?;
        let started = sqlx::query(
            "INSERT INTO sweeps (quote_id, chain_id, token, status, swept_through, created_at,
                                 updated_at)
             VALUES ($1, $2, $3, 'new', $4, $5, $5)
             ON CONFLICT (quote_id, chain_id, token) DO UPDATE
             SET status = 'new', swept_through = excluded.swept_through, funding_id = NULL,
                 sweep_id = NULL, updated_at = excluded.updated_at
             WHERE sweeps.status = 'done'",
        )
        .bind(quote)
        .bind(chain_id)
        .bind(token)
        .bind(through)
        .bind(now_seconds())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if started == 1 {
            sqlx::query(
                "UPDATE payments SET in_sweep = 1
                 WHERE quote_id = $1 AND chain_id = $2 AND token = $3 AND status = 'confirmed'
                   AND in_sweep = 0 AND id <= $4",
            )
            .bind(quote)
            .bind(chain_id)
            .bind(token)
            .bind(through)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

async fn advance(state: &AppState, chain: &Chain, sweep: &Sweep) -> anyhow::Result<bool> {
    let index = u32::try_from(sweep.deposit_index)?;
    let deposit = state.deposits.signer(index)?.address();
    let (contract, _) = chain.network.token(&sweep.token).ok_or_else(|| {
        anyhow::anyhow!(
            "{} is no longer a token of {}",
            sweep.token,
            chain.network.id
        )
    })?;
    let token: Option<EvmAddress> = contract.map(|t| t.address.as_str().parse()).transpose()?;
    let key = sweep.key();
    match (sweep.status.as_str(), token) {
        ("new", None) => {
            let balance = chain.balance(deposit).await?;
            let budget = 2 * chain.fees().await?.max_per_gas();
            let gas = U256::from(treasury::NATIVE_TRANSFER_GAS) * U256::from(budget);
            if balance <= gas {
                return set(state, key, "done", None, None).await;
            }
            ask(
                state,
                chain,
                Signer::Deposit(index),
                "sweep",
                None,
                balance,
                Some(budget),
                sweep,
            )
            .await
        }
        ("new", Some(token)) => {
            if chain.token_balance(token, deposit).await?.is_zero() {
                return set(state, key, "done", None, None).await;
            }
            let needed = sweep_gas(chain.fees().await?.max_per_gas());
            let has = chain.balance(deposit).await?;
            if has >= needed {
                return sweep_token(state, chain, sweep, index, token, deposit).await;
            }
            let request = Request {
                chain_id: chain.network.chain_id,
                signer: Signer::Treasury,
                purpose: "sweep_gas",
                to: deposit,
                token: None,
                amount: needed - has,
                fee_cap: None,
                reference: &sweep.quote_id,
            };
            // The request and the sweep's move to `funding` commit
            // together: a crash between them would fund the gas twice.
            let mut tx = db::begin_write(&state.db).await?;
            let id = sender::request(&mut tx, &request).await?;
            set_in(&mut tx, key, "funding", Some(id), None).await?;
            tx.commit().await?;
            Ok(true)
        }
        ("funding", Some(token)) => {
            let funding = sweep
                .funding_id
                .ok_or_else(|| anyhow::anyhow!("funding without a transaction"))?;
            match sender::status(&state.db, funding).await?.status.as_str() {
                "mined" => sweep_token(state, chain, sweep, index, token, deposit).await,
                "reverted" | "void" => anyhow::bail!("the sweep's gas was not sent"),
                _ => Ok(false),
            }
        }
        ("sweeping", _) => {
            let id = sweep
                .sweep_id
                .ok_or_else(|| anyhow::anyhow!("sweeping without a transaction"))?;
            let sent = sender::status(&state.db, id).await?;
            match sent.status.as_str() {
                "mined" | "void" => set(state, key, "done", sweep.funding_id, Some(id)).await,
                "reverted" => anyhow::bail!("the sweep reverted"),
                // Refused again and again (the coins gone, say, by a reorg):
                // give it up and look again later.
                "unsigned" if stuck(state, id).await? => {
                    sender::abandon(&state.db, id).await?;
                    anyhow::bail!(
                        "the sweep could not be sent: {}",
                        sent.last_error.unwrap_or_default()
                    )
                }
                _ => Ok(false),
            }
        }
        (status, _) => anyhow::bail!("sweep in an unknown state {status:?}"),
    }
}

/// Asks for the token sweep, its fees capped at the gas the deposit holds.
async fn sweep_token(
    state: &AppState,
    chain: &Chain,
    sweep: &Sweep,
    index: u32,
    token: EvmAddress,
    deposit: EvmAddress,
) -> anyhow::Result<bool> {
    let amount = chain.token_balance(token, deposit).await?;
    let gas = chain.balance(deposit).await?;
    let budget =
        u128::try_from(gas / U256::from(treasury::TOKEN_TRANSFER_GAS)).unwrap_or(u128::MAX);
    ask(
        state,
        chain,
        Signer::Deposit(index),
        "sweep",
        Some(token),
        amount,
        Some(budget),
        sweep,
    )
    .await
}

/// Asks the sender for the sweep's transfer to the treasury and moves the
/// sweep to `sweeping`, in one transaction: a crash between the two would
/// ask for the transfer again.
#[allow(clippy::too_many_arguments)]
async fn ask(
    state: &AppState,
    chain: &Chain,
    signer: Signer,
    purpose: &'static str,
    token: Option<EvmAddress>,
    amount: U256,
    fee_cap: Option<u128>,
    sweep: &Sweep,
) -> anyhow::Result<bool> {
    let request = Request {
        chain_id: chain.network.chain_id,
        signer,
        purpose,
        to: state.treasury.address(),
        token,
        amount,
        fee_cap,
        reference: &sweep.quote_id,
    };
    let mut tx = db::begin_write(&state.db).await?;
    let id = sender::request(&mut tx, &request).await?;
    set_in(&mut tx, sweep.key(), "sweeping", sweep.funding_id, Some(id)).await?;
    tx.commit().await?;
    Ok(true)
}

async fn stuck(state: &AppState, outgoing: i64) -> anyhow::Result<bool> {
    let (tries,): (i64,) = sqlx::query_as("SELECT tries FROM outgoing WHERE id = $1")
        .bind(outgoing)
        .fetch_one(&state.db)
        .await?;
    Ok(tries >= MAX_TRIES)
}

async fn set(
    state: &AppState,
    key: Key<'_>,
    status: &str,
    funding: Option<i64>,
    sweep: Option<i64>,
) -> anyhow::Result<bool> {
    let mut tx = db::begin_write(&state.db).await?;
    set_in(&mut tx, key, status, funding, sweep).await?;
    tx.commit().await?;
    Ok(true)
}

/// [`set`], in the caller's transaction.
async fn set_in(
    conn: &mut Conn,
    key: Key<'_>,
    status: &str,
    funding: Option<i64>,
    sweep: Option<i64>,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE sweeps SET status = $1, funding_id = $2, sweep_id = $3, last_error = NULL,
                updated_at = $4
         WHERE quote_id = $5 AND chain_id = $6 AND token = $7",
    )
    .bind(status)
    .bind(funding)
    .bind(sweep)
    .bind(now_seconds())
    .bind(key.quote)
    .bind(key.chain_id)
    .bind(key.token)
    .execute(conn)
    .await?;
    Ok(())
}

/// Puts a sweep back to `status` and looks at it again in a minute.
async fn pause(state: &AppState, key: Key<'_>, status: &str, cause: &str) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE sweeps SET status = $1, next_try_at = $2, last_error = $3, updated_at = $4
         WHERE quote_id = $5 AND chain_id = $6 AND token = $7",
    )
    .bind(status)
    .bind(now_seconds() + 60)
    .bind(cause)
    .bind(now_seconds())
    .bind(key.quote)
    .bind(key.chain_id)
    .bind(key.token)
    .write(&state.db)
    .await?;
    Ok(())
}
