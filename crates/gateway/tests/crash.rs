//! Crash safety: the gateway process is killed with SIGKILL in the middle of
//! delivering 1,000 events and started again; every event still arrives.

mod common;

use std::collections::HashSet;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::http::StatusCode;
use common::{Receiver, until};
use futures_util::StreamExt;
use serde_json::Value;

const EVENTS: usize = 1000;

fn start(config: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_tender-gateway"))
        .arg("--config")
        .arg(config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the gateway binary")
}

async fn wait_healthy(http: &reqwest::Client, url: &str) {
    until(
        "the gateway to answer",
        Duration::from_secs(30),
        async || {
            http.get(format!("{url}/health"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        },
    )
    .await;
}

#[tokio::test]
async fn a_killed_gateway_loses_no_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let config = dir.path().join("gateway.toml");
    std::fs::write(
        &config,
        format!(
            r#"listen = "127.0.0.1:{port}"
database_url = "{db}"
dev = true
mnemonic = "test test test test test test test test test test test junk"
[webhooks]
retry_schedule_ms = [0, 100, 200, 400, 800, 1600]
request_timeout_ms = 2000
poll_interval_ms = 50
lease_ms = 3000
"#,
            db = common::database_url(dir.path()).await
        ),
    )
    .unwrap();
    let created = Command::new(env!("CARGO_BIN_EXE_tender-gateway"))
        .arg("--config")
        .arg(&config)
        .args(["create-merchant", "--name", "Crash Shop"])
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let key = serde_json::from_slice::<Value>(&created.stdout).unwrap()["apiKey"]
        .as_str()
        .unwrap()
        .to_owned();

    // A receiver slow enough (100 ms a request: at most 320 a second at
    // 32 in flight) that the kill lands mid-flight, however fast the
    // dispatcher has become.
    let receiver = Receiver::start_slow(Duration::from_millis(100), |_| StatusCode::OK).await;
    let http = reqwest::Client::new();
    let mut gateway = start(&config);
    wait_healthy(&http, &url).await;
    let endpoint = http
        .post(format!("{url}/v1/webhook-endpoints"))
        .bearer_auth(&key)
        .json(&serde_json::json!({"url": receiver.url, "enabledEvents": ["session.created"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(endpoint.status(), 201);

    // 1,000 sessions, so 1,000 session.created events in the outbox.
    let body = serde_json::json!({
        "productData": {"name": "Sticker", "price": {"amount": "1.00", "currency": "USD"}},
        "successUrl": "https://shop.test/ok",
    });
    let statuses: Vec<u16> = futures_util::stream::iter(0..EVENTS)
        .map(|_| {
            let request = http
                .post(format!("{url}/v1/checkout/sessions"))
                .bearer_auth(&key)
                .json(&body);
            async move {
                request
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    assert!(statuses.iter().all(|s| *s == 201), "every session created");

    until(
        "deliveries to be under way",
        Duration::from_secs(60),
        async || receiver.count() >= 200,
    )
    .await;
    gateway.kill().expect("SIGKILL the gateway");
    gateway.wait().unwrap();
    let at_kill = receiver.count();
    assert!(
        at_kill < EVENTS,
        "the kill landed before the end ({at_kill} delivered)"
    );

    let mut gateway = start(&config);
    wait_healthy(&http, &url).await;
    until(
        "every event to arrive",
        Duration::from_secs(120),
        async || {
            let ids: HashSet<String> = receiver
                .received()
                .iter()
                .map(|r| r.headers["webhook-id"].to_str().unwrap().to_owned())
                .collect();
            ids.len() == EVENTS
        },
    )
    .await;
    let total = receiver.count();
    eprintln!(
        "crash test: {at_kill} delivered before SIGKILL, {total} requests in all for {EVENTS} unique events"
    );
    assert!(total >= EVENTS);
    gateway.kill().unwrap();
    gateway.wait().unwrap();
}
