//! The deposit addresses a watcher looks for, loaded incrementally: each
//! step reads only the quotes made since the last (by their deposit index,
//! which grows with every quote), and everything again now and then, which
//! also lets old quotes fall out of the window.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use alloy::primitives::Address as EvmAddress;
use tender_protocol::Address;

use crate::clock::now_seconds;
use crate::db::Db;

/// Quotes stay watched this long after they were made, so late payments are
/// still seen.
const WATCH_WINDOW_SECONDS: i64 = 7 * 24 * 3600;
/// How often the watch set is read whole again.
const FULL_RELOAD: Duration = Duration::from_secs(600);

/// A quote the watcher looks for, by deposit address.
#[derive(Debug, Clone)]
pub struct Watched {
    pub quote_id: String,
    pub session_id: String,
    /// The network the quote is on (money may come on any).
    pub chain_id: i64,
    pub token: String,
    /// The token's contract; `None` for the native token.
    pub contract: Option<EvmAddress>,
}

/// The watched deposit addresses: every open quote's, whatever its
/// network (one deposit key is the same address on every EVM network).
pub struct WatchSet {
    pub by_address: HashMap<Address, Watched>,
    /// The highest deposit index loaded (indexes start at 0).
    high_water: i64,
    loaded_at: Option<Instant>,
}

impl Default for WatchSet {
    fn default() -> Self {
        Self {
            by_address: HashMap::new(),
            high_water: -1,
            loaded_at: None,
        }
    }
}

impl WatchSet {
    /// Brings the set up to date with the quotes.
    pub async fn refresh(&mut self, db: &Db) -> anyhow::Result<()> {
        if self.loaded_at.is_none_or(|at| at.elapsed() > FULL_RELOAD) {
            *self = WatchSet {
                loaded_at: Some(Instant::now()),
                ..WatchSet::default()
            };
        }
        #[derive(sqlx::FromRow)]
        struct Row {
            deposit_address: String,
            id: String,
            session_id: String,
            chain_id: i64,
            token: String,
            token_address: Option<String>,
            deposit_index: i64,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT deposit_address, id, session_id, chain_id, token, token_address, deposit_index
             FROM quotes WHERE deposit_index > $2 AND created_at >= $1",
        )
        .bind(now_seconds() - WATCH_WINDOW_SECONDS)
        .bind(self.high_water)
        .fetch_all(db)
        .await?;
        for row in rows {
            let (address, index) = (row.deposit_address, row.deposit_index);
            let watched = Watched {
                quote_id: row.id,
                session_id: row.session_id,
                chain_id: row.chain_id,
                token: row.token,
                contract: row.token_address.map(|c| c.parse()).transpose()?,
            };
            self.by_address.insert(Address::parse(&address)?, watched);
            self.high_water = self.high_water.max(index);
        }
        Ok(())
    }
}
