//! Expiry: sessions not paid in time become `expired` (with their event);
//! the same step has old idempotency records pruned.

use std::time::Duration;

use tender_protocol::{SessionId, SessionStatus};
use tokio_util::sync::CancellationToken;

use crate::checkout::lifecycle;
use crate::clock::now_seconds;
use crate::db;
use crate::merchants::idempotency;
use crate::state::AppState;

/// How often the expiry step runs.
const EVERY: Duration = Duration::from_secs(1);

/// Expires due sessions.
pub struct Expiry {
    state: AppState,
}

impl Expiry {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    /// Expires every open or underpaid session past its `expiresAt`; returns
    /// how many. A session with a payment awaiting confirmations is left to
    /// the watcher: the shopper paid in time.
    pub async fn tick(&self) -> anyhow::Result<usize> {
        let now = now_seconds();
        let due: Vec<(String,)> = sqlx::query_as(
            "SELECT id FROM sessions WHERE status IN ('open', 'underpaid') AND expires_at <= $1
             ORDER BY expires_at LIMIT 200",
        )
        .bind(now)
        .fetch_all(&self.state.db)
        .await?;
        let mut expired = 0;
        for (id,) in due {
            let id = SessionId::parse(&id)?;
            let mut tx = db::begin_write(&self.state.db).await?;
            let moved = lifecycle::transition(
                &self.state,
                &mut tx,
                &id,
                &[SessionStatus::Open, SessionStatus::Underpaid],
                SessionStatus::Expired,
            )
            .await?;
            tx.commit().await?;
            expired += usize::from(moved.is_some());
        }
        if expired > 0 {
            self.state.announce();
        }
        idempotency::prune(&self.state.db).await?;
        Ok(expired)
    }

    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            if let Err(err) = self.tick().await {
                tracing::warn!(error = format!("{err:#}"), "expiry step failed");
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(EVERY) => {}
            }
        }
    }
}
