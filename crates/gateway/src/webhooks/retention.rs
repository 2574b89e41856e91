//! Retention: events older than `webhooks.retention_days`, with nothing
//! left to deliver, are deleted with their deliveries and attempts, in
//! small batches so no write waits long behind them.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::state::AppState;
use crate::webhooks::outbox;

/// How often old events are looked for.
const EVERY: Duration = Duration::from_secs(3600);
/// Events deleted per write.
const BATCH: usize = 500;

pub struct Retention {
    state: AppState,
}

impl Retention {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    /// Deletes every event past retention, a batch at a time; answers how
    /// many went.
    pub async fn tick(&self) -> anyhow::Result<usize> {
        let days = i64::from(self.state.config.webhooks.retention_days);
        // Events are stamped with the wall clock, not the deadline clock.
        let before = crate::clock::now_seconds() - days * 24 * 3600;
        let mut total = 0;
        loop {
            let deleted = outbox::prune(&self.state.db, before, BATCH).await?;
            total += deleted;
            if deleted < BATCH {
                break;
            }
        }
        if total > 0 {
            tracing::info!(events = total, days, "events past retention deleted");
        }
        Ok(total)
    }

    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            if let Err(err) = self.tick().await {
                tracing::warn!(error = format!("{err:#}"), "retention step failed");
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(EVERY) => {}
            }
        }
    }
}
