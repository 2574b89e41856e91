//! Two gateway instances writing to one database at once (PostgreSQL when
//! `TENDER_TEST_POSTGRES` is set, else SQLite): with no lock around every
//! write, the invariants still hold: each merchant's events numbered
//! without gaps or repeats, one delivery each, one session per
//! `Idempotency-Key`, a session's quote cap kept and deposit addresses
//! never shared.

mod common;

use std::collections::HashSet;

use common::{dead_url, gateway_with, offline_eth, session_body};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_creating_at_once_keep_every_invariant() {
    let a = gateway_with(|c| {
        offline_eth(c);
        c.limits.quotes_per_session = 8;
    })
    .await;
    let b = a.sibling().await;
    a.endpoint(&dead_url(), &["session.created"]).await;

    // 60 creates across the two, and one key sent 10 times to both.
    let keys: Vec<String> = (0..60).map(|i| format!("k{i}")).collect();
    let creates = keys.iter().enumerate().map(|(i, key)| {
        let gw = if i % 2 == 0 { &a } else { &b };
        gw.post_with_key("/v1/checkout/sessions", key, session_body())
    });
    let repeats = (0..10).map(|i| {
        let gw = if i % 2 == 0 { &a } else { &b };
        gw.post_with_key("/v1/checkout/sessions", "same", session_body())
    });
    let (created, repeated) = tokio::join!(
        futures_util::future::join_all(creates),
        futures_util::future::join_all(repeats)
    );
    for answer in created.iter().chain(&repeated) {
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    }
    let once: HashSet<&str> = repeated
        .iter()
        .map(|r| r.body["id"].as_str().unwrap())
        .collect();
    assert_eq!(once.len(), 1, "one key made {once:?}");

    let db = &a.state.db;
    let (sessions,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sessions")
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(sessions, 61);
    let mut seqs: Vec<i64> = sqlx::query_scalar("SELECT seq FROM events ORDER BY seq")
        .fetch_all(db)
        .await
        .unwrap();
    seqs.dedup();
    assert_eq!(
        seqs,
        (1..=61).collect::<Vec<i64>>(),
        "numbered 1..=61 once each"
    );
    let (deliveries,): (i64,) = sqlx::query_as("SELECT COUNT(DISTINCT event_id) FROM deliveries")
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(deliveries, 61);

    // 20 quotes for one session at once, across both: 8 allowed.
    let id = created[0].body["id"].as_str().unwrap();
    let quotes = (0..20).map(|i| {
        let gw = if i % 2 == 0 { &a } else { &b };
        gw.send(
            gw.http
                .post(format!("{}/v1/pay/{id}/quote", gw.url))
                .json(&json!({"network": "local", "token": "ETH"})),
        )
    });
    let quotes = futures_util::future::join_all(quotes).await;
    let made: Vec<_> = quotes
        .iter()
        .filter(|q| q.status == StatusCode::CREATED)
        .collect();
    assert_eq!(
        made.len(),
        8,
        "{:?}",
        quotes.iter().map(|q| q.status).collect::<Vec<_>>()
    );
    assert!(
        quotes
            .iter()
            .all(|q| q.status == StatusCode::CREATED || q.status == StatusCode::CONFLICT)
    );
    let addresses: HashSet<&str> = made
        .iter()
        .map(|q| q.body["depositAddress"].as_str().unwrap())
        .collect();
    assert_eq!(addresses.len(), 8, "deposit addresses are never shared");
}

/// Creates of several merchants at once across two instances: on
/// PostgreSQL those of one merchant that arrive together run as one
/// statement (taking the merchant's counter once), and statements of
/// different merchants never wait on each other in a cycle. Every create
/// answers, and each merchant's events are numbered 1..=n once each, in
/// the order they were committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn merchants_creating_at_once_keep_their_own_numbering() {
    const MERCHANTS: usize = 4;
    const EACH: usize = 50;
    let a = gateway_with(offline_eth).await;
    let b = a.sibling().await;
    let mut keys = vec![a.key.clone()];
    for i in 1..MERCHANTS {
        keys.push(a.another_merchant(&format!("Shop {i}")).await);
    }
    let creates = (0..MERCHANTS * EACH).map(|i| {
        let gw = if i % 2 == 0 { &a } else { &b };
        let key = &keys[i % MERCHANTS];
        gw.send(
            gw.http
                .post(format!("{}/v1/checkout/sessions", gw.url))
                .bearer_auth(key)
                .header("Idempotency-Key", format!("c{i}"))
                .json(&session_body()),
        )
    });
    for answer in futures_util::future::join_all(creates).await {
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    }
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT merchant_id, seq FROM events ORDER BY merchant_id, seq")
            .fetch_all(&a.state.db)
            .await
            .unwrap();
    let mut by_merchant = std::collections::BTreeMap::<String, Vec<i64>>::new();
    for (merchant, seq) in rows {
        by_merchant.entry(merchant).or_default().push(seq);
    }
    assert_eq!(by_merchant.len(), MERCHANTS);
    for (merchant, seqs) in by_merchant {
        assert_eq!(
            seqs,
            (1..=EACH as i64).collect::<Vec<_>>(),
            "{merchant}'s events"
        );
    }
}
