//! Webhook signing secrets at rest: never in the clear in the database (its
//! file read byte by byte), still signing after the operator rotates
//! `TENDER_SECRET_KEY`, and a gateway given the wrong key refuses to start.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{Gateway, Receiver, gateway_with, until};
use tender_gateway::Application;
use tender_protocol::{Secret, WebhookSecret};

const KEY_A: &str = "a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0";
const KEY_B: &str = "0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a090807060504030201000";

async fn stored(gw: &Gateway) -> Vec<String> {
    sqlx::query_scalar("SELECT secret FROM webhook_endpoint_secrets ORDER BY id")
        .fetch_all(&gw.state.db)
        .await
        .unwrap()
}

/// Every byte of the SQLite database and its write-ahead log.
fn database_bytes(gw: &Gateway) -> Option<Vec<u8>> {
    let path = gw.state.config.database_url.strip_prefix("sqlite://")?;
    let mut bytes = std::fs::read(path).unwrap();
    bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
    Some(bytes)
}

/// Creates a session and waits until `receiver` has a delivery more, which
/// must verify with `secret`.
async fn delivery_verifies(gw: &Gateway, receiver: &Receiver, secret: &str) {
    let before = receiver.count();
    gw.create_session().await;
    until("a delivery", Duration::from_secs(10), async || {
        receiver.count() > before
    })
    .await;
    let got = receiver.received().pop().unwrap();
    WebhookSecret::parse(secret)
        .unwrap()
        .verify(&got.headers, &got.body)
        .expect("the delivery verifies with the merchant's secret");
}

#[tokio::test]
async fn secrets_are_never_stored_in_the_clear() {
    let gw = gateway_with(|c| c.security.secret_key = Secret::new(KEY_A.into())).await;
    let receiver = Receiver::start(|_| StatusCode::OK).await;
    let (id, first) = gw.endpoint(&receiver.url, &["session.created"]).await;
    let rotated = gw
        .post(
            &format!("/v1/webhook-endpoints/{id}/rotate-secret"),
            serde_json::json!({}),
        )
        .await;
    let second = rotated.body["secret"].as_str().unwrap().to_owned();
    delivery_verifies(&gw, &receiver, &second).await;
    delivery_verifies(&gw, &receiver, &first).await;
    let keys = [&first, &second].map(|s| s.trim_start_matches("whsec_").to_owned());
    for row in stored(&gw).await {
        assert!(row.starts_with("v1."), "{row}");
        assert!(!row.contains("whsec_"));
    }
    if let Some(bytes) = database_bytes(&gw) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("whsec_"), "a secret in the database file");
        for key in &keys {
            assert!(!text.contains(key.as_str()), "a secret's key in the file");
        }
    }
}

#[tokio::test]
async fn rotating_the_secret_key_reseals_every_secret_and_keeps_signing() {
    let mut gw = gateway_with(|c| c.security.secret_key = Secret::new(KEY_A.into())).await;
    let receiver = Receiver::start(|_| StatusCode::OK).await;
    let (_, secret) = gw.endpoint(&receiver.url, &["session.created"]).await;
    let under_a = stored(&gw).await;
    // A row from before the vault, stored in the clear, is sealed too.
    let legacy_receiver = Receiver::start(|_| StatusCode::OK).await;
    let (legacy_id, legacy) = gw
        .endpoint(&legacy_receiver.url, &["session.created"])
        .await;
    sqlx::query("UPDATE webhook_endpoint_secrets SET secret = $1 WHERE endpoint_id = $2")
        .bind(&legacy)
        .bind(&legacy_id)
        .execute(&gw.state.db)
        .await
        .unwrap();

    gw.restart(|c| {
        c.security.secret_key = Secret::new(KEY_B.into());
        c.security.previous_secret_keys = vec![Secret::new(KEY_A.into())];
    })
    .await;
    let under_b = stored(&gw).await;
    assert_eq!(under_b.len(), 2);
    for row in &under_b {
        assert!(row.starts_with("v1.") && !row.contains("whsec_"), "{row}");
        assert_ne!(
            row.split('.').nth(1),
            under_a[0].split('.').nth(1),
            "under the new key"
        );
    }
    delivery_verifies(&gw, &receiver, &secret).await;

    // The old key can go now.
    gw.restart(|c| c.security.previous_secret_keys.clear())
        .await;
    delivery_verifies(&gw, &legacy_receiver, &legacy).await;

    // A gateway that cannot open the secrets says so and does not start.
    let mut wrong = (*gw.state.config).clone();
    wrong.listen = "127.0.0.1:0".parse().unwrap();
    wrong.security.secret_key = Secret::new(KEY_A.into());
    let refused = Application::build(wrong).await.err().expect("refused");
    assert!(
        format!("{refused:#}").contains("TENDER_PREVIOUS_SECRET_KEYS"),
        "{refused:#}"
    );
}
