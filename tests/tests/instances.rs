//! Two gateway processes on one PostgreSQL database, one of them killed with
//! SIGKILL in the middle of the work: 1,000 events and 50 payments, none
//! lost, each session paid once, and the deliveries deduplicate to one per
//! event. Needs PostgreSQL: `cargo xtask test` starts one and runs this with
//! `TENDER_TEST_POSTGRES` set.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use alloy::primitives::U256;
use futures_util::StreamExt;
use serde_json::{Value, json};
use sqlx::{Connection, Executor};
use tender_e2e::anvil::DEV_ACCOUNT;
use tender_e2e::{Anvil, Receiver, eventually};
use tender_gateway::chain::devnet::Devnet;
use tender_launch::supervise::free_port;
use tender_launch::{GatewayProcess, GatewayToml, NetworkToml};

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

/// Instance `name` of the gateway on `database`, its config written in `dir`.
fn instance(dir: &Path, name: &str, database: &str, anvil: &Anvil) -> GatewayProcess {
    let mut config = GatewayToml::new(free_port().unwrap(), database).rate("ETH", "USD", "2000");
    config.watcher_poll_ms = 200;
    config
        .networks
        .push(NetworkToml::new("anvil", "Anvil", 31337, &anvil.rpc_url, 2));
    config.extra = "[webhooks]
retry_schedule_ms = [0, 100, 200, 400, 800, 1600, 3200]
request_timeout_ms = 2000
poll_interval_ms = 100
lease_ms = 3000
[settlement]
poll_ms = 200
"
    .to_owned();
    let binary = tender_e2e::tools::root().join("target/debug/tender-gateway");
    GatewayProcess::prepare(&binary, &config, &dir.join(format!("{name}.toml"))).unwrap()
}

#[tokio::test]
async fn two_instances_one_killed_lose_nothing_and_pay_each_session_once() {
    let database = fresh_database().await;
    let anvil = Anvil::start(31337, None);
    let dir = tempfile::tempdir().unwrap();
    let gateway_a = instance(dir.path(), "a", &database, &anvil);
    let gateway_b = instance(dir.path(), "b", &database, &anvil);
    let (url_a, url_b) = (gateway_a.url.clone(), gateway_b.url.clone());
    let key = gateway_a.create_merchant("Shared").unwrap().api_key;
    let http = reqwest::Client::new();
    let mut a = gateway_a.start("gateway A", None, "warn").unwrap();
    let b = gateway_b.start("gateway B", None, "warn").unwrap();
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
    let pay = async |url: &str| {
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
    a.kill_now().expect("SIGKILL instance A");
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
    drop(b);
}

/// Each `Idempotency-Key` sent to both processes at once, several times:
/// one session per key, and every answer is that session. No memory is
/// shared between the two: a new key is claimed by the create's own write
/// (no look before it), so the two creates race to that write and the one
/// that finds the key taken answers with the other's session.
#[tokio::test]
async fn one_key_sent_to_two_processes_at_once_makes_one_session() {
    const KEYS: usize = 40;
    const SENDS: usize = 4;
    let database = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let binary = tender_e2e::tools::root().join("target/debug/tender-gateway");
    let gateways = ["a", "b"].map(|name| {
        let config = GatewayToml::new(free_port().unwrap(), &database);
        GatewayProcess::prepare(&binary, &config, &dir.path().join(format!("{name}.toml"))).unwrap()
    });
    let key = gateways[0].create_merchant("Keys").unwrap().api_key;
    let _running = gateways
        .each_ref()
        .map(|g| g.start(&g.url, None, "warn").unwrap());
    let http = reqwest::Client::new();
    let body = json!({
        "productData": {"name": "Sticker", "price": {"amount": "1.00", "currency": "USD"}},
        "successUrl": "https://shop.test/ok",
    });
    let sends = (0..KEYS * SENDS).map(|i| {
        let request = http
            .post(format!("{}/v1/checkout/sessions", gateways[i % 2].url))
            .bearer_auth(&key)
            .header("Idempotency-Key", format!("key-{}", i % KEYS))
            .json(&body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            let answer: Value = response.json().await.unwrap();
            assert_eq!(status, 201, "{answer}");
            (i % KEYS, answer["id"].as_str().unwrap().to_owned())
        }
    });
    let answers: Vec<(usize, String)> = futures_util::stream::iter(sends)
        .buffer_unordered(32)
        .collect()
        .await;
    let per_key: HashSet<(usize, String)> = answers.into_iter().collect();
    assert_eq!(per_key.len(), KEYS, "a key answered with two sessions");

    let mut conn = sqlx::PgConnection::connect(&database).await.unwrap();
    let (sessions,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sessions")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(sessions, KEYS as i64);
}
