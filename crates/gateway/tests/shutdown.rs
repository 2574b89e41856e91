//! A graceful stop (what SIGTERM starts) during a burst of webhook
//! deliveries to a slow receiver: the deliveries in flight finish and are
//! recorded before the process ends, so after the restart every event has
//! reached the receiver, none twice.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use axum::http::StatusCode;
use common::{Receiver, gateway, until};

#[tokio::test]
async fn a_stop_during_a_burst_of_deliveries_loses_none_and_sends_none_twice() {
    let mut gw = gateway().await;
    let receiver = Receiver::start_slow(Duration::from_millis(150), |_| StatusCode::OK).await;
    gw.endpoint(&receiver.url, &["session.created"]).await;
    for _ in 0..40 {
        gw.create_session().await;
    }
    until(
        "deliveries under way",
        Duration::from_secs(10),
        async || receiver.count() >= 3,
    )
    .await;
    gw.restart(|_| {}).await;
    until("all 40 delivered", Duration::from_secs(30), async || {
        receiver.count() >= 40
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in receiver.received() {
        let id = r.headers["webhook-id"].to_str().unwrap().to_owned();
        *seen.entry(id).or_default() += 1;
    }
    assert_eq!(seen.len(), 40, "every event arrived");
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent twice: {twice:?}");
}
