//! What the dashboard reads and does beyond the basic resources, through
//! the merchant API: the live event stream (resumable, one merchant's
//! only), endpoints disabled and enabled by the merchant with their
//! delivery counts, and the overview's figures.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{Gateway, Receiver, gateway, until};
use serde_json::{Value, json};

/// An open `GET /v1/events/stream`, read message by message.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(gw: &Gateway, key: &str, last_event_id: Option<&str>) -> Stream {
        let mut request = gw
            .http
            .get(format!("{}/v1/events/stream", gw.url))
            .bearer_auth(key);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Stream {
            response,
            buffer: String::new(),
        }
    }

    /// The next message's (id, event, data), skipping keep-alive comments.
    async fn next(&mut self) -> (String, String, Value) {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let message: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    message
                        .lines()
                        .find_map(|l| l.strip_prefix(&format!("{name}:")))
                        .map(|v| v.trim_start().to_owned())
                };
                if let (Some(id), Some(event), Some(data)) =
                    (field("id"), field("event"), field("data"))
                {
                    return (id, event, serde_json::from_str(&data).unwrap());
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.response.chunk())
                .await
                .expect("a message within 10 s")
                .unwrap()
                .expect("the stream stays open");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Whether a message arrives within `wait`.
    async fn quiet_for(&mut self, wait: Duration) -> bool {
        tokio::time::timeout(wait, self.next()).await.is_err()
    }
}

#[tokio::test]
async fn the_event_stream_brings_new_events_in_order_and_resumes_after_the_last() {
    let gw = gateway().await;
    let before = gw.create_session().await;
    let mut live = Stream::open(&gw, &gw.key, None).await;
    let other = gw.another_merchant("Other").await;
    gw.post_as(&other, "/v1/checkout/sessions", common::session_body())
        .await;
    let first = gw.create_session().await;
    let second = gw.create_session().await;
    let (id1, kind, data) = live.next().await;
    assert_eq!(kind, "session.created");
    assert_eq!(
        data["data"]["session"]["id"], first["id"],
        "starts after what existed, and never another merchant's"
    );
    assert_ne!(data["data"]["session"]["id"], before["id"]);
    let (id2, _, data) = live.next().await;
    assert_eq!(data["data"]["session"]["id"], second["id"]);
    assert!(live.quiet_for(Duration::from_millis(300)).await);
    drop(live);

    // Reconnecting after the first: the second again, then what came since.
    let third = gw.create_session().await;
    let mut resumed = Stream::open(&gw, &gw.key, Some(&id1)).await;
    assert_eq!(resumed.next().await.0, id2);
    assert_eq!(resumed.next().await.2["data"]["session"]["id"], third["id"]);

    let unknown = gw
        .http
        .get(format!("{}/v1/events/stream?after=evt_nope", gw.url))
        .bearer_auth(&gw.key)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
    // Another merchant's event is no place to start from either.
    let theirs = gw
        .http
        .get(format!("{}/v1/events/stream", gw.url))
        .bearer_auth(&other)
        .header("last-event-id", &id1)
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), 400);
    let anonymous = gw
        .http
        .get(format!("{}/v1/events/stream", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn a_disabled_endpoint_gets_nothing_until_enabled_and_a_missed_event_is_resent() {
    let gw = gateway().await;
    let receiver = Receiver::start(|_| StatusCode::OK).await;
    let (id, _) = gw.endpoint(&receiver.url, &["session.created"]).await;
    gw.create_session().await;
    until("the first delivery", Duration::from_secs(10), async || {
        receiver.count() == 1
    })
    .await;
    let disabled = gw
        .post(&format!("/v1/webhook-endpoints/{id}/disable"), json!({}))
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.body);
    assert_eq!(disabled.body["status"], "disabled");
    assert_eq!(
        disabled.body["deliveries"],
        json!({"succeeded": 1, "retrying": 0, "failed": 0})
    );
    let missed = gw.create_session().await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(receiver.count(), 1, "nothing goes to a disabled endpoint");
    let enabled = gw
        .post(&format!("/v1/webhook-endpoints/{id}/enable"), json!({}))
        .await;
    assert_eq!(enabled.body["status"], "enabled");
    let events = gw
        .get(&format!(
            "/v1/events?sessionId={}",
            missed["id"].as_str().unwrap()
        ))
        .await;
    let event = events.body["data"][0]["id"].as_str().unwrap().to_owned();
    let resent = gw
        .post(&format!("/v1/events/{event}/redeliver"), json!({}))
        .await;
    assert_eq!(resent.status, StatusCode::OK, "{}", resent.body);
    until(
        "the missed event, resent",
        Duration::from_secs(10),
        async || receiver.count() == 2,
    )
    .await;
    let got: Value = serde_json::from_slice(&receiver.received()[1].body).unwrap();
    assert_eq!(got["id"], event.as_str());
    let listed = gw.get("/v1/webhook-endpoints").await;
    until("both counted", Duration::from_secs(5), async || {
        gw.get("/v1/webhook-endpoints").await.body["data"][0]["deliveries"]["succeeded"] == 2
    })
    .await;
    assert_eq!(listed.status, StatusCode::OK);
    let other = gw.another_merchant("Other").await;
    let theirs = gw
        .post_as(
            &other,
            &format!("/v1/webhook-endpoints/{id}/disable"),
            json!({}),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_overview_counts_volume_statuses_payouts_and_failing_endpoints() {
    let gw = gateway().await;
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(gw.create_session().await["id"].as_str().unwrap().to_owned());
    }
    // Two paid today, one completed 3 days ago, one open.
    let now = tender_gateway::clock::now_seconds();
    for (id, status, age) in [
        (&ids[0], "paid", 0),
        (&ids[1], "paid", 0),
        (&ids[2], "completed", 3 * 86_400),
    ] {
        sqlx::query("UPDATE sessions SET status = $1, created_at = $2 WHERE id = $3")
            .bind(status)
            .bind(now - age)
            .bind(id)
            .execute(&gw.state.db)
            .await
            .unwrap();
    }
    let failing = gw.endpoint(&common::dead_url(), &["*"]).await.0;
    let healthy = Receiver::start(|_| StatusCode::OK).await;
    let healthy_id = gw.endpoint(&healthy.url, &["*"]).await.0;
    gw.create_session().await;
    until("a failed attempt", Duration::from_secs(10), async || {
        !gw.get("/v1/overview").await.body["endpointsFailing"]
            .as_array()
            .unwrap()
            .is_empty()
    })
    .await;
    let day = now - now.rem_euclid(86_400);
    let week = day - 6 * 86_400;
    let at = |t: i64| tender_protocol::Timestamp::from_unix(t).to_string();
    let overview = gw
        .get(&format!(
            "/v1/overview?dayStart={}&weekStart={}",
            at(day),
            at(week)
        ))
        .await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.body);
    let body = overview.body;
    // Each session is 2 × 3.50 USD.
    assert_eq!(
        body["volumeToday"],
        json!([{"amount": "14.00", "currency": "USD"}])
    );
    assert_eq!(
        body["volumeThisWeek"],
        json!([{"amount": "21.00", "currency": "USD"}])
    );
    let count = |status: &str| {
        body["sessionsByStatus"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["status"] == status)
            .unwrap()["count"]
            .clone()
    };
    assert_eq!(count("paid"), 2);
    assert_eq!(count("completed"), 1);
    assert_eq!(count("open"), 2);
    assert_eq!(count("expired"), 0);
    assert_eq!(body["payoutsPendingCount"], 2);
    assert_eq!(
        body["payoutsPending"],
        json!([{"amount": "14.00", "currency": "USD"}])
    );
    let failing_listed = body["endpointsFailing"].as_array().unwrap();
    assert_eq!(
        failing_listed.len(),
        1,
        "the healthy endpoint is not listed"
    );
    assert_eq!(failing_listed[0]["id"], failing.as_str());

    // Each endpoint's counts: settled deliveries by status, and pending
    // ones already tried (each from an index of its own).
    let counts = async |id: &str| {
        let listed = gw.get("/v1/webhook-endpoints").await.body;
        listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id)
            .unwrap()["deliveries"]
            .clone()
    };
    assert_eq!(
        counts(&failing).await,
        json!({"succeeded": 0, "retrying": 1, "failed": 0})
    );
    until(
        "the healthy endpoint's delivery",
        Duration::from_secs(10),
        async || counts(&healthy_id).await == json!({"succeeded": 1, "retrying": 0, "failed": 0}),
    )
    .await;
    // Its tries used up (as the dispatcher would after the last).
    sqlx::query("UPDATE deliveries SET status = 'failed' WHERE endpoint_id = $1")
        .bind(&failing)
        .execute(&gw.state.db)
        .await
        .unwrap();
    assert_eq!(
        counts(&failing).await,
        json!({"succeeded": 0, "retrying": 0, "failed": 1})
    );

    let other = gw.another_merchant("Other").await;
    let theirs = gw.get_as(&other, "/v1/overview").await.body;
    assert_eq!(theirs["volumeThisWeek"], json!([]));
    assert_eq!(theirs["endpointsFailing"], json!([]));
    let bad = gw.get("/v1/overview?dayStart=today").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn settlement_options_are_the_configured_networks_and_their_tokens() {
    let gw = gateway().await;
    let options = gw.get("/v1/settlement-destination/options").await;
    assert_eq!(options.status, StatusCode::OK, "{}", options.body);
    let listed = options.body["data"].as_array().unwrap();
    let networks = &gw.state.config.networks;
    assert_eq!(listed.len(), networks.len());
    for (option, network) in listed.iter().zip(networks) {
        assert_eq!(option["network"], network.id.as_str());
        assert_eq!(option["tokens"][0], network.native_token.as_str());
        assert_eq!(
            option["tokens"].as_array().unwrap().len(),
            1 + network.tokens.len()
        );
    }
}
