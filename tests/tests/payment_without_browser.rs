//! A payment made by plain JSON-RPC, no browser: the quoted amount sent to
//! the quoted address makes the merchant's order paid, through a signed
//! webhook that verifies.

use std::time::Duration;

use tender_client::verify_webhook;
use tender_e2e::anvil::{DEV_ACCOUNT, hex_quantity};
use tender_e2e::stack::TSHIRT;
use tender_e2e::{Receiver, Stack, StackOptions, eventually};
use tender_protocol::{
    CreateWebhookEndpoint, EventType, OrderStatus, PaymentStatus, WebhookSecret,
};

#[tokio::test]
async fn quoted_transfer_makes_the_order_paid_with_a_verified_webhook() {
    // Arrange: the stack, plus an independent receiver subscribed to session.paid.
    let stack = Stack::start(StackOptions::default()).await;
    let receiver = Receiver::start().await;
    let endpoint = stack
        .client
        .create_webhook_endpoint(&CreateWebhookEndpoint {
            url: receiver.url.clone(),
            enabled_events: vec!["session.paid".into()],
        })
        .await
        .unwrap();
    let receiver_secret = WebhookSecret::parse(endpoint.secret.as_deref().unwrap()).unwrap();
    let checkout = stack.checkout(TSHIRT).await;
    let session_id = Stack::session_of(&checkout.payment_url);
    let quote = stack.quote_eth(&session_id).await;
    assert_eq!(quote.amount, "0.0125", "25.00 USD at 2000.00 USD/ETH");

    // Act: pay the quote from a dev account, then let two confirmations pass.
    let tx_hash = stack
        .anvil
        .send_eth(
            DEV_ACCOUNT,
            quote.deposit_address.as_str(),
            quote.amount_raw.0,
        )
        .await;
    stack.anvil.mine(1).await;

    // Assert: the merchant's order is confirmed by the webhook, with the tx.
    let order = eventually("the order to be paid", Duration::from_secs(30), || async {
        let order = stack.order(&checkout.order_id).await;
        order.status.is_paid().then_some(order)
    })
    .await;
    assert_eq!(order.status, OrderStatus::Fulfilled);
    assert_eq!(
        order.tx_hash.as_ref().map(|h| h.as_str()),
        Some(tx_hash.as_str())
    );

    let delivery = eventually(
        "the session.paid webhook",
        Duration::from_secs(30),
        || async { receiver.deliveries().into_iter().next() },
    )
    .await;
    let event = verify_webhook(&receiver_secret, &delivery.headers, &delivery.body)
        .expect("the delivered webhook verifies");
    assert_eq!(event.kind, EventType::SessionPaid);
    let session = event.data.session.as_ref().expect("a session event");
    assert_eq!(
        session.metadata.get("order_id"),
        Some(checkout.order_id.as_str())
    );
    let payment = &session.payments[0];
    assert_eq!(payment.tx_hash.as_str(), tx_hash);
    assert_eq!(payment.token, "ETH");
    assert_eq!(payment.amount, "0.0125");
    assert_eq!(payment.status, PaymentStatus::Confirmed);
    assert!(payment.confirmations >= 2);
    let receipt = stack.anvil.receipt(&tx_hash).await;
    let fee = hex_quantity(&receipt["gasUsed"]) * hex_quantity(&receipt["effectiveGasPrice"]);
    assert_eq!(
        payment.gas_fee.amount_raw.0, fee,
        "gas fee equals the receipt's"
    );
}

#[tokio::test]
async fn one_confirmation_is_not_enough_to_be_paid() {
    let stack = Stack::start(StackOptions::default()).await;
    let checkout = stack.checkout(TSHIRT).await;
    let session_id = Stack::session_of(&checkout.payment_url);
    let quote = stack.quote_eth(&session_id).await;

    stack
        .anvil
        .send_eth(
            DEV_ACCOUNT,
            quote.deposit_address.as_str(),
            quote.amount_raw.0,
        )
        .await;

    let session = eventually(
        "the payment to be seen",
        Duration::from_secs(30),
        || async {
            let s = stack.public_session(&session_id).await;
            (!s.payments.is_empty()).then_some(s)
        },
    )
    .await;
    // Give the watcher several more polls on the same head: still one confirmation.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let session = stack.public_session(&session.id).await;
    assert_eq!(session.status, tender_protocol::SessionStatus::Processing);
    assert_eq!(session.payments[0].confirmations, 1);
    eventually(
        "the order to show the payment in progress",
        Duration::from_secs(10),
        || async {
            (stack.order(&checkout.order_id).await.status == OrderStatus::Processing).then_some(())
        },
    )
    .await;
}
