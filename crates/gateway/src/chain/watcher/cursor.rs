//! Where a watcher is on its chain (owns `chain_cursors` and
//! `chain_blocks`): the last block scanned, and the hashes of the recent
//! blocks, so a reorg can be noticed and followed back to the common
//! ancestor. Persisted, so blocks missed while the gateway was down are
//! scanned on restart.

use alloy::primitives::B256;

use crate::db::{Conn, Db};

/// Block hashes kept per chain: reorgs deeper than this are not followed.
pub const KEEP_HASHES: i64 = 256;

/// The last block scanned on `chain_id`, and its hash; `None` on a fresh
/// gateway.
pub async fn read(db: &Db, chain_id: i64) -> anyhow::Result<Option<(u64, B256)>> {
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT block_number, block_hash FROM chain_cursors WHERE chain_id = $1")
            .bind(chain_id)
            .fetch_optional(db)
            .await?;
    row.map(|(n, h)| Ok((n as u64, h.parse()?))).transpose()
}

/// Moves the cursor to block `number` and remembers its hash.
pub async fn advance(
    conn: &mut Conn,
    chain_id: i64,
    number: u64,
    hash: B256,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO chain_cursors (chain_id, block_number, block_hash) VALUES ($1, $2, $3)
         ON CONFLICT (chain_id) DO UPDATE SET block_number = excluded.block_number,
                                              block_hash = excluded.block_hash",
    )
    .bind(chain_id)
    .bind(number as i64)
    .bind(hash.to_string())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO chain_blocks (chain_id, number, hash) VALUES ($1, $2, $3)
         ON CONFLICT (chain_id, number) DO UPDATE SET hash = excluded.hash",
    )
    .bind(chain_id)
    .bind(number as i64)
    .bind(hash.to_string())
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM chain_blocks WHERE chain_id = $1 AND number < $2")
        .bind(chain_id)
        .bind(number as i64 - KEEP_HASHES)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The hash remembered for block `number`, if it is still kept.
pub async fn stored_hash(db: &Db, chain_id: i64, number: u64) -> anyhow::Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT hash FROM chain_blocks WHERE chain_id = $1 AND number = $2")
            .bind(chain_id)
            .bind(number as i64)
            .fetch_optional(db)
            .await?,
    )
}

/// Puts the cursor back on `ancestor` (a reorg replaced the blocks above
/// it), forgetting the hashes above.
pub async fn rewind(
    conn: &mut Conn,
    chain_id: i64,
    ancestor: u64,
    hash: B256,
) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM chain_blocks WHERE chain_id = $1 AND number > $2")
        .bind(chain_id)
        .bind(ancestor as i64)
        .execute(&mut *conn)
        .await?;
    advance(conn, chain_id, ancestor, hash).await
}
