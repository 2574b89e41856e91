//! The merchant API over real HTTP: a gateway on port 0 with a fresh SQLite
//! file per test, and real axum receivers for webhooks.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::{Value, json};
use tender_gateway::config::{DEV_MNEMONIC, WebhookConfig};
use tender_gateway::{Application, Config, merchants};
use tender_protocol::Secret;
use tokio_util::sync::CancellationToken;

struct Gateway {
    url: String,
    key: String,
    http: reqwest::Client,
    state: tender_gateway::AppState,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn gateway() -> Gateway {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: format!("sqlite://{}", dir.path().join("gateway.db").display()),
        mnemonic: Secret::new(DEV_MNEMONIC.to_owned()),
        dev: true,
        webhooks: WebhookConfig {
            retry_schedule_ms: vec![0, 100, 200, 300],
            request_timeout_ms: 2_000,
            poll_interval_ms: 50,
        },
        ..Config::default()
    };
    let app = Application::build(config).await.unwrap();
    let url = format!("http://{}", app.local_addr());
    let state = app.state().clone();
    let shutdown = CancellationToken::new();
    tokio::spawn(app.run(shutdown.clone()));
    let key = merchants::create(&state.db, "Test Shop")
        .await
        .unwrap()
        .api_key;
    Gateway {
        url,
        key,
        http: reqwest::Client::new(),
        state,
        shutdown,
        _dir: dir,
    }
}

impl Gateway {
    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.key)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str, key: Option<&str>) -> (StatusCode, Value) {
        let mut request = self.http.get(format!("{}{path}", self.url));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.unwrap();
        let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn session(&self, extra: Value) -> (StatusCode, Value) {
        let mut body = json!({
            "productData": {"name": "Sticker", "price": {"amount": "3.50", "currency": "USD"}},
            "quantity": 2,
            "metadata": {"order_id": "ord_secret_42"},
            "successUrl": "https://shop.test/success",
        });
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        self.post("/v1/checkout/sessions", body).await
    }
}

#[tokio::test]
async fn creating_a_session_answers_201_with_the_total_and_a_payment_url() {
    let gw = gateway().await;
    let (status, session) = gw.session(json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    assert_eq!(session["status"], "open");
    assert_eq!(
        session["amountDue"],
        json!({"amount": "7.00", "currency": "USD"})
    );
    assert_eq!(session["metadata"]["order_id"], "ord_secret_42");
    let id = session["id"].as_str().unwrap();
    assert!(id.starts_with("cs_"));
    assert_eq!(session["paymentUrl"], format!("{}/pay/{id}", gw.url));
    let (status, again) = gw
        .get(&format!("/v1/checkout/sessions/{id}"), Some(&gw.key))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, session);
}

#[tokio::test]
async fn a_product_from_the_library_prices_the_session() {
    let gw = gateway().await;
    let (status, product) = gw
        .post(
            "/v1/products",
            json!({"id": "prod_hat", "name": "Hat", "price": {"amount": "19.99", "currency": "EUR"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{product}");
    let (status, session) = gw
        .session(json!({"productData": null, "productId": "prod_hat", "quantity": 3}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    assert_eq!(
        session["amountDue"],
        json!({"amount": "59.97", "currency": "EUR"})
    );
    assert_eq!(session["lineItems"][0]["productId"], "prod_hat");
    let (status, duplicate) = gw
        .post(
            "/v1/products",
            json!({"id": "prod_hat", "name": "Hat", "price": {"amount": "1.00", "currency": "EUR"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{duplicate}");
}

#[tokio::test]
async fn missing_wrong_and_malformed_keys_get_the_same_401() {
    let gw = gateway().await;
    let (missing, body_missing) = gw.get("/v1/checkout/sessions/cs_x", None).await;
    let (wrong, body_wrong) = gw
        .get("/v1/checkout/sessions/cs_x", Some("sk_test_notarealkey"))
        .await;
    let (malformed, _) = gw.get("/v1/checkout/sessions/cs_x", Some("hello")).await;
    assert_eq!(missing, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong, StatusCode::UNAUTHORIZED);
    assert_eq!(malformed, StatusCode::UNAUTHORIZED);
    assert_eq!(body_missing, body_wrong, "no hint which is wrong");
    assert_eq!(body_wrong["error"]["type"], "authentication");
}

#[tokio::test]
async fn invalid_fields_are_refused_with_the_offending_param() {
    let gw = gateway().await;
    let cases = [
        (
            json!({"successUrl": "ftp://shop.test/"}),
            Some("successUrl"),
        ),
        (json!({"successUrl": "/relative"}), Some("successUrl")),
        (
            json!({"cancelUrl": "javascript:alert(1)"}),
            Some("cancelUrl"),
        ),
        (json!({"quantity": 0}), Some("quantity")),
        (json!({"quantity": 1001}), Some("quantity")),
        (json!({"productId": "prod_nope"}), Some("productId")),
        (json!({"productData": null}), Some("productId")),
        (json!({"expiresInSeconds": 10}), Some("expiresInSeconds")),
        (
            json!({"productData": {"name": "X", "price": {"amount": "0", "currency": "USD"}}}),
            Some("productData.price"),
        ),
        (json!({"surprise": true}), None),
        (json!({"metadata": {"k": "v".repeat(501)}}), None),
        (
            json!({"productData": {"name": "X", "price": {"amount": 1.5, "currency": "USD"}}}),
            None,
        ),
    ];
    for (patch, param) in cases {
        let (status, body) = gw.session(patch.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{patch} -> {body}");
        assert_eq!(
            body["error"]["type"], "invalid_request",
            "{patch} -> {body}"
        );
        if let Some(param) = param {
            assert_eq!(body["error"]["param"], param, "{patch} -> {body}");
        }
    }
}

#[tokio::test]
async fn the_public_session_never_shows_metadata() {
    let gw = gateway().await;
    let (_, session) = gw.session(json!({})).await;
    let id = session["id"].as_str().unwrap();
    let response = gw
        .http
        .get(format!("{}/v1/pay/{id}", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(!text.contains("ord_secret_42"), "{text}");
    assert!(!text.contains("metadata"), "{text}");
    let public: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(public["merchantName"], "Test Shop");
    assert_eq!(public["amountDue"]["amount"], "7.00");
}

#[tokio::test]
async fn another_merchants_session_is_not_found() {
    let gw = gateway().await;
    let (_, session) = gw.session(json!({})).await;
    let other = merchants::create(&gw.state.db, "Other")
        .await
        .unwrap()
        .api_key;
    let (status, body) = gw
        .get(
            &format!("/v1/checkout/sessions/{}", session["id"].as_str().unwrap()),
            Some(&other),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["type"], "not_found");
}

/// A receiver that fails its first `failures` requests with 500.
async fn flaky_receiver(failures: usize) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = Router::new().route(
        "/",
        post(move || {
            let counter = counter.clone();
            async move {
                if counter.fetch_add(1, Ordering::SeqCst) < failures {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, hits)
}

#[tokio::test]
async fn a_failed_delivery_is_retried_until_the_endpoint_takes_it() {
    let gw = gateway().await;
    let (url, hits) = flaky_receiver(2).await;
    let (status, endpoint) = gw
        .post(
            "/v1/webhook-endpoints",
            json!({"url": url, "enabledEvents": ["session.created"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{endpoint}");
    assert!(endpoint["secret"].as_str().unwrap().starts_with("whsec_"));

    gw.session(json!({})).await;

    let started = Instant::now();
    loop {
        let (state,): (String,) = sqlx::query_as("SELECT status FROM deliveries")
            .fetch_one(&gw.state.db)
            .await
            .unwrap();
        if state == "succeeded" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "delivery still {state}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(hits.load(Ordering::SeqCst), 3, "two failures, then success");
    let (attempts,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM delivery_attempts")
        .fetch_one(&gw.state.db)
        .await
        .unwrap();
    assert_eq!(attempts, 3);
    let (listed_status, listed) = gw.get("/v1/webhook-endpoints", Some(&gw.key)).await;
    assert_eq!(listed_status, StatusCode::OK);
    assert!(
        listed["data"][0].get("secret").is_none(),
        "secret shown only once"
    );
}
