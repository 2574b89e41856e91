//! Retention: events past `webhooks.retention_days` go with their
//! deliveries and attempts, unless something is still to be delivered.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{Gateway, Receiver, dead_url, gateway_with, until};
use tender_gateway::config::WebhookConfig;
use tender_gateway::webhooks::retention::Retention;

async fn count(gw: &Gateway, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&gw.state.db)
        .await
        .unwrap()
}

async fn latest_event(gw: &Gateway) -> String {
    let events = gw.get("/v1/events?limit=1").await;
    events.body["data"][0]["id"].as_str().unwrap().to_owned()
}

async fn age(gw: &Gateway, event: &str, days: i64) {
    sqlx::query("UPDATE events SET created_at = created_at - $1 WHERE id = $2")
        .bind(days * 24 * 3600)
        .bind(event)
        .execute(&gw.state.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn old_delivered_events_go_and_pending_or_recent_ones_stay() {
    let gw = gateway_with(|c| {
        c.webhooks = WebhookConfig {
            // A failed attempt waits a minute: it stays pending here.
            retry_schedule_ms: vec![0, 60_000],
            ..common::fast_webhooks()
        }
    })
    .await;
    let healthy = Receiver::start(|_| StatusCode::OK).await;
    gw.endpoint(&healthy.url, &["session.created"]).await;

    gw.create_session().await;
    until("the first delivery", Duration::from_secs(10), async || {
        healthy.count() == 1
    })
    .await;
    let old_delivered = latest_event(&gw).await;

    let (dead, _) = gw.endpoint(&dead_url(), &["session.created"]).await;
    gw.create_session().await;
    until("the second delivery", Duration::from_secs(10), async || {
        healthy.count() == 2
    })
    .await;
    let old_pending = latest_event(&gw).await;
    gw.delete(&format!("/v1/webhook-endpoints/{dead}")).await;
    // Deleting the endpoint cancelled its delivery: re-open one by hand.
    sqlx::query(
        "UPDATE deliveries SET status = 'pending' WHERE event_id = $1 AND endpoint_id = $2",
    )
    .bind(&old_pending)
    .bind(&dead)
    .execute(&gw.state.db)
    .await
    .unwrap();

    gw.create_session().await;
    until("the third delivery", Duration::from_secs(10), async || {
        healthy.count() == 3
    })
    .await;
    let recent = latest_event(&gw).await;

    age(&gw, &old_delivered, 31).await;
    age(&gw, &old_pending, 31).await;
    let attempts_before = count(&gw, "SELECT COUNT(*) FROM delivery_attempts").await;

    let deleted = Retention::new(gw.state.clone()).tick().await.unwrap();
    assert_eq!(deleted, 1);
    assert_eq!(
        gw.get(&format!("/v1/events/{old_delivered}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        gw.get(&format!("/v1/events/{old_pending}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        gw.get(&format!("/v1/events/{recent}")).await.status,
        StatusCode::OK
    );
    let attempts_after = count(&gw, "SELECT COUNT(*) FROM delivery_attempts").await;
    assert_eq!(
        attempts_after,
        attempts_before - 1,
        "its one attempt went with it"
    );
    let orphans = count(
        &gw,
        "SELECT COUNT(*) FROM deliveries d WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = d.event_id)",
    )
    .await;
    assert_eq!(orphans, 0);
    assert_eq!(
        Retention::new(gw.state.clone()).tick().await.unwrap(),
        0,
        "nothing more"
    );
}
