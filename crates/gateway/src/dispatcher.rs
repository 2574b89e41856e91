//! Webhook delivery from the outbox: at least once, signed at send time with
//! every live secret of the endpoint, retried on the configured schedule with
//! ±20% jitter and `Retry-After`. Each endpoint has its own few slots, so a
//! slow or dead endpoint never delays the others. A claimed delivery is
//! leased: one left unfinished by a crash is taken again when its lease ends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use sqlx::FromRow;
use tender_protocol::webhooks::{self, signature_header};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::clock::{now_ms, now_seconds};
use crate::db::Backend;
use crate::state::AppState;
use crate::webhook_endpoints::signing_secrets;

/// Deliveries in flight to one endpoint at most.
pub const PER_ENDPOINT: usize = 4;

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcome {
    /// Deliveries claimed and started.
    pub started: usize,
}

/// How one attempt went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Delivered,
    Failed,
}

#[derive(FromRow)]
struct Claim {
    id: i64,
    attempts: i64,
    endpoint_id: String,
    event_id: String,
    payload: String,
    url: String,
}

/// Sends due deliveries.
pub struct Dispatcher {
    state: AppState,
    in_flight: Arc<Mutex<HashMap<String, usize>>>,
    tasks: tokio::sync::Mutex<JoinSet<Attempt>>,
}

impl Dispatcher {
    pub fn new(state: AppState) -> Self {
        Self {
            state,
            in_flight: Arc::default(),
            tasks: tokio::sync::Mutex::new(JoinSet::new()),
        }
    }

    fn in_flight(&self, endpoint: &str) -> usize {
        self.in_flight
            .lock()
            .expect("in-flight lock")
            .get(endpoint)
            .copied()
            .unwrap_or(0)
    }

    /// Claims due deliveries, up to each endpoint's free slots, and starts
    /// each; does not wait for them (see [`Dispatcher::settle`]).
    pub async fn tick(&self) -> anyhow::Result<Outcome> {
        let now = now_ms();
        let lease_ms = self.state.config.webhooks.lease_ms as i64;
        let endpoints: Vec<(String,)> = sqlx::query_as(
            "SELECT DISTINCT d.endpoint_id FROM deliveries d
             JOIN webhook_endpoints w ON w.id = d.endpoint_id
             WHERE d.status = 'pending' AND d.next_attempt_ms <= $1 AND d.locked_until_ms <= $1
               AND w.deleted_at IS NULL AND w.disabled_at IS NULL",
        )
        .bind(now)
        .fetch_all(&self.state.db)
        .await?;
        let mut outcome = Outcome::default();
        for (endpoint,) in endpoints {
            let free = PER_ENDPOINT.saturating_sub(self.in_flight(&endpoint));
            if free == 0 {
                continue;
            }
            for id in self.claim(&endpoint, free, now, lease_ms).await? {
                self.take_slot(&endpoint);
                outcome.started += 1;
                let state = self.state.clone();
                let in_flight = self.in_flight.clone();
                let endpoint = endpoint.clone();
                self.tasks.lock().await.spawn(async move {
                    let result = attempt(&state, id).await.unwrap_or_else(|err| {
                        tracing::error!(
                            delivery = id,
                            error = format!("{err:#}"),
                            "delivery bookkeeping failed"
                        );
                        Attempt::Failed
                    });
                    release(&in_flight, &endpoint);
                    // Wake the loop: this endpoint has a free slot again.
                    state.outbox.notify_one();
                    result
                });
            }
        }
        // Reap finished tasks so the set does not grow.
        let mut tasks = self.tasks.lock().await;
        while tasks.try_join_next().is_some() {}
        Ok(outcome)
    }

    /// Leases up to `limit` due deliveries of one endpoint. On PostgreSQL
    /// rows another instance is claiming are skipped, not waited for.
    async fn claim(
        &self,
        endpoint: &str,
        limit: usize,
        now: i64,
        lease_ms: i64,
    ) -> anyhow::Result<Vec<i64>> {
        let query = match Backend::of(&self.state.db) {
            Backend::Sqlite => {
                "UPDATE deliveries SET locked_until_ms = $1
                 WHERE id IN (SELECT id FROM deliveries
                              WHERE endpoint_id = $2 AND status = 'pending'
                                AND next_attempt_ms <= $3 AND locked_until_ms <= $3
                              ORDER BY next_attempt_ms LIMIT $4)
                 RETURNING id"
            }
            Backend::Postgres => {
                "UPDATE deliveries SET locked_until_ms = $1
                 WHERE id IN (SELECT id FROM deliveries
                              WHERE endpoint_id = $2 AND status = 'pending'
                                AND next_attempt_ms <= $3 AND locked_until_ms <= $3
                              ORDER BY next_attempt_ms LIMIT $4
                              FOR UPDATE SKIP LOCKED)
                 RETURNING id"
            }
        };
        let claimed: Vec<(i64,)> = sqlx::query_as(query)
            .bind(now + lease_ms)
            .bind(endpoint)
            .bind(now)
            .bind(limit as i64)
            .fetch_all(&self.state.db)
            .await?;
        Ok(claimed.into_iter().map(|(id,)| id).collect())
    }

    /// Waits for every started attempt to finish.
    pub async fn settle(&self) -> Vec<Attempt> {
        let mut tasks = self.tasks.lock().await;
        let mut results = Vec::new();
        while let Some(result) = tasks.join_next().await {
            results.extend(result.ok());
        }
        results
    }

    fn take_slot(&self, endpoint: &str) {
        *self
            .in_flight
            .lock()
            .expect("in-flight lock")
            .entry(endpoint.to_owned())
            .or_insert(0) += 1;
    }

    /// Steps until cancelled: when woken (new outbox rows, a freed slot), else
    /// every poll interval.
    pub async fn run(self, shutdown: CancellationToken) {
        let poll = Duration::from_millis(self.state.config.webhooks.poll_interval_ms);
        loop {
            if let Err(err) = self.tick().await {
                tracing::warn!(error = format!("{err:#}"), "dispatcher step failed");
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = self.state.outbox.notified() => {}
                () = tokio::time::sleep(poll) => {}
            }
        }
        // In-flight attempts finish; their leases would expire anyway.
        let _ = tokio::time::timeout(Duration::from_secs(5), self.settle()).await;
    }
}

fn release(in_flight: &Mutex<HashMap<String, usize>>, endpoint: &str) {
    let mut in_flight = in_flight.lock().expect("in-flight lock");
    if let Some(n) = in_flight.get_mut(endpoint) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            in_flight.remove(endpoint);
        }
    }
}

/// What an endpoint's answer means for the delivery.
struct Answer {
    code: Option<u16>,
    error: Option<String>,
    retry_after: Option<Duration>,
}

/// One attempt of one claimed delivery.
async fn attempt(state: &AppState, delivery_id: i64) -> anyhow::Result<Attempt> {
    let mut conn = state.db.acquire().await?;
    let claim: Claim = sqlx::query_as(
        "SELECT d.id, d.attempts, d.endpoint_id, e.id AS event_id, e.payload, w.url
         FROM deliveries d
         JOIN events e ON e.id = d.event_id
         JOIN webhook_endpoints w ON w.id = d.endpoint_id
         WHERE d.id = $1",
    )
    .bind(delivery_id)
    .fetch_one(&mut *conn)
    .await?;
    let secrets = signing_secrets(&mut conn, &claim.endpoint_id).await?;
    drop(conn);
    // Signed at send time: each attempt carries its own timestamp.
    let timestamp = now_seconds();
    let signature = signature_header(
        &secrets,
        &claim.event_id,
        timestamp,
        claim.payload.as_bytes(),
    );
    let started = Instant::now();
    let response = state
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
    let answer = match &response {
        Ok(r) if r.status().is_success() => Answer {
            code: Some(r.status().as_u16()),
            error: None,
            retry_after: None,
        },
        Ok(r) => Answer {
            code: Some(r.status().as_u16()),
            error: Some(format!("endpoint answered {}", r.status())),
            retry_after: retry_after(r),
        },
        Err(e) => Answer {
            code: None,
            error: Some(
                if e.is_timeout() {
                    "timed out"
                } else if e.is_connect() {
                    "connection failed"
                } else {
                    "request failed"
                }
                .to_owned(),
            ),
            retry_after: None,
        },
    };
    record(state, &claim, &answer, latency_ms).await
}

/// Records the attempt and decides what comes next, in one transaction.
async fn record(
    state: &AppState,
    claim: &Claim,
    answer: &Answer,
    latency_ms: i64,
) -> anyhow::Result<Attempt> {
    let attempts = claim.attempts + 1;
    let gone = answer.code == Some(410);
    let schedule = &state.config.webhooks.retry_schedule_ms;
    let (status, next_attempt_ms) = match schedule.get(attempts as usize) {
        _ if answer.error.is_none() => ("succeeded", 0),
        _ if gone => ("failed", 0),
        Some(delay) => {
            let wait = answer.retry_after.map_or(0, |d| d.as_millis() as i64);
            ("pending", now_ms() + jittered(*delay).max(wait))
        }
        None => ("failed", 0),
    };
    let mut tx = crate::db::begin_write(&state.db).await?;
    // Only a pending delivery moves on: one cancelled (its endpoint deleted)
    // while this attempt was in flight stays cancelled.
    sqlx::query(
        "UPDATE deliveries SET status = $1, attempts = $2, next_attempt_ms = $3,
                locked_until_ms = 0, last_status_code = $4, last_error = $5
         WHERE id = $6 AND status = 'pending'",
    )
    .bind(status)
    .bind(attempts)
    .bind(next_attempt_ms)
    .bind(answer.code.map(i64::from))
    .bind(&answer.error)
    .bind(claim.id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO delivery_attempts (delivery_id, attempted_ms, status_code, latency_ms, error)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(claim.id)
    .bind(now_ms() - latency_ms)
    .bind(answer.code.map(i64::from))
    .bind(latency_ms)
    .bind(&answer.error)
    .execute(&mut *tx)
    .await?;
    if gone {
        // 410 Gone: the receiver asks us to stop. Disable the endpoint and
        // fail what is queued for it; the merchant can add it again.
        sqlx::query("UPDATE webhook_endpoints SET disabled_at = $1 WHERE id = $2")
            .bind(now_seconds())
            .bind(&claim.endpoint_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE deliveries SET status = 'failed' WHERE endpoint_id = $1 AND status = 'pending'",
        )
        .bind(&claim.endpoint_id)
        .execute(&mut *tx)
        .await?;
        tracing::warn!(endpoint = %claim.endpoint_id, "endpoint answered 410 Gone; disabled");
    }
    tx.commit().await?;
    if answer.error.is_none() {
        tracing::info!(event = %claim.event_id, attempt = attempts, "webhook delivered");
        Ok(Attempt::Delivered)
    } else {
        tracing::warn!(event = %claim.event_id, attempt = attempts, error = answer.error.as_deref(), next = status, "webhook attempt failed");
        Ok(Attempt::Failed)
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
