//! Webhook endpoints, signing, retries and isolation, over real HTTP with
//! real receivers.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{Receiver, dead_url, gateway, gateway_with, until};
use serde_json::json;
use tender_gateway::config::WebhookConfig;
use tender_protocol::WebhookSecret;
use tender_protocol::webhooks::{HEADER_ID, HEADER_SIGNATURE};

fn header<'a>(r: &'a common::Received, name: &str) -> &'a str {
    r.headers.get(name).unwrap().to_str().unwrap()
}

fn verifies(secret: &str, r: &common::Received) -> bool {
    WebhookSecret::parse(secret)
        .unwrap()
        .verify(&r.headers, &r.body)
        .is_ok()
}

#[tokio::test]
async fn during_a_rotation_each_delivery_carries_both_signatures() {
    let gw = gateway().await;
    let receiver = Receiver::start(|_| StatusCode::OK).await;
    let (id, old) = gw.endpoint(&receiver.url, &["session.created"]).await;
    let rotated = gw
        .post(
            &format!("/v1/webhook-endpoints/{id}/rotate-secret"),
            json!({}),
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    let new = rotated.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(old, new);

    gw.create_session().await;
    until("a delivery", Duration::from_secs(10), async || {
        receiver.count() == 1
    })
    .await;
    let delivery = &receiver.received()[0];
    assert_eq!(header(delivery, HEADER_SIGNATURE).split(' ').count(), 2);
    assert!(verifies(&old, delivery), "the old secret verifies alone");
    assert!(verifies(&new, delivery), "the new secret verifies alone");

    // A rotation without grace retires the old secret at once.
    let again = gw
        .post(
            &format!("/v1/webhook-endpoints/{id}/rotate-secret"),
            json!({"graceSeconds": 0}),
        )
        .await;
    let newest = again.body["secret"].as_str().unwrap().to_owned();
    gw.create_session().await;
    until("a second delivery", Duration::from_secs(10), async || {
        receiver.count() == 2
    })
    .await;
    let second = &receiver.received()[1];
    assert!(verifies(&newest, second));
    assert!(
        !verifies(&new, second),
        "no grace: the previous secret no longer signs"
    );
    let too_long = gw
        .post(
            &format!("/v1/webhook-endpoints/{id}/rotate-secret"),
            json!({"graceSeconds": 700000}),
        )
        .await;
    assert_eq!(too_long.body["error"]["param"], "graceSeconds");
}

#[tokio::test]
async fn a_receiver_failing_three_times_gets_the_event_on_the_fourth_attempt() {
    let gw = gateway_with(|c| {
        c.webhooks = WebhookConfig {
            retry_schedule_ms: vec![0, 400, 400, 400, 400],
            ..common::fast_webhooks()
        }
    })
    .await;
    let receiver = Receiver::start(|n| {
        if n < 3 {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::OK
        }
    })
    .await;
    gw.endpoint(&receiver.url, &["session.created"]).await;
    gw.create_session().await;
    until("the fourth attempt", Duration::from_secs(10), async || {
        receiver.count() == 4
    })
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let got = receiver.received();
    assert_eq!(got.len(), 4, "no attempt after the success");
    let id = header(&got[0], HEADER_ID);
    assert!(
        got.iter().all(|r| header(r, HEADER_ID) == id),
        "one event, one id"
    );
    for pair in got.windows(2) {
        let gap = pair[1].at - pair[0].at;
        // The schedule says 400 ms, jittered by at most 20%.
        assert!(gap >= Duration::from_millis(320), "retried after {gap:?}");
    }
    let (attempts, status): (i64, String) =
        sqlx::query_as("SELECT attempts, status FROM deliveries")
            .fetch_one(&gw.state.db)
            .await
            .unwrap();
    assert_eq!((attempts, status.as_str()), (4, "succeeded"));
}

#[tokio::test]
async fn a_dead_endpoint_beside_a_healthy_one_does_not_hold_it_up() {
    let gw = gateway().await;
    // A black hole: it takes the request and never answers (the gateway's
    // timeout is 2 s in tests), plus one that refuses connections.
    let hole = Receiver::start_slow(Duration::from_secs(60), |_| StatusCode::OK).await;
    let healthy = Receiver::start(|_| StatusCode::OK).await;
    gw.endpoint(&hole.url, &["*"]).await;
    gw.endpoint(&dead_url(), &["*"]).await;
    gw.endpoint(&healthy.url, &["*"]).await;
    for _ in 0..40 {
        gw.create_session().await;
    }
    // All 40 arrive while the black hole still holds its first requests.
    until(
        "the healthy endpoint to get all 40",
        Duration::from_secs(5),
        async || healthy.count() == 40,
    )
    .await;
    assert!(
        hole.count() <= tender_gateway::webhooks::dispatcher::PER_ENDPOINT,
        "the black hole got {}",
        hole.count()
    );
}

#[tokio::test]
async fn an_endpoint_answering_410_is_disabled_until_enabled_and_tested() {
    let gw = gateway().await;
    // Gone once, then back.
    let gone = Receiver::start(|n| {
        if n == 0 {
            StatusCode::GONE
        } else {
            StatusCode::OK
        }
    })
    .await;
    let (id, secret) = gw.endpoint(&gone.url, &["session.paid"]).await;
    let bystander = Receiver::start(|_| StatusCode::OK).await;
    gw.endpoint(&bystander.url, &["*"]).await;
    gw.post(&format!("/v1/webhook-endpoints/{id}/test"), json!({}))
        .await;
    until(
        "the endpoint to be disabled",
        Duration::from_secs(10),
        async || gw.get(&format!("/v1/webhook-endpoints/{id}")).await.body["status"] == "disabled",
    )
    .await;
    let refused = gw
        .post(&format!("/v1/webhook-endpoints/{id}/test"), json!({}))
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    gw.create_session().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        gone.count(),
        1,
        "nothing more is sent to a disabled endpoint"
    );

    let enabled = gw
        .post(&format!("/v1/webhook-endpoints/{id}/enable"), json!({}))
        .await;
    assert_eq!(enabled.status, StatusCode::OK);
    assert_eq!(enabled.body["status"], "enabled");
    let test = gw
        .post(&format!("/v1/webhook-endpoints/{id}/test"), json!({}))
        .await;
    assert_eq!(test.status, StatusCode::ACCEPTED, "{}", test.body);
    assert_eq!(test.body["type"], "webhook_endpoint.test");
    until("the test event", Duration::from_secs(10), async || {
        gone.count() == 2
    })
    .await;
    let got = gone.received().pop().unwrap();
    assert!(verifies(&secret, &got), "signed like any other");
    let body: serde_json::Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(body["id"], test.body["id"]);
    assert_eq!(body["data"], json!({}));
    assert!(
        bystander
            .received()
            .iter()
            .all(|r| !String::from_utf8_lossy(&r.body).contains("webhook_endpoint.test")),
        "a test goes to its endpoint only"
    );
    let other = gw
        .post("/v1/webhook-endpoints/we_nope/test", json!({}))
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn redirects_are_failures_and_not_followed() {
    let gw = gateway().await;
    let target = Receiver::start(|_| StatusCode::OK).await;
    let target_url = target.url.clone();
    let redirecting = {
        let app = axum::Router::new().route(
            "/",
            axum::routing::post(move || {
                let to = target_url.clone();
                async move { axum::response::Redirect::temporary(&to) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    };
    gw.endpoint(&redirecting, &["session.created"]).await;
    gw.create_session().await;
    until("an attempt", Duration::from_secs(10), async || {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM delivery_attempts")
            .fetch_one(&gw.state.db)
            .await
            .unwrap()
            > 0
    })
    .await;
    let (code,): (Option<i64>,) = sqlx::query_as("SELECT status_code FROM delivery_attempts")
        .fetch_one(&gw.state.db)
        .await
        .unwrap();
    assert_eq!(code, Some(307));
    assert_eq!(target.count(), 0, "the redirect was not followed");
}

#[tokio::test]
async fn events_show_their_attempts_and_can_be_redelivered() {
    let gw = gateway().await;
    let receiver = Receiver::start(|n| {
        if n == 0 {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::OK
        }
    })
    .await;
    let (endpoint, _) = gw.endpoint(&receiver.url, &["session.created"]).await;
    let session = gw.create_session().await;
    until("two attempts", Duration::from_secs(10), async || {
        receiver.count() == 2
    })
    .await;

    let listed = gw
        .get(&format!(
            "/v1/events?type=session.created&sessionId={}",
            session["id"].as_str().unwrap()
        ))
        .await;
    let events = listed.body["data"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{}", listed.body);
    let event_id = events[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(events[0]["data"]["session"]["id"], session["id"]);

    // The receiver has the request before the gateway has its answer.
    until(
        "the delivery to be recorded",
        Duration::from_secs(10),
        async || {
            gw.get(&format!("/v1/events/{event_id}")).await.body["deliveries"][0]["status"]
                == "succeeded"
        },
    )
    .await;
    let details = gw.get(&format!("/v1/events/{event_id}")).await;
    assert_eq!(details.status, StatusCode::OK, "{}", details.body);
    let delivery = &details.body["deliveries"][0];
    assert_eq!(delivery["endpointId"], endpoint.as_str());
    assert_eq!(delivery["status"], "succeeded");
    let codes: Vec<i64> = delivery["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["statusCode"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, [500, 200]);
    assert!(delivery["attempts"][0]["error"].is_string());
    assert!(delivery["attempts"][0]["latencyMs"].is_u64());

    let redelivered = gw
        .post(&format!("/v1/events/{event_id}/redeliver"), json!({}))
        .await;
    assert_eq!(redelivered.status, StatusCode::OK, "{}", redelivered.body);
    until("the redelivery", Duration::from_secs(10), async || {
        receiver.count() == 3
    })
    .await;
    assert_eq!(
        header(&receiver.received()[2], HEADER_ID),
        event_id,
        "same event id, so receivers dedupe"
    );
    let bad = gw
        .post(
            &format!("/v1/events/{event_id}/redeliver"),
            json!({"endpointId": "we_nope"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        gw.get("/v1/events?type=nope").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        gw.get("/v1/events/evt_nope").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn endpoints_list_without_secrets_and_delete_cancels_their_deliveries() {
    let gw = gateway().await;
    let invalid = gw
        .post("/v1/webhook-endpoints", json!({"url": "not a url"}))
        .await;
    assert_eq!(invalid.body["error"]["param"], "url");
    let unknown = gw
        .post(
            "/v1/webhook-endpoints",
            json!({"url": "https://x.test/", "enabledEvents": ["session.lost"]}),
        )
        .await;
    assert_eq!(unknown.body["error"]["param"], "enabledEvents");
    let hole = Receiver::start(|_| StatusCode::INTERNAL_SERVER_ERROR).await;
    let (id, _) = gw.endpoint(&hole.url, &["*"]).await;
    let listed = gw.get("/v1/webhook-endpoints").await;
    assert!(
        listed.body["data"][0].get("secret").is_none(),
        "secret shown only once"
    );
    assert_eq!(listed.body["data"][0]["status"], "enabled");
    gw.create_session().await;
    let deleted = gw.delete(&format!("/v1/webhook-endpoints/{id}")).await;
    assert_eq!(deleted.status, StatusCode::OK);
    let (pending,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'")
            .fetch_one(&gw.state.db)
            .await
            .unwrap();
    assert_eq!(pending, 0);
    assert_eq!(
        gw.get(&format!("/v1/webhook-endpoints/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
}
