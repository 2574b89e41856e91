//! A payment link in a real Chromium, against a real gateway, anvil and
//! the merchant server: a shopper opens the shared URL, pays in the cashier,
//! and the merchant's server gets a verified `session.paid` carrying the
//! link; a shopper whose browser reads Japanese pays a link priced in yen
//! in a Japanese cashier.

use std::time::Duration;

use serde_json::{Value, json};
use tender_e2e::stack::TSHIRT;
use tender_e2e::{Browser, Stack, StackOptions, eventually};
use tender_protocol::{Event, EventListParams, EventType, SessionId};

const WAIT: Duration = Duration::from_secs(30);

/// A payment link made through the API.
async fn make_link(stack: &Stack, body: Value) -> Value {
    reqwest::Client::new()
        .post(format!("{}/v1/payment-links", stack.gateway_url))
        .bearer_auth(&stack.api_key)
        .json(&body)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The session's `session.paid` event, once the merchant's server has kept
/// it (it keeps only what it verified).
async fn paid_event_kept_by_the_shop(stack: &Stack, id: &SessionId) -> Event {
    let paid = stack
        .client
        .list_events(&EventListParams {
            kind: Some(EventType::SessionPaid.as_str().into()),
            session_id: Some(id.to_string()),
            limit: None,
            starting_after: None,
        })
        .await
        .unwrap()
        .data
        .pop()
        .expect("a session.paid event");
    eventually(
        "the shop to have the verified session.paid",
        WAIT,
        || async {
            let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_events WHERE id = $1")
                .bind(paid.id.as_str())
                .fetch_one(&stack.merchant.db)
                .await
                .unwrap();
            (kept == 1).then_some(())
        },
    )
    .await;
    paid
}

#[tokio::test]
async fn a_shopper_pays_through_a_shared_link_and_the_merchant_hears_of_it() {
    let stack = Stack::start(StackOptions {
        web: true,
        ..StackOptions::default()
    })
    .await;
    let link = make_link(
        &stack,
        json!({
            "productId": TSHIRT,
            "metadata": {"channel": "chat"},
            "successUrl": format!("{}/", stack.merchant_url),
        }),
    )
    .await;
    let link_id = link["id"].as_str().unwrap().to_owned();

    let browser = Browser::start().await;
    browser
        .client
        .goto(link["url"].as_str().unwrap())
        .await
        .unwrap();
    let cashier = browser
        .wait_for_url("the cashier", |u| u.path().starts_with("/pay/cs_"))
        .await;
    assert_eq!(browser.text_of("[data-testid='total']").await, "$25.00");
    browser.click_button("TUSD on Anvil 2 (local)").await;
    browser.click_button("Pay with Tender dev wallet").await;
    browser.wait_for_text("1 of 2 confirmations").await;
    stack.anvil_b.mine(1).await;
    browser.wait_for_text("Payment received").await;
    browser.screenshots("payment-link-paid").await;
    browser.close().await;

    let id = Stack::session_of(cashier.as_str());
    let session = stack.client.get_session(&id).await.unwrap();
    assert_eq!(
        session.payment_link.as_ref().map(|l| l.as_str()),
        Some(link_id.as_str())
    );
    assert_eq!(session.metadata.get("channel"), Some("chat"));
    let paid = paid_event_kept_by_the_shop(&stack, &id).await;
    let carried = paid
        .data
        .session
        .as_ref()
        .and_then(|s| s.payment_link.clone());
    assert_eq!(carried.map(|l| l.to_string()), Some(link_id));
}

#[tokio::test]
async fn a_japanese_shopper_pays_a_yen_link_in_japanese() {
    let stack = Stack::start(StackOptions {
        web: true,
        ..StackOptions::default()
    })
    .await;
    let link = make_link(
        &stack,
        json!({
            "productData": {"name": "抹茶", "price": {"amount": "3000", "currency": "JPY"}},
            "successUrl": format!("{}/", stack.merchant_url),
        }),
    )
    .await;
    let link_id = link["id"].as_str().unwrap().to_owned();
    let browser = Browser::start_in("ja").await;
    browser
        .client
        .goto(link["url"].as_str().unwrap())
        .await
        .unwrap();
    let cashier = browser
        .wait_for_url("the cashier", |u| u.path().starts_with("/pay/cs_"))
        .await;
    eventually("the cashier in Japanese", WAIT, || async {
        (browser.text_of("h1").await == "お支払い").then_some(())
    })
    .await;
    // Yen as Japanese writes them: a full-width sign, no minor unit.
    assert_eq!(browser.text_of("[data-testid='total']").await, "￥3,000");
    // 3000 JPY at 150 JPY a TUSD.
    browser.click_button("Anvil 2 (local) の TUSD").await;
    assert_eq!(
        browser.text_of("[data-testid='quote-amount']").await,
        "20 TUSD"
    );
    browser.screenshots("payment-link-ja").await;
    browser.click_button("Tender dev wallet で支払う").await;
    browser.wait_for_text("承認 1 / 2").await;
    stack.anvil_b.mine(1).await;
    browser.wait_for_text("お支払いを受け取りました").await;
    browser.close().await;

    let id = Stack::session_of(cashier.as_str());
    let paid = paid_event_kept_by_the_shop(&stack, &id).await;
    let session = paid.data.session.as_ref().unwrap();
    assert_eq!(
        session.payment_link.as_ref().map(|l| l.to_string()),
        Some(link_id)
    );
    assert_eq!(session.amount_due.to_string(), "3000 JPY");
}
