//! `Idempotency-Key` on every POST, over real HTTP.

mod common;

use axum::http::StatusCode;
use common::{gateway, patched, session_body};
use serde_json::json;

#[tokio::test]
async fn the_same_key_and_body_replays_the_first_answer() {
    let gw = gateway().await;
    let first = gw
        .post_with_key("/v1/checkout/sessions", "order-1", session_body())
        .await;
    let second = gw
        .post_with_key("/v1/checkout/sessions", "order-1", session_body())
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(second.status, StatusCode::CREATED);
    assert_eq!(first.body, second.body, "same session, same answer");
    assert_eq!(second.headers.get("idempotent-replayed").unwrap(), "true");
    assert!(first.headers.get("idempotent-replayed").is_none());
    let listed = gw.get("/v1/checkout/sessions").await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_a_conflict() {
    let gw = gateway().await;
    gw.post_with_key("/v1/checkout/sessions", "order-1", session_body())
        .await;
    let other = gw
        .post_with_key(
            "/v1/checkout/sessions",
            "order-1",
            patched(session_body(), json!({"quantity": 3})),
        )
        .await;
    assert_eq!(other.status, StatusCode::CONFLICT, "{}", other.body);
    assert_eq!(other.body["error"]["type"], "conflict");
    let other_path = gw
        .post_with_key(
            "/v1/products",
            "order-1",
            json!({"name": "X", "price": {"amount": "1", "currency": "USD"}}),
        )
        .await;
    assert_eq!(
        other_path.status,
        StatusCode::CONFLICT,
        "another endpoint is another request"
    );
}

#[tokio::test]
async fn concurrent_requests_with_one_key_make_one_session() {
    let gw = gateway().await;
    let requests =
        (0..8).map(|_| gw.post_with_key("/v1/checkout/sessions", "burst", session_body()));
    let answers = futures_util::future::join_all(requests).await;
    let ids: std::collections::HashSet<String> = answers
        .iter()
        .map(|a| {
            assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
            a.body["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let listed = gw.get("/v1/checkout/sessions").await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_client_error_is_replayed_too_but_keys_are_per_merchant() {
    let gw = gateway().await;
    let bad = patched(session_body(), json!({"quantity": 0}));
    let first = gw
        .post_with_key("/v1/checkout/sessions", "k", bad.clone())
        .await;
    let again = gw
        .post_with_key("/v1/checkout/sessions", "k", bad.clone())
        .await;
    assert_eq!(first.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
    let other = tender_gateway::merchants::accounts::create(&gw.state.db, "Other", None)
        .await
        .unwrap()
        .api_key;
    let theirs = gw
        .send(
            gw.http
                .post(format!("{}/v1/checkout/sessions", gw.url))
                .bearer_auth(other)
                .header("Idempotency-Key", "k")
                .json(&session_body()),
        )
        .await;
    assert_eq!(
        theirs.status,
        StatusCode::CREATED,
        "another merchant's key space"
    );
}

#[tokio::test]
async fn a_malformed_key_is_refused() {
    let gw = gateway().await;
    for key in ["has space", &"k".repeat(256)] {
        let answer = gw
            .post_with_key("/v1/checkout/sessions", key, session_body())
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert_eq!(answer.body["error"]["param"], "Idempotency-Key");
    }
}

#[tokio::test]
async fn keys_older_than_a_day_are_forgotten() {
    let gw = gateway().await;
    let first = gw
        .post_with_key("/v1/checkout/sessions", "old", session_body())
        .await;
    sqlx::query("UPDATE idempotency_keys SET created_at = created_at - 86401")
        .execute(&gw.state.db)
        .await
        .unwrap();
    let second = gw
        .post_with_key("/v1/checkout/sessions", "old", session_body())
        .await;
    assert_eq!(second.status, StatusCode::CREATED);
    assert_ne!(first.body["id"], second.body["id"]);
}
