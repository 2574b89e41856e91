//! Expiry: sessions not paid in time become `expired` (with their event),
//! once the chains agree their time is up; the same step has old
//! idempotency records pruned.

use std::time::Duration;

use tender_protocol::SessionId;
use tokio_util::sync::CancellationToken;

use crate::checkout::reconcile::{self, Trigger};
use crate::db;
use crate::merchants::idempotency;
use crate::state::AppState;

/// How often the expiry step runs.
const EVERY: Duration = Duration::from_secs(1);

/// Expires due sessions.
pub struct Expiry {
    state: AppState,
}

/// Open and underpaid sessions past their `expiresAt` (`$1`), oldest first.
pub const DUE: &str =
    "SELECT id FROM sessions WHERE status IN ('open', 'underpaid') AND expires_at <= $1
     ORDER BY expires_at LIMIT 200";

impl Expiry {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    /// Looks at every open or underpaid session past its `expiresAt` on the
    /// gateway's clock: its time is up once every chain has been scanned
    /// past that (`deadline`), and then it expires, or is paid late if late
    /// money covers it. A session with a payment awaiting confirmations is
    /// left to the watcher: the shopper paid in time. Answers how many
    /// sessions moved.
    pub async fn tick(&self) -> anyhow::Result<usize> {
        let due: Vec<(String,)> = sqlx::query_as(DUE)
            .bind(self.state.clock.now())
            .fetch_all(&self.state.db)
            .await?;
        let mut moved = 0;
        for (id,) in due {
            let id = SessionId::parse(&id)?;
            let mut tx = db::begin_write(&self.state.db).await?;
            reconcile::session(&self.state, &mut tx, &id, Trigger::Deadline).await?;
            let (status,): (String,) = sqlx::query_as("SELECT status FROM sessions WHERE id = $1")
                .bind(id.as_str())
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            moved += usize::from(!matches!(status.as_str(), "open" | "underpaid"));
        }
        if moved > 0 {
            self.state.announce();
        }
        idempotency::prune(&self.state.db).await?;
        Ok(moved)
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
