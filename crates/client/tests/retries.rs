//! The client against a real HTTP server: retries with backoff on 5xx and
//! network errors, one idempotency key per logical call, typed errors.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::json;
use tender_client::{Client, Error, Retry};
use tender_protocol::{CreateSession, Metadata, ProductData};

fn body() -> CreateSession {
    CreateSession {
        product_id: None,
        product_data: Some(ProductData {
            name: "Sticker".into(),
            description: None,
            image_url: None,
            price: tender_protocol::Money::parse("1.00", tender_protocol::Currency::Usd).unwrap(),
        }),
        quantity: 1,
        line_items: Vec::new(),
        metadata: Metadata::default(),
        success_url: "https://shop.test/ok".into(),
        cancel_url: None,
        expires_in_seconds: None,
        underpayment_tolerance: None,
        locale: None,
    }
}

fn session_json() -> serde_json::Value {
    json!({
        "id": "cs_test", "status": "open", "paymentUrl": "http://gw.test/pay/cs_test", "lineItems": [],
        "amountDue": {"amount": "1.00", "currency": "USD"}, "amountReceived": {"amount": "0.00", "currency": "USD"},
        "metadata": {}, "successUrl": "https://shop.test/ok", "cancelUrl": null,
        "expiresAt": "2026-11-26T13:00:00Z", "createdAt": "2026-11-26T12:00:00Z", "payments": []
    })
}

/// A server whose n-th request (0-based) gets `answer(n)`; records the
/// Idempotency-Key of each.
async fn server(
    answer: fn(usize) -> (StatusCode, serde_json::Value),
) -> (String, Arc<Mutex<Vec<Option<String>>>>) {
    let keys: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    let log = keys.clone();
    let app = Router::new().route(
        "/v1/checkout/sessions",
        post(move |headers: HeaderMap| {
            let log = log.clone();
            async move {
                let n = {
                    let mut log = log.lock().unwrap();
                    log.push(
                        headers
                            .get("idempotency-key")
                            .map(|v| v.to_str().unwrap().to_owned()),
                    );
                    log.len() - 1
                };
                let (status, body) = answer(n);
                (status, axum::Json(body)).into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, keys)
}

fn fast() -> Retry {
    Retry {
        attempts: 3,
        backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
    }
}

#[tokio::test]
async fn server_errors_are_retried_with_the_same_idempotency_key() {
    let (url, keys) = server(|n| match n {
        0 | 1 => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"error": {"type": "upstream", "message": "busy"}}),
        ),
        _ => (StatusCode::CREATED, session_json()),
    })
    .await;
    let client = Client::new(&url, "sk_test_x").unwrap().with_retry(fast());
    let session = client.create_session(&body()).await.unwrap();
    assert_eq!(session.id.as_str(), "cs_test");
    let keys = keys.lock().unwrap().clone();
    assert_eq!(keys.len(), 3);
    assert!(keys[0].is_some());
    assert!(
        keys.iter().all(|k| *k == keys[0]),
        "one key for the call and its retries: {keys:?}"
    );
}

#[tokio::test]
async fn client_errors_are_not_retried_and_come_back_typed() {
    let (url, keys) = server(|_| {
        (StatusCode::BAD_REQUEST, json!({"error": {"type": "invalid_request", "message": "quantity must be between 1 and 1000", "param": "quantity"}}))
    })
    .await;
    let client = Client::new(&url, "sk_test_x").unwrap().with_retry(fast());
    let err = client.create_session(&body()).await.unwrap_err();
    let Error::Api { status, detail } = err else {
        panic!("expected an API error")
    };
    assert_eq!(status, 400);
    assert_eq!(detail.param.as_deref(), Some("quantity"));
    assert_eq!(keys.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn an_unreachable_gateway_is_a_transport_error_after_the_retries() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::new(&format!("http://127.0.0.1:{port}/"), "sk_test_x")
        .unwrap()
        .with_retry(fast());
    let err = client.create_session(&body()).await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err}");
    // Every 5xx attempt used up: the last answer comes back.
    let (url, keys) = server(|_| {
        (
            StatusCode::BAD_GATEWAY,
            json!({"error": {"type": "upstream", "message": "down"}}),
        )
    })
    .await;
    let client = Client::new(&url, "sk_test_x").unwrap().with_retry(fast());
    let err = client.create_session(&body()).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
    assert_eq!(keys.lock().unwrap().len(), 3);
}
