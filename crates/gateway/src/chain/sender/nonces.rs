//! Nonces (owns `nonces`): the next one per (chain, signer), handed out
//! in the write transaction that stores the signed transaction, never below
//! what the chain has mined; one given back when a node refuses the
//! transaction outright, so no gap holds the others up.

use crate::db::Conn;

/// The next nonce of `signer`: never below `floor` (what the chain has
/// mined) nor below one we already handed out.
pub async fn take_nonce(
    conn: &mut Conn,
    chain_id: u64,
    signer: &str,
    floor: u64,
) -> anyhow::Result<u64> {
    sqlx::query(
        "INSERT INTO nonces (chain_id, signer, next) VALUES ($1, $2, $3)
         ON CONFLICT (chain_id, signer) DO UPDATE
         SET next = CASE WHEN nonces.next > excluded.next THEN nonces.next ELSE excluded.next END",
    )
    .bind(chain_id as i64)
    .bind(signer)
    .bind(floor as i64)
    .execute(&mut *conn)
    .await?;
    let (next,): (i64,) = sqlx::query_as(
        "UPDATE nonces SET next = next + 1 WHERE chain_id = $1 AND signer = $2 RETURNING next",
    )
    .bind(chain_id as i64)
    .bind(signer)
    .fetch_one(&mut *conn)
    .await?;
    Ok((next - 1) as u64)
}

/// Returns `nonce` to `signer` if it was the last handed out.
pub async fn give_back(
    conn: &mut Conn,
    chain_id: u64,
    signer: &str,
    nonce: u64,
) -> anyhow::Result<bool> {
    let returned = sqlx::query(
        "UPDATE nonces SET next = $1 WHERE chain_id = $2 AND signer = $3 AND next = $4",
    )
    .bind(nonce as i64)
    .bind(chain_id as i64)
    .bind(signer)
    .bind(nonce as i64 + 1)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(returned == 1)
}
