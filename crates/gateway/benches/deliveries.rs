//! Webhook deliveries per second to a healthy local receiver while two
//! broken endpoints take the same events: one that refuses connections and
//! one that accepts them and never answers.
//! `cargo xtask bench` runs it; it prints one JSON line with the figures.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use futures_util::StreamExt;

use axum::http::StatusCode;
use common::{Receiver, dead_url, gateway_with, until};
use tender_gateway::config::WebhookConfig;

/// Full size when built to measure; a quick pass as a smoke test.
const EVENTS: usize = if cfg!(debug_assertions) { 300 } else { 10_000 };

#[tokio::main]
async fn main() {
    let gw = gateway_with(|c| {
        c.webhooks = WebhookConfig {
            retry_schedule_ms: vec![0, 60_000],
            request_timeout_ms: 15_000,
            poll_interval_ms: 1_000,
            lease_ms: 60_000,
            retention_days: 30,
        }
    })
    .await;
    let healthy = Receiver::start(|_| StatusCode::OK).await;
    // Sessions first, with no endpoint yet: their session.created events
    // are then queued to both endpoints at once, so only delivery is timed.
    let created = futures_util::stream::iter(0..EVENTS)
        .map(|_| gw.create_session())
        .buffer_unordered(16);
    created.collect::<Vec<_>>().await;
    let (healthy_id, _) = gw.endpoint(&healthy.url, &["*"]).await;
    let (dead_id, _) = gw.endpoint(&dead_url(), &["*"]).await;
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}/", silent.local_addr().unwrap());
    // Accepts every connection and keeps it, unanswered.
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let (silent_id, _) = gw.endpoint(&silent_url, &["*"]).await;
    let started = Instant::now();
    for endpoint in [&dead_id, &silent_id, &healthy_id] {
        sqlx::query(
            "INSERT INTO deliveries (event_id, endpoint_id, status, next_attempt_ms)
             SELECT id, $1, 'pending', 0 FROM events",
        )
        .bind(endpoint)
        .execute(&gw.state.db)
        .await
        .unwrap();
    }
    gw.state.outbox.notify_one();
    until("every delivery", Duration::from_secs(300), async || {
        healthy.count() >= EVENTS
    })
    .await;
    let elapsed = started.elapsed();
    let per_second = EVENTS as f64 / elapsed.as_secs_f64();
    println!(
        "{{\"bench\": \"webhook_deliveries\", \"events\": {EVENTS}, \"seconds\": {:.3}, \"deliveries_per_second\": {:.0}, \"refusing_endpoints\": 1, \"silent_endpoints\": 1}}",
        elapsed.as_secs_f64(),
        per_second
    );
}
