//! API keys: several per merchant, shown once, stored hashed, revocable;
//! a wrong or revoked key gets the same 401.

mod common;

use axum::http::StatusCode;
use common::gateway;
use serde_json::json;

#[tokio::test]
async fn missing_wrong_malformed_and_revoked_keys_get_the_same_401() {
    let gw = gateway().await;
    let created = gw.post("/v1/api-keys", json!({})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let second = created.body["secret"].as_str().unwrap().to_owned();
    let id = created.body["id"].as_str().unwrap().to_owned();
    let get = |key: Option<String>| {
        let mut request = gw.http.get(format!("{}/v1/checkout/sessions", gw.url));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        gw.send(request)
    };
    assert_eq!(
        get(Some(second.clone())).await.status,
        StatusCode::OK,
        "a second key works"
    );
    let revoked = gw.delete(&format!("/v1/api-keys/{id}")).await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert!(revoked.body["revokedAt"].is_string());
    let answers = [
        get(None).await,
        get(Some("sk_test_notarealkey".into())).await,
        get(Some("hello".into())).await,
        get(Some(second)).await,
    ];
    for answer in &answers {
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.body, answers[0].body, "no hint which");
        assert_eq!(answer.body["error"]["type"], "authentication");
    }
    assert_eq!(
        get(Some(gw.key.clone())).await.status,
        StatusCode::OK,
        "the first key still works"
    );
}

#[tokio::test]
async fn secrets_are_shown_once_and_stored_hashed() {
    let gw = gateway().await;
    let created = gw.post("/v1/api-keys", json!({})).await;
    let secret = created.body["secret"].as_str().unwrap();
    assert!(secret.starts_with("sk_test_"));
    assert_eq!(
        created.body["redacted"],
        format!("sk_test_…{}", &secret[secret.len() - 4..])
    );
    let listed = gw.get("/v1/api-keys").await;
    let keys = listed.body["data"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert!(
        keys.iter().all(|k| k.get("secret").is_none()),
        "{}",
        listed.body
    );
    let stored: Vec<(String,)> = sqlx::query_as("SELECT secret_hash FROM api_keys")
        .fetch_all(&gw.state.db)
        .await
        .unwrap();
    assert!(
        stored
            .iter()
            .all(|(h,)| !h.contains(secret) && h.len() == 64)
    );
    assert_eq!(
        gw.delete("/v1/api-keys/key_nope").await.status,
        StatusCode::NOT_FOUND
    );
}
