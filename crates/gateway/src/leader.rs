//! Leadership of singleton workers (a network's watcher, the settler) when
//! several gateway instances share one PostgreSQL database: a session-level
//! advisory lock held on a connection kept for the purpose. When the holder
//! dies its connection closes, the lock is released, and another instance
//! takes over on its next try. With SQLite there is one instance per
//! database file, so it always leads.

use sqlx::pool::PoolConnection;

use crate::db::{Backend, Db};

/// The lock key of a network's watcher.
pub fn watcher_key(chain_id: u64) -> i64 {
    0x7e4d_0000_0000_i64 + chain_id as i64
}

/// The lock key of the settler.
pub const SETTLER_KEY: i64 = 0x7e4d_5e77_0000;

/// One singleton's claim to run.
pub struct Leadership {
    key: i64,
    held: Option<PoolConnection<sqlx::Any>>,
}

impl Leadership {
    pub fn new(key: i64) -> Self {
        Self { key, held: None }
    }

    /// Whether this instance leads now: keeps a lock it holds (if its
    /// connection still answers), else tries to take it.
    pub async fn ensure(&mut self, db: &Db) -> bool {
        if Backend::of(db) == Backend::Sqlite {
            return true;
        }
        if let Some(conn) = self.held.as_mut() {
            if sqlx::query("SELECT 1").execute(&mut **conn).await.is_ok() {
                return true;
            }
            tracing::warn!(
                key = self.key,
                "lost the connection holding a leadership lock"
            );
            self.held = None;
        }
        let Ok(mut conn) = db.acquire().await else {
            return false;
        };
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(self.key)
            .fetch_one(&mut *conn)
            .await
            .unwrap_or(false);
        if taken {
            tracing::info!(key = self.key, "took over a singleton worker");
            self.held = Some(conn);
        }
        taken
    }
}
