//! Running the gateway: `/healthz`, `/readyz` naming what is not ready,
//! `/metrics` on its own listener with figures that match what happened,
//! and live streams that end when the gateway stops.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use axum::http::StatusCode;
use common::{Receiver, gateway, gateway_with, offline_eth, until};
use serde_json::json;

#[tokio::test]
async fn health_answers_and_readiness_names_what_is_not_ready() {
    let gw = gateway_with(offline_eth).await;
    let health = gw.get("/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body["status"], "ok");
    let ready = gw.get("/readyz").await;
    assert_eq!(
        ready.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        ready.body
    );
    assert_eq!(ready.body["ready"], false);
    let checks = ready.body["checks"].as_array().unwrap();
    assert_eq!(checks[0]["name"], "database");
    assert_eq!(checks[0]["ok"], true);
    let network = checks
        .iter()
        .find(|c| c["name"] == "network:local")
        .unwrap();
    assert_eq!(network["ok"], false);
    assert!(
        network["detail"].as_str().unwrap().contains("node"),
        "{network}"
    );

    let without_chains = gateway().await;
    let ready = without_chains.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
    assert_eq!(ready.body["ready"], true);
}

/// The samples of a Prometheus text answer: `name{labels}` to value.
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').expect("a sample line");
            (series.to_owned(), value.parse().expect("a number"))
        })
        .collect()
}

#[tokio::test]
async fn metrics_are_on_their_own_listener_and_match_what_happened() {
    let gw = gateway_with(offline_eth).await;
    let receiver = Receiver::start(|_| StatusCode::OK).await;
    gw.endpoint(&receiver.url, &["session.created"]).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(gw.create_session().await["id"].as_str().unwrap().to_owned());
    }
    for id in &ids[..2] {
        let quote = gw
            .send(
                gw.http
                    .post(format!("{}/v1/pay/{id}/quote", gw.url))
                    .json(&json!({"network": "local", "token": "ETH"})),
            )
            .await;
        assert_eq!(quote.status, StatusCode::CREATED, "{}", quote.body);
    }
    // Any method name a client makes up counts as "other".
    let brew = reqwest::Method::from_bytes(b"BREW").unwrap();
    gw.http
        .request(brew, format!("{}/healthz", gw.url))
        .send()
        .await
        .unwrap();
    until("three deliveries", Duration::from_secs(10), async || {
        receiver.count() == 3
    })
    .await;
    let scrape = async || {
        let answer = gw
            .http
            .get(format!("{}/metrics", gw.metrics_url))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        let kind = answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
        answer.text().await.unwrap()
    };
    // The outcomes are written in batches: wait for them.
    let mut figures = HashMap::new();
    until(
        "the deliveries recorded",
        Duration::from_secs(10),
        async || {
            figures = samples(&scrape().await);
            figures.get("tender_deliveries{status=\"succeeded\"}") == Some(&3.0)
        },
    )
    .await;
    assert_eq!(figures["tender_open_quotes"], 2.0);
    assert_eq!(figures["tender_outbox_backlog"], 0.0);
    assert_eq!(figures["tender_outbox_oldest_due_seconds"], 0.0);
    assert_eq!(figures["tender_payouts_pending{network=\"local\"}"], 0.0);
    assert_eq!(figures["tender_sweeps_pending{network=\"local\"}"], 0.0);
    // The creates took the serialized write section (on PostgreSQL they
    // may have shared one joined statement).
    assert!(figures["tender_serialized_write_sections_total"] >= 1.0);
    assert!(figures["tender_serialized_write_seconds_total"] > 0.0);
    let created = "tender_http_request_duration_seconds_count{route=\"/v1/checkout/sessions\",method=\"POST\",status=\"2xx\"}";
    assert_eq!(figures[created], 3.0);
    let quoted = "tender_http_request_duration_seconds_count{route=\"/v1/pay/{id}/quote\",method=\"POST\",status=\"2xx\"}";
    assert_eq!(figures[quoted], 2.0, "by the route's template, not its ids");
    assert!(
        !figures
            .keys()
            .any(|k| k.contains("watcher_head_lag") || k.contains("treasury_balance")),
        "a node that does not answer has no figure"
    );
    assert!(
        figures.keys().any(|k| k.contains("method=\"other\""))
            && !figures.keys().any(|k| k.contains("BREW")),
        "no series per made-up method"
    );
    let public = gw.get("/metrics").await;
    assert_eq!(
        public.status,
        StatusCode::NOT_FOUND,
        "never on the public listener"
    );
}

#[tokio::test]
async fn a_stopping_gateway_ends_its_live_streams() {
    let mut gw = gateway().await;
    let mut stream = gw
        .http
        .get(format!("{}/v1/events/stream", gw.url))
        .bearer_auth(&gw.key)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    tokio::time::timeout(Duration::from_secs(10), gw.restart(|_| {}))
        .await
        .expect("stopped though a stream was open");
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream ended");
}
