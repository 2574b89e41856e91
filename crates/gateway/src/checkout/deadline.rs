//! Whether a session's time is up. The gateway's clock says when to look;
//! the chains say whether it is so: a session is past its `expiresAt` only
//! once every network's watcher has scanned a block made after it, so a
//! payment made in time is never taken for late because a node was down or
//! the watcher behind. After `expiry_outage_allowance_seconds` more, time is
//! up regardless, and the session says so.

use crate::chain::watcher::cursor;
use crate::db::Conn;
use crate::state::AppState;

/// Where a session's expiry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUp {
    /// Not yet, by the clock or by some chain.
    No,
    /// Every network has been scanned past the expiry.
    Yes,
    /// Some network has not, but the outage allowance has run out.
    WhileChainsBehind,
}

impl TimeUp {
    pub fn is_up(self) -> bool {
        self != TimeUp::No
    }
}

/// Whether the time of a session expiring at `expires_at` is up.
pub async fn time_up(state: &AppState, conn: &mut Conn, expires_at: i64) -> anyhow::Result<TimeUp> {
    let now = state.clock.now();
    if now < expires_at {
        return Ok(TimeUp::No);
    }
    let scanned = cursor::scanned_through(conn).await?;
    let every_chain_past = state.config.networks.iter().all(|network| {
        scanned
            .iter()
            .any(|(chain, at)| *chain == network.chain_id as i64 && *at > expires_at)
    });
    let allowance = state.config.expiry_outage_allowance_seconds as i64;
    Ok(if every_chain_past {
        TimeUp::Yes
    } else if now >= expires_at.saturating_add(allowance) {
        TimeUp::WhileChainsBehind
    } else {
        TimeUp::No
    })
}
