//! Where a watcher is on its chain (owns `chain_cursors` and
//! `chain_blocks`): the last block scanned, and the hashes of the recent
//! blocks, so a reorg can be noticed and followed back to the common
//! ancestor. Persisted, so blocks missed while the gateway was down are
//! scanned on restart.

use crate::chain::rpc::BlockRef;
use crate::db::{Conn, Db};

/// Block hashes kept per chain: reorgs deeper than this are not followed.
pub const KEEP_HASHES: i64 = 256;

/// The last block scanned on `chain_id`; `None` on a fresh gateway.
pub async fn read(db: &Db, chain_id: i64) -> anyhow::Result<Option<BlockRef>> {
    let row: Option<(i64, String, i64)> = sqlx::query_as(
        "SELECT block_number, block_hash, block_timestamp FROM chain_cursors WHERE chain_id = $1",
    )
    .bind(chain_id)
    .fetch_optional(db)
    .await?;
    row.map(|(number, hash, timestamp)| {
        Ok(BlockRef {
            number: number as u64,
            hash: hash.parse()?,
            timestamp: timestamp as u64,
        })
    })
    .transpose()
}

/// Moves the cursor to `block` and remembers its hash.
pub async fn advance(conn: &mut Conn, chain_id: i64, block: BlockRef) -> anyhow::Result<()> {
    let (number, hash) = (block.number, block.hash);
    sqlx::query(
        "INSERT INTO chain_cursors (chain_id, block_number, block_hash, block_timestamp)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (chain_id) DO UPDATE SET block_number = excluded.block_number,
             block_hash = excluded.block_hash, block_timestamp = excluded.block_timestamp",
    )
    .bind(chain_id)
    .bind(number as i64)
    .bind(hash.to_string())
    .bind(block.timestamp as i64)
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
pub async fn rewind(conn: &mut Conn, chain_id: i64, ancestor: BlockRef) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM chain_blocks WHERE chain_id = $1 AND number > $2")
        .bind(chain_id)
        .bind(ancestor.number as i64)
        .execute(&mut *conn)
        .await?;
    advance(conn, chain_id, ancestor).await
}

/// The block time each chain's watcher has scanned through, by chain id.
pub async fn scanned_through(conn: &mut Conn) -> anyhow::Result<Vec<(i64, i64)>> {
    Ok(
        sqlx::query_as("SELECT chain_id, block_timestamp FROM chain_cursors")
            .fetch_all(&mut *conn)
            .await?,
    )
}
