//! `tender listen` and `tender trigger` against a real gateway and anvil:
//! a paid session's `session.paid` forwarded to a local receiver that
//! verifies it with the secret `listen` printed; after a gateway restart the
//! listener picks up again, missing nothing and forwarding nothing twice; a
//! triggered test event verifies the same way and is marked `test`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tender_cli::commands;
use tender_cli::listen::Listen;
use tender_cli::login::Login;
use tender_e2e::anvil::DEV_ACCOUNT;
use tender_e2e::stack::TSHIRT;
use tender_e2e::{Receiver, Stack, StackOptions, eventually};
use tender_protocol::WebhookSecret;
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(30);

/// The forwarded deliveries' (event id, type, test), each verified.
fn forwarded(receiver: &Receiver, secret: &WebhookSecret) -> Vec<(String, String, bool)> {
    receiver
        .deliveries()
        .iter()
        .map(|d| {
            secret
                .verify(&d.headers, &d.body)
                .expect("signed with the listener's secret");
            let event: serde_json::Value = serde_json::from_slice(&d.body).unwrap();
            (
                event["id"].as_str().unwrap().to_owned(),
                event["type"].as_str().unwrap().to_owned(),
                event["test"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

#[tokio::test]
async fn tender_listen_forwards_verified_events_across_a_gateway_restart() {
    let mut stack = Stack::start(StackOptions::default()).await;
    let receiver = Receiver::start().await;
    let secret = WebhookSecret::generate();
    let lines: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = CancellationToken::new();
    let listen = Listen {
        gateway: stack.gateway_url.clone(),
        api_key: stack.api_key.clone(),
        forward_to: receiver.url.clone(),
        events: Vec::new(),
        secret: secret.clone(),
    };
    let said = lines.clone();
    let running =
        tokio::spawn(listen.run(move |line| said.lock().unwrap().push(line), stop.clone()));
    let connections = || {
        lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.starts_with("Connected"))
            .count()
    };
    eventually("the listener to connect", WAIT, || async {
        (connections() == 1).then_some(())
    })
    .await;

    // A real payment.
    let checkout = stack.checkout(TSHIRT).await;
    let session = Stack::session_of(&checkout.payment_url);
    let quote = stack.quote_eth(&session).await;
    stack
        .anvil
        .send_eth(
            DEV_ACCOUNT,
            quote.deposit_address.as_str(),
            quote.amount_raw.0,
        )
        .await;
    stack.anvil.mine(1).await;
    eventually("session.paid forwarded", WAIT, || async {
        forwarded(&receiver, &secret)
            .iter()
            .any(|(_, kind, _)| kind == "session.paid")
            .then_some(())
    })
    .await;
    let printed = lines.lock().unwrap().join("\n");
    assert!(
        printed.contains("session.paid evt_") && printed.contains("-> 200 ("),
        "{printed}"
    );

    // The gateway restarts; what happens after is forwarded too.
    stack.stop_gateway().await;
    stack.start_gateway().await;
    eventually("the listener to reconnect", WAIT, || async {
        (connections() >= 2).then_some(())
    })
    .await;
    let after = Stack::session_of(&stack.checkout(TSHIRT).await.payment_url).to_string();
    eventually("the new session's event forwarded", WAIT, || async {
        receiver
            .deliveries()
            .iter()
            .any(|d| String::from_utf8_lossy(&d.body).contains(&after))
            .then_some(())
    })
    .await;

    // A test event, marked so, verified like the rest.
    let login = Login {
        gateway: stack.gateway_url.clone(),
        api_key: stack.api_key.clone(),
    };
    let triggered: serde_json::Value =
        serde_json::from_str(&commands::trigger(&login, "session.paid").await.unwrap()).unwrap();
    assert_eq!(triggered["test"], true);
    let test_id = triggered["id"].as_str().unwrap().to_owned();
    eventually("the test event forwarded", WAIT, || async {
        forwarded(&receiver, &secret)
            .iter()
            .any(|(id, _, test)| *id == test_id && *test)
            .then_some(())
    })
    .await;
    let refused = commands::trigger(&login, "refund.created").await;
    assert!(refused.unwrap_err().to_string().contains("session.*"));

    stop.cancel();
    running.await.unwrap().unwrap();
    let all = forwarded(&receiver, &secret);
    let distinct: HashSet<&String> = all.iter().map(|(id, ..)| id).collect();
    assert_eq!(
        distinct.len(),
        all.len(),
        "nothing forwarded twice: {all:?}"
    );
    // Every event of the merchant since the listener connected arrived.
    let events = stack
        .client
        .list_events(&tender_protocol::EventListParams {
            limit: Some(100),
            ..Default::default()
        })
        .await
        .unwrap()
        .data;
    let first = all.first().unwrap().0.clone();
    let since: Vec<String> = events
        .iter()
        .rev()
        .map(|e| e.id.to_string())
        .skip_while(|id| *id != first)
        .collect();
    let got: HashSet<String> = all.iter().map(|(id, ..)| id.clone()).collect();
    for id in &since {
        assert!(got.contains(id), "{id} was not forwarded");
    }
}
