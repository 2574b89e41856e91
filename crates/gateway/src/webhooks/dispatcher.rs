//! The webhook dispatcher: sends deliveries from the outbox, at least once,
//! signed at send time with every live secret of the endpoint; `retry`
//! decides what each answer means. Each endpoint has its own few slots, so a
//! slow or dead endpoint never delays the others. A claimed delivery is
//! leased: one left unfinished by a crash is taken again when its lease ends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::FromRow;
use tender_protocol::webhooks::{self, signature_header};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::clock::{now_ms, now_seconds};
use crate::state::AppState;
use crate::webhooks::endpoints;
use crate::webhooks::outbox::{self, AttemptRecord};
use crate::webhooks::retry::{self, Answer};
use crate::webhooks::secrets;
use crate::webhooks::targets;

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
        let endpoints = outbox::due_endpoints(&self.state.db, now).await?;
        let mut outcome = Outcome::default();
        for endpoint in endpoints {
            let free = PER_ENDPOINT.saturating_sub(self.in_flight(&endpoint));
            if free == 0 {
                continue;
            }
            let claimed =
                outbox::claim(&self.state.db, &endpoint, free, now, now + lease_ms).await?;
            for id in claimed {
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
    let secrets = secrets::signing(&state.vault, &mut conn, &claim.endpoint_id).await?;
    drop(conn);
    // Signed at send time: each attempt carries its own timestamp.
    let timestamp = now_seconds();
    let signature = signature_header(&secrets, &claim.event_id, timestamp, &claim.payload);
    // An IP literal never reaches the client's guarded resolver: checked here.
    let allowed = match Url::parse(&claim.url) {
        Ok(url) => targets::check_url(&state.config.target_policy(), &url, false).await,
        Err(_) => Err(targets::Refused::Malformed),
    };
    if let Err(refused) = allowed {
        return record(state, &claim, &Answer::refused(&refused), 0).await;
    }
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
    record(state, &claim, &Answer::of(&response), latency_ms).await
}

/// Records the attempt and decides what comes next, in one transaction.
async fn record(
    state: &AppState,
    claim: &Claim,
    answer: &Answer,
    latency_ms: i64,
) -> anyhow::Result<Attempt> {
    let attempts = claim.attempts + 1;
    let next = retry::next(
        &state.config.webhooks.retry_schedule_ms,
        attempts as usize,
        answer,
    );
    let mut tx = crate::db::begin_write(&state.db).await?;
    let record = AttemptRecord {
        delivery_id: claim.id,
        attempts,
        status: next.status(),
        next_attempt_ms: next.at_ms(),
        status_code: answer.code,
        error: answer.error.as_deref(),
        latency_ms,
    };
    outbox::finish(&mut tx, &record).await?;
    if answer.gone() {
        endpoints::disable(&mut tx, &claim.endpoint_id).await?;
        tracing::warn!(endpoint = %claim.endpoint_id, "endpoint answered 410 Gone; disabled");
    }
    tx.commit().await?;
    if answer.delivered() {
        tracing::info!(event = %claim.event_id, attempt = attempts, "webhook delivered");
        Ok(Attempt::Delivered)
    } else {
        tracing::warn!(event = %claim.event_id, attempt = attempts, error = answer.error.as_deref(), next = next.status(), "webhook attempt failed");
        Ok(Attempt::Failed)
    }
}
