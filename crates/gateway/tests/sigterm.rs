//! SIGTERM to the real `tender-gateway` binary during a burst of webhook
//! deliveries to a slow receiver: the process exits on its own within its
//! grace time, and after a restart on the same database every event has
//! reached the receiver, none twice.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::{Receiver, database_url, until};
use serde_json::{Value, json};
use tender_gateway::config::DEV_MNEMONIC;

/// The gateway binary with a test's settings.
fn gateway(database: &str, listen: &str, log: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tender-gateway"));
    command
        .env_clear()
        .env("TENDER_DEV", "true")
        .env("TENDER_MNEMONIC", DEV_MNEMONIC)
        .env("TENDER_LISTEN", listen)
        .env("TENDER_DATABASE_URL", database)
        .env("RUST_LOG", "info")
        .stderr(std::fs::File::create(log).expect("a log file"));
    command
}

/// A gateway process, killed if the test ends before it exits.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

impl Running {
    fn terminate(&self) {
        let kill = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(kill.success());
    }
}

/// A loopback address with a free port.
fn free_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

/// Starts the gateway and waits until it answers `/healthz`.
async fn serve(database: &str, log: &Path) -> (Running, String) {
    let listen = free_address();
    let child = Running(
        gateway(database, &listen, log)
            .stdout(Stdio::null())
            .spawn()
            .expect("the gateway binary starts"),
    );
    let url = format!("http://{listen}");
    let http = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(answer) = http.get(format!("{url}/healthz")).send().await
            && answer.status() == StatusCode::OK
        {
            return (child, url);
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the gateway did not answer: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn post(http: &reqwest::Client, url: &str, key: &str, body: Value) -> Value {
    let answer = http
        .post(url)
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::CREATED);
    answer.json().await.unwrap()
}

#[tokio::test]
async fn sigterm_during_a_burst_of_deliveries_exits_in_time_and_loses_none() {
    let dir = tempfile::tempdir().unwrap();
    let database = database_url(dir.path()).await;
    let log = dir.path().join("gateway.log");
    let created = gateway(&database, "127.0.0.1:0", &log)
        .arg("create-merchant")
        .arg("--name")
        .arg("Signal Shop")
        .output()
        .expect("create-merchant runs");
    assert!(created.status.success(), "{created:?}");
    let merchant: Value = serde_json::from_slice(&created.stdout).expect("JSON");
    let key = merchant["apiKey"].as_str().expect("an API key").to_owned();

    let (mut child, url) = serve(&database, &log).await;
    let http = reqwest::Client::new();
    let receiver = Receiver::start_slow(Duration::from_millis(150), |_| StatusCode::OK).await;
    post(
        &http,
        &format!("{url}/v1/webhook-endpoints"),
        &key,
        json!({"url": receiver.url, "enabledEvents": ["session.created"]}),
    )
    .await;
    for _ in 0..40 {
        post(
            &http,
            &format!("{url}/v1/checkout/sessions"),
            &key,
            common::session_body(),
        )
        .await;
    }
    until(
        "deliveries under way",
        Duration::from_secs(20),
        async || receiver.count() >= 3,
    )
    .await;
    let before = receiver.count();
    assert!(before < 40, "the burst was over before the signal");

    let signalled = Instant::now();
    child.terminate();
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        // The default grace is 20 s; a hung process fails the test.
        assert!(
            signalled.elapsed() < Duration::from_secs(30),
            "no exit after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(status.success(), "exit {status:?}: {logged}");
    assert!(
        http.get(format!("{url}/healthz")).send().await.is_err(),
        "it no longer takes requests"
    );

    let (mut again, _) = serve(&database, &log).await;
    until("all 40 delivered", Duration::from_secs(60), async || {
        receiver.count() >= 40
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    again.terminate();
    let _ = again.0.wait();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in receiver.received() {
        let id = r.headers["webhook-id"].to_str().unwrap().to_owned();
        *seen.entry(id).or_default() += 1;
    }
    assert_eq!(seen.len(), 40, "every event arrived");
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent twice: {twice:?}");
}
