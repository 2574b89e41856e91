//! Every wei accounted for, on real anvil chains with a real gateway and
//! merchant server: payments still confirming, lagging nodes, deep reorgs.

use std::time::Duration;

use serde_json::json;
use tender_e2e::stack::TSHIRT;
use tender_e2e::{Stack, StackOptions, eventually};
use tender_protocol::{
    EventListParams, EventType, PaymentStatus, Session, SessionId, SessionStatus,
};

const WAIT: Duration = Duration::from_secs(30);

async fn status_becomes(stack: &Stack, id: &SessionId, status: SessionStatus) -> Session {
    eventually(
        &format!("the session to be {}", status.as_str()),
        WAIT,
        || async {
            let session = stack.client.get_session(id).await.unwrap();
            (session.status == status).then_some(session)
        },
    )
    .await
}

async fn event_types(stack: &Stack, id: &SessionId) -> Vec<EventType> {
    let events = stack
        .client
        .list_events(&EventListParams {
            session_id: Some(id.to_string()),
            limit: Some(100),
            ..EventListParams::default()
        })
        .await
        .unwrap();
    events.data.iter().rev().map(|e| e.kind).collect()
}

async fn new_session(stack: &Stack) -> SessionId {
    Stack::session_of(&stack.checkout(TSHIRT).await.payment_url)
}

#[tokio::test]
async fn a_requote_does_not_ask_again_for_a_payment_still_confirming() {
    let stack = Stack::start(StackOptions::default()).await;
    let id = new_session(&stack).await;
    let quote = stack.quote_eth(&id).await;
    stack.pay(&quote, quote.amount_raw.0 / 5).await; // 5.00 of 25.00 USD
    status_becomes(&stack, &id, SessionStatus::Processing).await;
    let again = stack.quote_eth(&id).await;
    assert_eq!(again.amount, "0.01", "20.00 USD left at 2000 USD/ETH");
    stack.pay(&again, again.amount_raw.0).await;
    stack.anvil.mine(1).await;
    let paid = status_becomes(&stack, &id, SessionStatus::Paid).await;
    assert_eq!(paid.amount_received.amount_string(), "25.00");
    assert_eq!(paid.amount_excess, None);
}

#[tokio::test]
async fn a_node_serving_an_older_head_rolls_nothing_back() {
    let stack = Stack::start(StackOptions {
        lagging_rpc: true,
        ..StackOptions::default()
    })
    .await;
    let lagging = stack.lagging.as_ref().expect("the lagging hop");
    let id = new_session(&stack).await;
    let quote = stack.quote_eth(&id).await;
    stack.pay(&quote, quote.amount_raw.0).await;
    stack.anvil.mine(1).await;
    status_becomes(&stack, &id, SessionStatus::Paid).await;

    // The node falls four blocks behind: below the block of the payment.
    lagging.set_lag(4);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let session = stack.client.get_session(&id).await.unwrap();
    assert_eq!(session.status, SessionStatus::Paid);
    assert_eq!(session.payments.len(), 1, "nothing rolled back");
    assert_eq!(session.payments[0].status, PaymentStatus::Confirmed);

    // It catches up; the watcher goes on from where it was.
    lagging.set_lag(0);
    stack.anvil.mine(2).await;
    eventually("the confirmations to grow", WAIT, || async {
        let session = stack.client.get_session(&id).await.unwrap();
        (session.payments[0].confirmations >= 4).then_some(())
    })
    .await;
    assert!(
        !event_types(&stack, &id)
            .await
            .contains(&EventType::SessionPaymentReorged)
    );
}

#[tokio::test]
async fn a_reorg_deeper_than_the_confirmations_keeps_the_payment_marked_and_tells_the_merchant() {
    let stack = Stack::start(StackOptions::default()).await;
    let id = new_session(&stack).await;
    let quote = stack.quote_eth(&id).await;
    stack.pay(&quote, quote.amount_raw.0).await;
    stack.anvil.mine(1).await;
    status_becomes(&stack, &id, SessionStatus::Paid).await;

    // Replace the last three blocks (the payment's among them) with empty ones.
    stack.anvil.rpc("anvil_reorg", json!([3, []])).await;
    let reopened = status_becomes(&stack, &id, SessionStatus::Open).await;
    assert_eq!(reopened.payments.len(), 1, "the payment is still on record");
    assert_eq!(reopened.payments[0].status, PaymentStatus::Reorged);
    assert_eq!(reopened.amount_received.amount_string(), "0.00");
    eventually("session.payment_reorged", WAIT, || async {
        event_types(&stack, &id)
            .await
            .contains(&EventType::SessionPaymentReorged)
            .then_some(())
    })
    .await;

    // Paid again from scratch, the session is paid again.
    stack.pay(&quote, quote.amount_raw.0).await;
    stack.anvil.mine(1).await;
    let paid = status_becomes(&stack, &id, SessionStatus::Paid).await;
    assert_eq!(paid.amount_received.amount_string(), "25.00");
}
