//! What a merchant installs: the widget on any page, the companion server's
//! no-JavaScript path, and reconciliation when webhooks cannot get through.

use std::time::Duration;

use fantoccini::Locator;
use serde_json::json;
use tender_e2e::stack::{CHAIN_A, TSHIRT};
use tender_e2e::{Browser, Stack, StackOptions, eventually};
use tender_protocol::{DeliveryStatus, EventListParams, OrderId, OrderStatus, Redeliver};

const WAIT: Duration = Duration::from_secs(30);

async fn shipments(stack: &Stack) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM shipments")
        .fetch_one(&stack.merchant.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_paid_order_is_confirmed_by_reconciliation_then_by_the_redelivered_webhook_and_fulfilled_once()
 {
    let stack = Stack::start(StackOptions {
        webhook_switch: true,
        reconcile_after: Some(Duration::ZERO),
        ..StackOptions::default()
    })
    .await;
    // The merchant's webhook endpoint is unreachable throughout the payment.
    let checkout = stack.checkout(TSHIRT).await;
    let id = Stack::session_of(&checkout.payment_url);
    let quote = stack.quote(&id, CHAIN_A, "ETH").await;
    stack.pay(&quote, quote.amount_raw.0).await;
    stack.anvil.mine(1).await;

    // The success page's polling makes the server ask the gateway itself.
    let order = eventually("reconciliation to confirm the order", WAIT, || async {
        let order = stack.order(&checkout.order_id).await;
        order.status.is_paid().then_some(order)
    })
    .await;
    assert_eq!(order.status, OrderStatus::Fulfilled);
    assert_eq!(shipments(&stack).await, 1);
    let received: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_events")
        .fetch_one(&stack.merchant.db)
        .await
        .unwrap();
    assert_eq!(received, 0, "no webhook got through");

    // The endpoint comes back; the merchant redelivers from the gateway.
    stack.switch.as_ref().unwrap().set_up(true);
    let paid = stack
        .client
        .list_events(&EventListParams {
            kind: Some("session.paid".into()),
            session_id: Some(id.to_string()),
            ..EventListParams::default()
        })
        .await
        .unwrap()
        .data
        .remove(0);
    stack
        .client
        .redeliver_event(paid.id.as_str(), &Redeliver::default())
        .await
        .unwrap();
    eventually("the redelivery to succeed", WAIT, || async {
        let details = stack.client.get_event(paid.id.as_str()).await.unwrap();
        (details.deliveries[0].status == DeliveryStatus::Succeeded).then_some(())
    })
    .await;
    let applied: Vec<String> = sqlx::query_scalar("SELECT id FROM webhook_events")
        .fetch_all(&stack.merchant.db)
        .await
        .unwrap();
    assert!(
        applied.contains(&paid.id.to_string()),
        "the redelivered webhook was received: {applied:?}"
    );
    assert_eq!(shipments(&stack).await, 1, "fulfilled once");
    assert_eq!(
        stack.order(&checkout.order_id).await.status,
        OrderStatus::Fulfilled
    );
}

#[tokio::test]
async fn the_no_javascript_form_reaches_the_cashier() {
    let stack = Stack::start(StackOptions {
        web: true,
        ..StackOptions::default()
    })
    .await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = http
        .post(format!("{}/api/checkout", stack.merchant_url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("productId=prod_mug&quantity=2")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!("{}/pay/cs_", stack.gateway_url)),
        "{location}"
    );
    let cashier = http.get(&location).send().await.unwrap();
    assert_eq!(cashier.status(), 200);
    let session = stack
        .client
        .get_session(&Stack::session_of(&location))
        .await
        .unwrap();
    assert_eq!(session.amount_due.amount_string(), "24.00", "two mugs");
    let bad = http
        .post(format!("{}/api/checkout", stack.merchant_url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("productId=nonsense")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn a_plain_page_not_built_by_trunk_mounts_three_pay_buttons_one_for_a_cart() {
    let stack = Stack::start(StackOptions {
        web: true,
        ..StackOptions::default()
    })
    .await;
    let browser = Browser::start().await;
    let open_page = async || {
        browser
            .client
            .goto(&format!("{}/plain.html", stack.merchant_url))
            .await
            .unwrap();
        eventually("the three buttons to mount", WAIT, || async {
            let found = browser
                .client
                .find_all(Locator::Css("button.tender-pay__button"))
                .await
                .ok()?;
            (found.len() == 3).then_some(found)
        })
        .await
    };
    let buttons = open_page().await;
    assert_eq!(buttons[0].text().await.unwrap(), "Buy the T-shirt");
    assert_eq!(buttons[1].text().await.unwrap(), "Buy two mugs");
    assert_eq!(buttons[2].text().await.unwrap(), "Buy the set");
    buttons[1].click().await.unwrap();
    let cashier = browser
        .wait_for_url("the cashier", |u| u.path().starts_with("/pay/cs_"))
        .await;
    assert_eq!(browser.text_of("[data-testid='total']").await, "$24.00");
    let session = stack
        .client
        .get_session(&Stack::session_of(cashier.as_str()))
        .await
        .unwrap();
    assert_eq!(session.line_items[0].quantity, 2);

    // The cart: one order, one session listing both products.
    let buttons = open_page().await;
    buttons[2].click().await.unwrap();
    let cashier = browser
        .wait_for_url("the cashier for the set", |u| {
            u.path().starts_with("/pay/cs_") && u.as_str() != cashier.as_str()
        })
        .await;
    assert_eq!(browser.text_of("[data-testid='total']").await, "$49.00");
    let listed = browser.text_of(".line-items").await;
    assert!(
        listed.contains("Tender T-shirt")
            && listed.contains("Tender Mug")
            && listed.contains("Qty 2"),
        "{listed}"
    );
    let session = stack
        .client
        .get_session(&Stack::session_of(cashier.as_str()))
        .await
        .unwrap();
    let lines: Vec<(String, u32)> = session
        .line_items
        .iter()
        .map(|i| (i.product_id.as_ref().unwrap().to_string(), i.quantity))
        .collect();
    assert_eq!(
        lines,
        [("prod_tshirt".to_owned(), 1), ("prod_mug".to_owned(), 2)]
    );
    let order: OrderId = session.metadata.get("order_id").unwrap().parse().unwrap();
    let order = stack.order(&order).await;
    assert_eq!(order.items.len(), 2);
    assert_eq!(order.items[1].quantity, 2);
    browser.screenshots("cashier-cart").await;
    browser.close().await;
}

#[tokio::test]
async fn a_bad_cart_is_refused_by_the_shop() {
    let stack = Stack::start(StackOptions::default()).await;
    let http = reqwest::Client::new();
    for (body, param) in [
        (json!({"items": []}), "productId"),
        (
            json!({"items": [{"productId": "prod_mug", "quantity": 0}]}),
            "items",
        ),
        (
            json!({"items": [{"productId": "prod_mug", "quantity": 101}]}),
            "items",
        ),
        (
            json!({"productId": "prod_mug", "items": [{"productId": "prod_mug"}]}),
            "productId",
        ),
        (
            json!({"items": vec![json!({"productId": "prod_mug"}); 21]}),
            "items",
        ),
    ] {
        let answer = http
            .post(format!("{}/api/checkout", stack.merchant_url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400, "{body}");
        let error: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(error["error"]["param"], param, "{body}: {error}");
    }
}

#[tokio::test]
async fn the_widget_speaks_the_shoppers_language_with_words_from_the_shop() {
    let stack = Stack::start(StackOptions {
        web: true,
        ..StackOptions::default()
    })
    .await;
    let browser = Browser::start_in("ja").await;
    let attribute = async |css: &str, name: &str| {
        browser
            .client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .attr(name)
            .await
            .unwrap()
    };
    // The browser reads Japanese: the shop's Pay buttons do too.
    browser.client.goto(&stack.merchant_url).await.unwrap();
    let label = browser.text_of("button.tender-pay__button").await;
    assert_eq!(label, "暗号資産で支払う");
    assert_eq!(
        attribute("[data-tender-pay]", "lang").await.as_deref(),
        Some("ja")
    );
    browser.screenshots("storefront-ja").await;
    // ?locale= wins; Arabic is laid out right to left.
    browser
        .client
        .goto(&format!("{}/?locale=ar", stack.merchant_url))
        .await
        .unwrap();
    assert_eq!(
        browser.text_of("button.tender-pay__button").await,
        "ادفع بالعملات المشفرة"
    );
    assert_eq!(
        attribute("[data-tender-pay]", "dir").await.as_deref(),
        Some("rtl")
    );
    browser.screenshots("storefront-ar").await;
    // A merchant's own label is kept, in any language.
    browser
        .client
        .goto(&format!("{}/plain.html", stack.merchant_url))
        .await
        .unwrap();
    assert_eq!(
        browser.text_of("button.tender-pay__button").await,
        "Buy the T-shirt"
    );

    // A whole payment in Japanese: the button, the cashier, the success page.
    browser.client.goto(&stack.merchant_url).await.unwrap();
    // Waited for: the widget draws its button once its bundle has loaded.
    browser
        .client
        .wait()
        .at_most(std::time::Duration::from_secs(30))
        .for_element(Locator::Css("button.tender-pay__button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait_for_url("the cashier", |u| u.path().starts_with("/pay/cs_"))
        .await;
    browser.click_button("Anvil (local) の ETH").await;
    browser.click_button("Tender dev wallet で支払う").await;
    browser.wait_for_text("承認 1 / 2").await;
    stack.anvil.mine(1).await;
    browser
        .wait_for_url("the success page", |u| u.path() == "/success.html")
        .await;
    let status = async || browser.text_of(".tender-status__message").await;
    eventually("the success page in Japanese", WAIT, || async {
        (status().await == "お支払いが完了しました").then_some(())
    })
    .await;
    assert_eq!(
        attribute("[data-tender-status]", "lang").await.as_deref(),
        Some("ja")
    );
    browser.screenshots("success-ja").await;
    browser.close().await;
}
