//! Expiry: sessions not paid in time become `expired` (with their event), and
//! idempotency records older than 24 hours are dropped.

use std::time::Duration;

use tender_protocol::{EventType, SessionId};
use tokio_util::sync::CancellationToken;

use crate::clock::now_seconds;
use crate::state::AppState;
use crate::{db, events, idempotency, sessions};

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
            let mut tx = db::begin_write(&self.state.db).await?;
            let changed = sqlx::query(
                "UPDATE sessions SET status = 'expired', updated_at = $1
                 WHERE id = $2 AND status IN ('open', 'underpaid') AND expires_at <= $1",
            )
            .bind(now)
            .bind(&id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 1 {
                let id = SessionId::parse(&id)?;
                let loaded = sessions::load(&self.state, &mut tx, &id)
                    .await
                    .map_err(|e| anyhow::anyhow!("reloading {id}: {e}"))?;
                events::record(
                    &mut tx,
                    &loaded.merchant_id,
                    EventType::SessionExpired,
                    &loaded.session,
                )
                .await?;
                expired += 1;
            }
            tx.commit().await?;
        }
        if expired > 0 {
            self.state.announce();
        }
        sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(now - idempotency::KEEP_SECONDS)
            .execute(&self.state.db)
            .await?;
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
