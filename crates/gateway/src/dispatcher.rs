//! Webhook delivery from the outbox: at least once, signed at send time,
//! retried on the configured schedule with jitter. A claimed delivery is
//! leased, so one left unfinished by a crash is taken again when its lease ends.

use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::future::join_all;
use rand::Rng;
use sqlx::FromRow;
use tender_protocol::WebhookSecret;
use tender_protocol::webhooks::{self, signature_header};
use tokio_util::sync::CancellationToken;

use crate::clock::{now_ms, now_seconds};
use crate::state::AppState;

/// Deliveries claimed per step.
const BATCH: i64 = 32;
/// How long a claim is held before another step may take it again.
const LEASE_MS: i64 = 60_000;

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcome {
    pub claimed: usize,
    pub delivered: usize,
    pub failed: usize,
}

#[derive(FromRow)]
struct Claim {
    id: i64,
    attempts: i64,
    event_id: String,
    payload: String,
    url: String,
    secret: String,
}

/// Sends due deliveries.
pub struct Dispatcher {
    state: AppState,
}

impl Dispatcher {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    /// Claims due deliveries and attempts each once, concurrently.
    pub async fn tick(&self) -> anyhow::Result<Outcome> {
        let now = now_ms();
        let claimed: Vec<(i64,)> = sqlx::query_as(
            "UPDATE deliveries SET locked_until_ms = $1
             WHERE id IN (SELECT id FROM deliveries
                          WHERE status = 'pending' AND next_attempt_ms <= $2 AND locked_until_ms <= $2
                          ORDER BY next_attempt_ms LIMIT $3)
             RETURNING id",
        )
        .bind(now + LEASE_MS)
        .bind(now)
        .bind(BATCH)
        .fetch_all(&self.state.db)
        .await?;
        let mut outcome = Outcome {
            claimed: claimed.len(),
            ..Outcome::default()
        };
        let attempts = claimed.iter().map(|(id,)| self.attempt(*id));
        for result in join_all(attempts).await {
            match result {
                Ok(true) => outcome.delivered += 1,
                Ok(false) => outcome.failed += 1,
                Err(err) => {
                    outcome.failed += 1;
                    tracing::error!(error = format!("{err:#}"), "delivery bookkeeping failed");
                }
            }
        }
        Ok(outcome)
    }

    /// One attempt of one delivery; returns whether the endpoint took it.
    async fn attempt(&self, delivery_id: i64) -> anyhow::Result<bool> {
        let claim: Claim = sqlx::query_as(
            "SELECT d.id, d.attempts, e.id AS event_id, e.payload, w.url, w.secret
             FROM deliveries d
             JOIN events e ON e.id = d.event_id
             JOIN webhook_endpoints w ON w.id = d.endpoint_id
             WHERE d.id = $1",
        )
        .bind(delivery_id)
        .fetch_one(&self.state.db)
        .await?;
        let secret = WebhookSecret::parse(&claim.secret).context("stored endpoint secret")?;
        let timestamp = now_seconds();
        let signature = signature_header(
            &[secret],
            &claim.event_id,
            timestamp,
            claim.payload.as_bytes(),
        );
        let started = Instant::now();
        let response = self
            .state
            .http
            .post(&claim.url)
            .header("content-type", "application/json")
            .header(webhooks::HEADER_ID, &claim.event_id)
            .header(webhooks::HEADER_TIMESTAMP, timestamp.to_string())
            .header(webhooks::HEADER_SIGNATURE, signature)
            .body(claim.payload.clone())
            .send()
            .await;
        let latency_ms = started.elapsed().as_millis() as i64;
        let (code, error, retry_after) = match &response {
            Ok(r) if r.status().is_success() => (Some(r.status().as_u16()), None, None),
            Ok(r) => (
                Some(r.status().as_u16()),
                Some(format!("endpoint answered {}", r.status())),
                retry_after(r),
            ),
            Err(e) if e.is_timeout() => (None, Some("timed out".to_owned()), None),
            Err(e) if e.is_connect() => (None, Some("connection failed".to_owned()), None),
            Err(_) => (None, Some("request failed".to_owned()), None),
        };
        let ok = error.is_none();
        let attempts = claim.attempts + 1;
        let schedule = &self.state.config.webhooks.retry_schedule_ms;
        let (status, next_attempt_ms) = match schedule.get(attempts as usize) {
            _ if ok => ("succeeded", 0),
            Some(delay) => {
                let delay =
                    jittered(*delay).max(retry_after.unwrap_or(Duration::ZERO).as_millis() as i64);
                ("pending", now_ms() + delay)
            }
            None => ("failed", 0),
        };
        let mut tx = crate::db::begin_write(&self.state.db).await?;
        sqlx::query(
            "UPDATE deliveries SET status = $1, attempts = $2, next_attempt_ms = $3,
                    locked_until_ms = 0, last_status_code = $4, last_error = $5
             WHERE id = $6",
        )
        .bind(status)
        .bind(attempts)
        .bind(next_attempt_ms)
        .bind(code.map(i64::from))
        .bind(&error)
        .bind(claim.id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO delivery_attempts (delivery_id, attempted_ms, status_code, latency_ms, error)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(claim.id)
        .bind(now_ms() - latency_ms)
        .bind(code.map(i64::from))
        .bind(latency_ms)
        .bind(&error)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if ok {
            tracing::info!(event = %claim.event_id, attempt = attempts, "webhook delivered");
        } else {
            tracing::warn!(event = %claim.event_id, attempt = attempts, error = error.as_deref(), next = status, "webhook attempt failed");
        }
        Ok(ok)
    }

    /// Steps until cancelled: at once when woken, else every poll interval.
    pub async fn run(self, shutdown: CancellationToken) {
        let poll = Duration::from_millis(self.state.config.webhooks.poll_interval_ms);
        loop {
            let busy = match self.tick().await {
                Ok(outcome) => outcome.claimed as i64 == BATCH,
                Err(err) => {
                    tracing::warn!(error = format!("{err:#}"), "dispatcher step failed");
                    false
                }
            };
            if busy {
                continue;
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = self.state.outbox.notified() => {}
                () = tokio::time::sleep(poll) => {}
            }
        }
    }
}

/// `delay_ms` ±20%, so retries from many sessions do not arrive in lockstep.
fn jittered(delay_ms: u64) -> i64 {
    let factor = rand::rng().random_range(80..=120);
    (delay_ms as i64) * factor / 100
}

/// A `Retry-After` header in seconds.
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    let seconds: u64 = value.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds.min(24 * 3600)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_twenty_percent() {
        for _ in 0..1000 {
            let d = jittered(10_000);
            assert!((8_000..=12_000).contains(&d), "{d}");
        }
        assert_eq!(jittered(0), 0);
    }
}
