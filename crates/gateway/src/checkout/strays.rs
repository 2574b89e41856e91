//! Tokens nobody configured, sent to a deposit address (owns
//! `unknown_tokens`): never credited, never ignored — reported on the
//! session (contract, amount, transaction) so they can be recovered by hand.

use std::collections::HashMap;

use tender_protocol::{SessionId, UnknownTokenTransfer};

use crate::clock::now_seconds;
use crate::db::Conn;
use crate::state::AppState;

/// One such transfer, as the watcher found it.
#[derive(Debug, Clone)]
pub struct UnknownToken {
    pub session_id: String,
    pub chain_id: i64,
    pub tx_hash: String,
    pub log_index: i64,
    pub contract: String,
    pub amount_raw: String,
    pub block_number: i64,
}

/// How many a session keeps. Anyone can emit Transfer events of a token
/// they wrote to any address, so a flood of them must not grow the table
/// without end; past this many, further ones are only logged.
pub const KEPT_PER_SESSION: i64 = 50;

/// Records it, once, in the caller's transaction.
pub async fn record(conn: &mut Conn, found: &UnknownToken) -> anyhow::Result<()> {
    let inserted = sqlx::query(
        "INSERT INTO unknown_tokens (chain_id, tx_hash, log_index, session_id, contract, amount_raw,
                                     block_number, created_at)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8
         WHERE (SELECT COUNT(*) FROM unknown_tokens WHERE session_id = $4) < $9
         ON CONFLICT DO NOTHING",
    )
    .bind(found.chain_id)
    .bind(&found.tx_hash)
    .bind(found.log_index)
    .bind(&found.session_id)
    .bind(&found.contract)
    .bind(&found.amount_raw)
    .bind(found.block_number)
    .bind(now_seconds())
    .bind(KEPT_PER_SESSION)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        tracing::warn!(session = %found.session_id, contract = %found.contract, tx = %found.tx_hash, "a token nobody configured reached a deposit address");
    } else {
        tracing::debug!(session = %found.session_id, tx = %found.tx_hash, "an unknown-token transfer not kept: already known, or the session has {KEPT_PER_SESSION}");
    }
    Ok(())
}

/// Forgets those in blocks a reorg orphaned, in the caller's transaction.
pub async fn drop_above(conn: &mut Conn, chain_id: i64, ancestor: i64) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM unknown_tokens WHERE chain_id = $1 AND block_number > $2")
        .bind(chain_id)
        .bind(ancestor)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Each session's unknown-token transfers, in chain order, by session id.
pub async fn of_sessions(
    state: &AppState,
    conn: &mut Conn,
    ids: &[SessionId],
) -> anyhow::Result<HashMap<String, Vec<UnknownTokenTransfer>>> {
    let list = crate::db::placeholders(ids.len());
    let mut query =
        sqlx::query_as::<_, (String, i64, String, String, String)>(sqlx::AssertSqlSafe(format!(
            "SELECT session_id, chain_id, contract, amount_raw, tx_hash FROM unknown_tokens
             WHERE session_id IN ({list}) ORDER BY block_number, log_index"
        )));
    for id in ids {
        query = query.bind(id.as_str());
    }
    let mut by_session: HashMap<String, Vec<UnknownTokenTransfer>> = HashMap::new();
    for (session, chain_id, contract, amount, tx) in query.fetch_all(&mut *conn).await? {
        let chain_id = u64::try_from(chain_id)?;
        by_session
            .entry(session)
            .or_default()
            .push(UnknownTokenTransfer {
                network: state
                    .config
                    .network_by_chain(chain_id)
                    .map_or_else(|| chain_id.to_string(), |n| n.id.clone()),
                chain_id,
                contract: contract.parse()?,
                amount_raw: tender_protocol::RawAmount(amount.parse()?),
                tx_hash: tx.parse()?,
            });
    }
    Ok(by_session)
}
