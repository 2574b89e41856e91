//! The webhook dispatcher: sends deliveries from the outbox, at least once,
//! signed at send time with every live secret of the endpoint; `retry`
//! decides what each answer means and `pacing` how many may be in flight
//! to each endpoint, so a slow or dead endpoint never delays the others.
//!
//! A step claims each due endpoint's deliveries, as many as it has free
//! slots, with their payloads, in one statement. A slot is free again the
//! moment the HTTP answer arrives; the outcomes go to a recorder that
//! writes them many at a time. A claimed delivery is leased: one whose
//! outcome a crash lost is taken again when its lease ends (at least once).
//! Endpoint URLs and secrets are cached, dropped when this process changes
//! an endpoint and after `CACHE_FOR` otherwise.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tender_protocol::WebhookSecret;
use tender_protocol::webhooks::{self, signature_header};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::clock::{now_ms, now_seconds};
use crate::db::{self, Batch};
use crate::state::AppState;
use crate::webhooks::outbox::{self, AttemptRecord, Claimed};
use crate::webhooks::pacing::{Pacing, Signal};
use crate::webhooks::retry::{self, Answer};
use crate::webhooks::{endpoints, secrets, targets};

/// Deliveries in flight to an endpoint before it has shown it is healthy
/// (see `pacing`).
pub const PER_ENDPOINT: usize = crate::webhooks::pacing::INITIAL;
/// How long an endpoint's URL and secrets are trusted without a re-read
/// (changes made by another instance are seen within this).
const CACHE_FOR: Duration = Duration::from_secs(30);
/// Outcomes written in one transaction, at most.
const RECORD_BATCH: usize = 256;
/// Deliveries claimed and not yet recorded, at most: when the recorder
/// falls behind (the database is busy), nothing more is claimed, so the
/// outcomes waiting for it cannot pile up in memory.
const UNRECORDED: usize = 1024;

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcome {
    /// Deliveries claimed and started.
    pub started: usize,
}

/// Where an endpoint's deliveries go and what they are signed with.
#[derive(Clone)]
struct Target {
    url: Arc<str>,
    secrets: Arc<Vec<WebhookSecret>>,
    read_at: Instant,
}

/// An attempt whose answer came, waiting to be recorded.
struct Finished {
    endpoint: String,
    claim: Claimed,
    answer: Answer,
    attempted_ms: i64,
    latency_ms: i64,
    _counted: Unrecorded,
}

/// A claimed delivery, counted among the unrecorded until this is dropped:
/// once its outcome is recorded, or when it is given up unrecorded (an
/// error, a panicking send) and its lease will bring it back.
struct Unrecorded(Arc<AtomicUsize>);

impl Unrecorded {
    fn count(unrecorded: &Arc<AtomicUsize>) -> Self {
        unrecorded.fetch_add(1, Ordering::AcqRel);
        Self(unrecorded.clone())
    }
}

impl Drop for Unrecorded {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Sends due deliveries.
pub struct Dispatcher {
    state: AppState,
    pacing: Arc<Mutex<Pacing>>,
    targets: Mutex<(u64, HashMap<String, Target>)>,
    tasks: tokio::sync::Mutex<JoinSet<()>>,
    finished: mpsc::UnboundedSender<Finished>,
    recorder: Mutex<Option<mpsc::UnboundedReceiver<Finished>>>,
    /// Claimed deliveries whose outcome is not recorded yet (`Unrecorded`).
    unrecorded: Arc<AtomicUsize>,
}

impl Dispatcher {
    pub fn new(state: AppState) -> Self {
        let (finished, outcomes) = mpsc::unbounded_channel();
        Self {
            state,
            pacing: Arc::default(),
            targets: Mutex::default(),
            tasks: tokio::sync::Mutex::new(JoinSet::new()),
            finished,
            recorder: Mutex::new(Some(outcomes)),
            unrecorded: Arc::default(),
        }
    }

    /// Claims due deliveries, up to each endpoint's free slots, and starts
    /// each; does not wait for them.
    pub async fn tick(&self) -> anyhow::Result<Outcome> {
        let now = now_ms();
        let lease_ms = self.state.config.webhooks.lease_ms as i64;
        let endpoints = outbox::due_endpoints(&self.state.db, now).await?;
        let mut outcome = Outcome::default();
        for endpoint in endpoints {
            let room = UNRECORDED.saturating_sub(self.unrecorded.load(Ordering::Acquire));
            let free = self
                .pacing
                .lock()
                .expect("pacing")
                .free(&endpoint, Instant::now())
                .min(room);
            if free == 0 {
                continue;
            }
            let claimed =
                outbox::claim(&self.state.db, &endpoint, free, now, now + lease_ms).await?;
            if claimed.is_empty() {
                continue;
            }
            let counted: Vec<_> = claimed
                .iter()
                .map(|_| Unrecorded::count(&self.unrecorded))
                .collect();
            let target = self.target(&endpoint).await?;
            let mut tasks = self.tasks.lock().await;
            for (claim, counted) in claimed.into_iter().zip(counted) {
                self.pacing.lock().expect("pacing").start(&endpoint);
                outcome.started += 1;
                tasks.spawn(send(
                    self.state.clone(),
                    self.pacing.clone(),
                    self.finished.clone(),
                    endpoint.clone(),
                    target.clone(),
                    claim,
                    counted,
                ));
            }
            // Reap finished tasks so the set does not grow.
            while tasks.try_join_next().is_some() {}
        }
        Ok(outcome)
    }

    /// The endpoint's URL and secrets, from the cache while fresh.
    async fn target(&self, endpoint: &str) -> anyhow::Result<Target> {
        let version = self.state.endpoints_changed.load(Ordering::Acquire);
        {
            let mut cache = self.targets.lock().expect("targets");
            if cache.0 != version {
                *cache = (version, HashMap::new());
            }
            if let Some(t) = cache.1.get(endpoint)
                && t.read_at.elapsed() < CACHE_FOR
            {
                return Ok(t.clone());
            }
        }
        let mut conn = self.state.db.acquire().await?;
        let (url,): (String,) = sqlx::query_as("SELECT url FROM webhook_endpoints WHERE id = $1")
            .bind(endpoint)
            .fetch_one(&mut *conn)
            .await?;
        let secrets = secrets::signing(&self.state.vault, &mut conn, endpoint).await?;
        let target = Target {
            url: url.into(),
            secrets: Arc::new(secrets),
            read_at: Instant::now(),
        };
        let mut cache = self.targets.lock().expect("targets");
        if cache.0 == version {
            cache.1.insert(endpoint.to_owned(), target.clone());
        }
        Ok(target)
    }

    /// Steps until cancelled: when woken (new outbox rows, a freed slot), else
    /// every poll interval. The recorder runs beside it.
    pub async fn run(self, shutdown: CancellationToken) {
        let outcomes = self.recorder.lock().expect("recorder").take();
        let recorder = outcomes.map(|o| tokio::spawn(record_all(self.state.clone(), o)));
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
        // In-flight attempts finish and are recorded; their leases would
        // expire anyway.
        let settle = async {
            let mut tasks = self.tasks.lock().await;
            while tasks.join_next().await.is_some() {}
        };
        let _ = tokio::time::timeout(Duration::from_secs(5), settle).await;
        drop(self.finished);
        if let Some(recorder) = recorder {
            let _ = tokio::time::timeout(Duration::from_secs(5), recorder).await;
        }
    }
}

/// One attempt of one claimed delivery: signed now, sent, its slot freed
/// as soon as the answer comes, its outcome handed to the recorder.
async fn send(
    state: AppState,
    pacing: Arc<Mutex<Pacing>>,
    finished: mpsc::UnboundedSender<Finished>,
    endpoint: String,
    target: Target,
    claim: Claimed,
    counted: Unrecorded,
) {
    let attempted_ms = now_ms();
    let started = Instant::now();
    // An IP literal never reaches the client's guarded resolver: checked here.
    let allowed = match Url::parse(&target.url) {
        Ok(url) => targets::check_url(&state.config.target_policy(), &url, false).await,
        Err(_) => Err(targets::Refused::Malformed),
    };
    let answer = match allowed {
        Err(refused) => Answer::refused(&refused),
        Ok(()) => {
            // Signed at send time: each attempt carries its own timestamp.
            let timestamp = now_seconds();
            let signature =
                signature_header(&target.secrets, &claim.event_id, timestamp, &claim.payload);
            let response = state
                .http
                .post(&*target.url)
                .header("content-type", "application/json")
                .header(webhooks::HEADER_ID, &claim.event_id)
                .header(webhooks::HEADER_TIMESTAMP, timestamp.to_string())
                .header(webhooks::HEADER_SIGNATURE, signature)
                .body(claim.payload.clone())
                .send()
                .await;
            Answer::of(&response)
        }
    };
    let latency_ms = started.elapsed().as_millis() as i64;
    let signal = if answer.delivered() {
        Signal::Delivered
    } else if answer.code.is_some() {
        Signal::Answered
    } else {
        Signal::Unreachable
    };
    {
        let mut pacing = pacing.lock().expect("pacing");
        pacing.finish(&endpoint, signal, Instant::now());
        if let Some(pause) = pacing.paused(&endpoint, Instant::now())
            && signal == Signal::Unreachable
        {
            tracing::warn!(endpoint = %endpoint, pause_ms = pause.as_millis() as u64, "endpoint unreachable again and again; pausing its deliveries");
        }
    }
    // Wake the loop: this endpoint has a free slot again.
    state.outbox.notify_one();
    let _ = finished.send(Finished {
        endpoint,
        claim,
        answer,
        attempted_ms,
        latency_ms,
        _counted: counted,
    });
}

/// Writes outcomes as they come, as many as are waiting in one transaction.
async fn record_all(state: AppState, mut outcomes: mpsc::UnboundedReceiver<Finished>) {
    let mut batch = Vec::with_capacity(RECORD_BATCH);
    while outcomes.recv_many(&mut batch, RECORD_BATCH).await > 0 {
        if let Err(err) = record(&state, &batch).await {
            // Unrecorded attempts are sent again when their leases end.
            tracing::error!(
                error = format!("{err:#}"),
                attempts = batch.len(),
                "delivery bookkeeping failed"
            );
        }
        // Done with, either way (an unrecorded one is claimed again when
        // its lease ends): dropping them makes room to claim more.
        batch.clear();
        state.outbox.notify_one();
    }
}

/// Records attempts and decides what comes next for each (`write_many`:
/// on SQLite each with whatever else is written at the moment). One not
/// recorded is claimed again when its lease ends.
async fn record(state: &AppState, batch: &[Finished]) -> anyhow::Result<()> {
    let schedule = &state.config.webhooks.retry_schedule_ms;
    let mut logs = Vec::with_capacity(batch.len());
    // A delivery sent twice (its lease ran out during an attempt) is
    // recorded in a later round: the writes of one must not touch a row
    // twice (`write_many`), nor race each other.
    let mut rounds: Vec<Vec<Batch>> = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for done in batch {
        let attempts = done.claim.attempts + 1;
        let next = retry::next(schedule, attempts as usize, &done.answer);
        let record = AttemptRecord {
            delivery_id: done.claim.id,
            attempts,
            status: next.status(),
            next_attempt_ms: next.at_ms(),
            status_code: done.answer.code,
            error: done.answer.error.as_deref(),
            attempted_ms: done.attempted_ms,
            latency_ms: done.latency_ms,
        };
        let mut write = Batch::new();
        outbox::finish(&mut write, &record);
        let round: &mut usize = seen
            .entry(done.claim.id)
            .and_modify(|r| *r += 1)
            .or_default();
        if rounds.len() <= *round {
            rounds.push(Vec::new());
        }
        rounds[*round].push(write);
        logs.push((done, attempts, next.status()));
    }
    for writes in rounds {
        db::write_many(&state.db, writes).await?;
    }
    let gone: Vec<&str> = batch
        .iter()
        .filter(|d| d.answer.gone())
        .map(|d| d.endpoint.as_str())
        .collect();
    endpoints::disable_gone(state, &gone).await?;
    for (done, attempts, next) in logs {
        let event = &done.claim.event_id;
        if done.answer.delivered() {
            tracing::info!(event = %event, attempt = attempts, "webhook delivered");
        } else if done.answer.gone() {
            tracing::warn!(endpoint = %done.endpoint, "endpoint answered 410 Gone; disabled");
        } else {
            tracing::warn!(event = %event, attempt = attempts, error = done.answer.error.as_deref(), next, "webhook attempt failed");
        }
    }
    Ok(())
}
