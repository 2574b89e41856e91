//! The dispatcher's pace per endpoint: an endpoint that refuses every
//! connection is left alone after a few tries (its deliveries keep their
//! attempts for later), while a healthy one beside it gets everything.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{Receiver, dead_url, gateway_with, until};
use tender_gateway::config::WebhookConfig;
use tender_gateway::webhooks::pacing::TRIP_AFTER;

#[tokio::test]
async fn a_refusing_endpoint_trips_its_breaker_and_keeps_its_attempts() {
    let gw = gateway_with(|c| {
        c.webhooks = WebhookConfig {
            retry_schedule_ms: vec![0, 50, 50, 50, 50, 50, 50, 50],
            ..common::fast_webhooks()
        }
    })
    .await;
    let healthy = Receiver::start(|_| StatusCode::OK).await;
    let (dead, _) = gw.endpoint(&dead_url(), &["session.created"]).await;
    gw.endpoint(&healthy.url, &["session.created"]).await;
    for _ in 0..20 {
        gw.create_session().await;
    }
    until(
        "the healthy endpoint's 20",
        Duration::from_secs(10),
        async || healthy.count() == 20,
    )
    .await;
    // Long enough for every retry of the schedule, were it followed.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (attempts, untouched): (i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(attempts), 0) AS BIGINT),
                CAST(SUM(CASE WHEN attempts = 0 THEN 1 ELSE 0 END) AS BIGINT)
         FROM deliveries WHERE endpoint_id = $1",
    )
    .bind(&dead)
    .fetch_one(&gw.state.db)
    .await
    .unwrap();
    assert!(
        (i64::from(TRIP_AFTER)..=i64::from(TRIP_AFTER) + 4).contains(&attempts),
        "{attempts} attempts: the breaker should stop them after {TRIP_AFTER} in a row"
    );
    assert!(untouched >= 12, "{untouched} deliveries untouched, waiting");
    let pending: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM deliveries WHERE endpoint_id = $1 AND status = 'pending'",
    )
    .bind(&dead)
    .fetch_one(&gw.state.db)
    .await
    .unwrap();
    assert_eq!(pending, 20, "none failed for good while paused");
}
