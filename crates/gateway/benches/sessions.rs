//! Create-session throughput and latency, side by side with a bare axum
//! JSON handler in the same process and run: the ratio is the figure.
//! `cargo xtask bench` runs it; it prints one JSON line.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::post;
use axum::{Json, Router};
use common::{gateway, session_body};
use futures_util::StreamExt;
use serde_json::{Value, json};

const REQUESTS: usize = 2000;
const CONCURRENCY: usize = 16;

struct Figures {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Sends `REQUESTS` POSTs of `body` to `url`, `CONCURRENCY` at a time.
async fn load(http: &reqwest::Client, url: &str, key: &str, body: &Value) -> Figures {
    let started = Instant::now();
    let mut latencies: Vec<Duration> = futures_util::stream::iter(0..REQUESTS)
        .map(|_| async {
            let sent = Instant::now();
            let response = http
                .post(url)
                .bearer_auth(key)
                .json(body)
                .send()
                .await
                .expect("server reachable");
            assert!(response.status().is_success(), "{}", response.status());
            response.bytes().await.expect("body");
            sent.elapsed()
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let elapsed = started.elapsed();
    latencies.sort();
    let at = |q: f64| {
        latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)].as_secs_f64()
            * 1000.0
    };
    Figures {
        per_second: REQUESTS as f64 / elapsed.as_secs_f64(),
        p50_ms: at(0.50),
        p99_ms: at(0.99),
    }
}

/// The baseline: parse the same JSON, answer JSON, nothing else.
async fn bare() -> String {
    let app = Router::new().route(
        "/",
        post(|Json(body): Json<Value>| async move {
            (
                axum::http::StatusCode::CREATED,
                Json(json!({"id": "cs_bare", "echo": body})),
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[tokio::main]
async fn main() {
    let gw = Arc::new(gateway().await);
    let http = reqwest::Client::new();
    let body = session_body();
    let bare_url = bare().await;
    // Warm both up, then measure one after the other in the same process.
    load(&http, &bare_url, "x", &body).await;
    let baseline = load(&http, &bare_url, "x", &body).await;
    let sessions_url = format!("{}/v1/checkout/sessions", gw.url);
    let tender = load(&http, &sessions_url, &gw.key, &body).await;
    println!(
        "{}",
        json!({
            "bench": "create_session",
            "requests": REQUESTS,
            "concurrency": CONCURRENCY,
            "tender_per_second": round(tender.per_second),
            "tender_p50_ms": round(tender.p50_ms),
            "tender_p99_ms": round(tender.p99_ms),
            "bare_axum_per_second": round(baseline.per_second),
            "bare_axum_p50_ms": round(baseline.p50_ms),
            "bare_axum_p99_ms": round(baseline.p99_ms),
            "ratio_of_bare": round(tender.per_second / baseline.per_second),
        })
    );
}
