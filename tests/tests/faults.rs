//! Faults around the gateway: a chain node that drops its connections (and
//! `/readyz` saying so until it is back), and a merchant server that is
//! down for a while.

use std::time::Duration;

use tender_e2e::stack::{CHAIN_A, TSHIRT};
use tender_e2e::{Stack, StackOptions, eventually};
use tender_protocol::{OrderStatus, SessionStatus};

const WAIT: Duration = Duration::from_secs(60);

#[tokio::test]
async fn the_watcher_reconnects_after_the_node_drops_it_and_misses_no_block() {
    let stack = Stack::start(StackOptions {
        flaky_rpc: true,
        ..StackOptions::default()
    })
    .await;
    let checkout = stack.checkout(TSHIRT).await;
    let id = Stack::session_of(&checkout.payment_url);
    let quote = stack.quote(&id, CHAIN_A, "ETH").await;
    let hop = stack.flaky.as_ref().unwrap();
    let readyz = format!("{}/readyz", stack.gateway_url);
    let readiness = || async {
        let answer = reqwest::get(&readyz).await.unwrap();
        let status = answer.status().as_u16();
        (status, answer.json::<serde_json::Value>().await.unwrap())
    };
    eventually("the gateway to be ready", WAIT, || async {
        (readiness().await.0 == 200).then_some(())
    })
    .await;
    hop.go_down();
    let unready = eventually("readiness to see the node gone", WAIT, || async {
        let (status, body) = readiness().await;
        (status == 503).then_some(body)
    })
    .await;
    let check = unready["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["ok"] == false)
        .unwrap()
        .clone();
    assert_eq!(check["name"], format!("network:{CHAIN_A}"), "{unready}");
    // Paid and confirmed while the gateway cannot reach the node.
    stack.pay(&quote, quote.amount_raw.0).await;
    stack.anvil.mine(4).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        stack.client.get_session(&id).await.unwrap().status,
        SessionStatus::Open
    );
    hop.come_back();
    let paid = eventually("the payment to be found", WAIT, || async {
        let session = stack.client.get_session(&id).await.unwrap();
        (session.status == SessionStatus::Paid).then_some(session)
    })
    .await;
    eventually("the gateway to be ready again", WAIT, || async {
        (readiness().await.0 == 200).then_some(())
    })
    .await;
    assert_eq!(paid.payments.len(), 1);
    // Every block was scanned: the cursor is at the head.
    let head = tender_e2e::anvil::hex_quantity(
        &stack
            .anvil
            .rpc("eth_blockNumber", serde_json::json!([]))
            .await,
    );
    stack.scanned_through(CHAIN_A, head as u64).await;
}

#[tokio::test]
async fn webhooks_reach_a_merchant_server_that_was_down_for_a_while() {
    let stack = Stack::start(StackOptions {
        webhook_switch: true,
        ..StackOptions::default()
    })
    .await;
    let checkout = stack.checkout(TSHIRT).await;
    let id = Stack::session_of(&checkout.payment_url);
    let quote = stack.quote(&id, CHAIN_A, "ETH").await;
    stack.pay(&quote, quote.amount_raw.0).await;
    stack.anvil.mine(1).await;
    eventually("the session to be paid", WAIT, || async {
        (stack.client.get_session(&id).await.unwrap().status == SessionStatus::Paid).then_some(())
    })
    .await;
    // Attempts are failing; the server comes back before the schedule ends.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stack.switch.as_ref().unwrap().set_up(true);
    let order = eventually("the retried webhook to confirm the order", WAIT, || async {
        let order = stack.order(&checkout.order_id).await;
        (order.status == OrderStatus::Fulfilled).then_some(order)
    })
    .await;
    assert!(order.tx_hash.is_some());
}
