//! Two gateway processes on one PostgreSQL database, one of them killed with
//! SIGKILL in the middle of the work: 1,000 events and 50 payments, none
//! lost, each session paid once, and the deliveries deduplicate to one per
//! event. Needs PostgreSQL: `cargo xtask test` starts one and runs this with
//! `TENDER_TEST_POSTGRES` set.

use std::collections::HashSet;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use alloy::primitives::U256;
use futures_util::StreamExt;
use serde_json::{Value, json};
use sqlx::{Connection, Executor};
use tender_e2e::anvil::DEV_ACCOUNT;
use tender_e2e::{Anvil, Receiver, eventually};
use tender_gateway::devnet::Devnet;

const PLAIN_SESSIONS: usize = 850;
const PAYMENTS: usize = 50;
/// Each plain session makes one event; each paid one three (created,
/// processing, paid).
const EVENTS: usize = PLAIN_SESSIONS + 3 * PAYMENTS;

async fn fresh_database() -> String {
    let admin = std::env::var("TENDER_TEST_POSTGRES")
        .expect("this test needs PostgreSQL: run `cargo xtask test`, which starts one and sets TENDER_TEST_POSTGRES");
    let name = format!(
        "i_{}",
        tender_protocol::ids::random_token(12).to_lowercase()
    );
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("PostgreSQL answers");
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .unwrap();
    format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
}

fn gateway_binary() -> std::path::PathBuf {
    let path = tender_e2e::tools::root().join("target/debug/tender-gateway");
    assert!(
        path.exists(),
        "{} not found: run `cargo xtask test` (it builds it)",
        path.display()
    );
    path
}

fn config(dir: &Path, name: &str, port: u16, database: &str, anvil: &Anvil) -> std::path::PathBuf {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            r#"listen = "127.0.0.1:{port}"
database_url = "{database}"
dev = true
mnemonic = "test test test test test test test test test test test junk"
watcher_poll_ms = 200
[[networks]]
id = "anvil"
name = "Anvil"
chain_id = 31337
rpc_url = "{rpc}"
confirmations = 2
native_token = "ETH"
[[rates]]
token = "ETH"
currency = "USD"
price = "2000"
[webhooks]
retry_schedule_ms = [0, 100, 200, 400, 800, 1600, 3200]
request_timeout_ms = 2000
poll_interval_ms = 100
lease_ms = 3000
[settlement]
poll_ms = 200
"#,
            rpc = anvil.rpc_url
        ),
    )
    .unwrap();
    path
}

fn start(config: &Path) -> Child {
    Command::new(gateway_binary())
        .arg("--config")
        .arg(config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start a gateway")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn healthy(http: &reqwest::Client, url: &str) {
    eventually("a gateway to answer", Duration::from_secs(30), || async {
        http.get(format!("{url}/health"))
            .send()
            .await
            .ok()
            .filter(|r| r.status().is_success())
            .map(|_| ())
    })
    .await;
}

#[tokio::test]
async fn two_instances_one_killed_lose_nothing_and_pay_each_session_once() {
    let database = fresh_database().await;
    let anvil = Anvil::start(31337, None);
    let dir = tempfile::tempdir().unwrap();
    let (port_a, port_b) = (free_port(), free_port());
    let (url_a, url_b) = (
        format!("http://127.0.0.1:{port_a}"),
        format!("http://127.0.0.1:{port_b}"),
    );
    let config_a = config(dir.path(), "a", port_a, &database, &anvil);
    let config_b = config(dir.path(), "b", port_b, &database, &anvil);
    let created = Command::new(gateway_binary())
        .arg("--config")
        .arg(&config_a)
        .args(["create-merchant", "--name", "Shared"])
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

    let http = reqwest::Client::new();
    let mut a = start(&config_a);
    healthy(&http, &url_a).await;
    let mut b = start(&config_b);
    healthy(&http, &url_b).await;
    let receiver = Receiver::start().await;
    let endpoint = http
        .post(format!("{url_a}/v1/webhook-endpoints"))
        .bearer_auth(&key)
        .json(&json!({"url": receiver.url}))
        .send()
        .await
        .unwrap();
    assert_eq!(endpoint.status(), 201);

    let session_body = json!({
        "productData": {"name": "Sticker", "price": {"amount": "1.00", "currency": "USD"}},
        "successUrl": "https://shop.test/ok",
    });
    let create = |url: String| {
        let request = http
            .post(format!("{url}/v1/checkout/sessions"))
            .bearer_auth(&key)
            .json(&session_body);
        async move {
            let response = request.send().await.ok()?;
            (response.status() == 201).then_some(())?;
            response.json::<Value>().await.ok()
        }
    };

    // The first half of the plain sessions through both instances.
    let halves = [PLAIN_SESSIONS / 2, PLAIN_SESSIONS - PLAIN_SESSIONS / 2];
    let first: Vec<Option<Value>> = futures_util::stream::iter(0..halves[0])
        .map(|i| {
            create(if i % 2 == 0 {
                url_a.clone()
            } else {
                url_b.clone()
            })
        })
        .buffer_unordered(8)
        .collect()
        .await;
    assert!(first.iter().all(Option::is_some), "every session created");

    // Half the payments, then A dies in the middle of its deliveries.
    let devnet = Devnet::connect(anvil.rpc_url.parse().unwrap());
    let payer = DEV_ACCOUNT.parse().unwrap();
    let mut paid_sessions = Vec::new();
    let mut pay = async |url: &str| {
        let session = create(url.to_owned()).await.expect("a session");
        let id = session["id"].as_str().unwrap().to_owned();
        let quote: Value = http
            .post(format!("{url}/v1/pay/{id}/quote"))
            .json(&json!({"network": "anvil", "token": "ETH"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let amount: u128 = quote["amountRaw"].as_str().unwrap().parse().unwrap();
        devnet
            .send_native(
                payer,
                quote["depositAddress"].as_str().unwrap().parse().unwrap(),
                U256::from(amount),
            )
            .await
            .unwrap();
        id
    };
    for i in 0..PAYMENTS / 2 {
        paid_sessions.push(pay(if i % 2 == 0 { &url_a } else { &url_b }).await);
    }
    a.kill().expect("SIGKILL instance A");
    a.wait().unwrap();
    let at_kill = receiver.deliveries().len();

    // B alone: the rest of the sessions and payments, and the confirmations.
    let second: Vec<Option<Value>> = futures_util::stream::iter(0..halves[1])
        .map(|_| create(url_b.clone()))
        .buffer_unordered(8)
        .collect()
        .await;
    assert!(second.iter().all(Option::is_some), "B takes every request");
    for _ in PAYMENTS / 2..PAYMENTS {
        paid_sessions.push(pay(&url_b).await);
    }
    anvil.mine(3).await;

    for id in &paid_sessions {
        eventually(
            &format!("{id} to be paid"),
            Duration::from_secs(60),
            || async {
                let session: Value = http
                    .get(format!("{url_b}/v1/checkout/sessions/{id}"))
                    .bearer_auth(&key)
                    .send()
                    .await
                    .ok()?
                    .json()
                    .await
                    .ok()?;
                (session["status"] == "paid").then_some(())
            },
        )
        .await;
    }
    let unique = eventually(
        "every event to be delivered",
        Duration::from_secs(120),
        || async {
            let ids: HashSet<String> = receiver
                .deliveries()
                .iter()
                .map(|d| d.headers["webhook-id"].to_str().unwrap().to_owned())
                .collect();
            (ids.len() >= EVENTS).then_some(ids)
        },
    )
    .await;
    let mut conn = sqlx::PgConnection::connect(&database).await.unwrap();
    let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let paid_events: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE type = 'session.paid'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    let payments: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payments")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    eprintln!(
        "two instances: {at_kill} deliveries before SIGKILL, {} requests in all, {} unique ids for {events} events",
        receiver.deliveries().len(),
        unique.len()
    );
    assert_eq!(events as usize, EVENTS, "exactly the events expected");
    assert_eq!(
        unique.len(),
        EVENTS,
        "each event delivered, duplicates deduplicate"
    );
    assert_eq!(paid_events as usize, PAYMENTS, "each session paid once");
    assert_eq!(payments as usize, PAYMENTS, "each payment recorded once");
    b.kill().unwrap();
    b.wait().unwrap();
}
