//! The Node example shop (`examples/node-shop`): a real payment on anvil
//! through a merchant server that is not ours in Rust. It makes sessions
//! with the TypeScript client generated from `/openapi.json` and verifies
//! webhooks with the `standardwebhooks` npm library.

use std::time::Duration;

use serde_json::{Value, json};
use tender_e2e::node_shop::{NodeShop, free_port};
use tender_e2e::stack::{CHAIN_A, TSHIRT};
use tender_e2e::{Stack, StackOptions, eventually};
use tender_protocol::CreateWebhookEndpoint;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn a_node_shop_takes_a_real_payment_with_the_generated_client_and_standard_webhooks() {
    let stack = Stack::start(StackOptions::default()).await;
    let port = free_port();
    let endpoint = stack
        .client
        .create_webhook_endpoint(&CreateWebhookEndpoint {
            url: format!("http://127.0.0.1:{port}/webhooks/tender"),
            enabled_events: vec!["*".into()],
        })
        .await
        .unwrap();
    let shop = NodeShop::start(
        port,
        &stack.gateway_url,
        &stack.api_key,
        endpoint.secret.as_deref().unwrap(),
    );
    let http = reqwest::Client::new();
    let checkout = async |body: Value| {
        let answer = http
            .post(format!("{}/api/checkout", shop.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        (
            answer.status().as_u16(),
            answer.json::<Value>().await.unwrap(),
        )
    };

    // Bad input is the shop's 400; the gateway's refusal comes through.
    let (status, _) = checkout(json!({"productId": TSHIRT, "quantity": 0})).await;
    assert_eq!(status, 400);
    let (status, body) = checkout(json!({"productId": "prod_nosuchthing"})).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );

    let (status, order) = checkout(json!({"productId": TSHIRT, "quantity": 2})).await;
    assert_eq!(status, 200, "{order}");
    let order_id = order["orderId"].as_str().unwrap().to_owned();
    let id = Stack::session_of(order["paymentUrl"].as_str().unwrap());
    let session = stack.client.get_session(&id).await.unwrap();
    assert_eq!(session.line_items[0].quantity, 2);
    assert_eq!(session.metadata.get("order_id"), Some(order_id.as_str()));

    let quote = stack.quote(&id, CHAIN_A, "ETH").await;
    stack.pay(&quote, quote.amount_raw.0).await;
    stack.anvil.mine(1).await;
    let paid = eventually("the Node shop's order to be paid", WAIT, || async {
        let order: Value = http
            .get(format!("{}/api/orders/{order_id}", shop.url))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (order["status"] == "paid").then_some(order)
    })
    .await;
    assert!(
        paid["txHash"].as_str().is_some_and(|h| h.starts_with("0x")),
        "{paid}"
    );

    // A delivery signed with another secret is refused.
    let forged = http
        .post(format!("{}/webhooks/tender", shop.url))
        .header("content-type", "application/json")
        .header("webhook-id", "msg_forged")
        .header(
            "webhook-timestamp",
            time::OffsetDateTime::now_utc().unix_timestamp().to_string(),
        )
        .header("webhook-signature", "v1,bm90IGEgc2lnbmF0dXJl")
        .body(r#"{"type": "session.paid"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
}
