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
    pub token: String,
    /// The token's contract; `None` for the native token.
    pub contract: Option<EvmAddress>,
}

/// One network's watched deposit addresses.
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
    /// Brings the set up to date with the quotes of `chain_id`.
    pub async fn refresh(&mut self, db: &Db, chain_id: i64) -> anyhow::Result<()> {
        if self.loaded_at.is_none_or(|at| at.elapsed() > FULL_RELOAD) {
            *self = WatchSet {
                loaded_at: Some(Instant::now()),
                ..WatchSet::default()
            };
        }
        let rows: Vec<(String, String, String, String, Option<String>, i64)> = sqlx::query_as(
            "SELECT deposit_address, id, session_id, token, token_address, deposit_index
             FROM quotes
             WHERE deposit_index > $3 AND chain_id = $1 AND created_at >= $2",
        )
        .bind(chain_id)
        .bind(now_seconds() - WATCH_WINDOW_SECONDS)
        .bind(self.high_water)
        .fetch_all(db)
        .await?;
        for (address, quote_id, session_id, token, contract, index) in rows {
            let watched = Watched {
                quote_id,
                session_id,
                token,
                contract: contract.map(|c| c.parse()).transpose()?,
            };
            self.by_address.insert(Address::parse(&address)?, watched);
            self.high_water = self.high_water.max(index);
        }
        Ok(())
    }
}
