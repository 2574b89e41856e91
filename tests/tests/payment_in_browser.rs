//! The whole flow in a real Chromium: storefront -> Pay -> cashier -> wallet
//! pays on anvil -> redirect -> "Payment successful" after the webhook.

use std::time::Duration;

use fantoccini::Locator;
use tender_e2e::anvil::DEV_ACCOUNT;
use tender_e2e::{Browser, Stack, StackOptions, eventually};
use tender_protocol::{OrderId, OrderStatus};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn shopper_pays_with_a_browser_wallet_and_sees_payment_successful() {
    let stack = Stack::start(StackOptions {
        block_time: Some(1),
        web: true,
        ..StackOptions::default()
    })
    .await;
    let browser = Browser::start().await;
    let page = &browser.client;

    // The storefront: the widget replaces the no-JS form with its button.
    page.goto(&format!("{}/", stack.merchant_url))
        .await
        .unwrap();
    let pay = page
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(
            "[data-product-id='prod_tshirt'] button.tender-pay__button",
        ))
        .await
        .expect("the Pay button mounts");
    pay.click().await.unwrap();

    // The cashier: the order, then a quote in ETH, then the wallet.
    let cashier = browser
        .wait_for_url("the cashier", |u| u.path().starts_with("/pay/cs_"))
        .await;
    let total = page
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid='total']"))
        .await
        .expect("the order summary shows");
    assert_eq!(total.text().await.unwrap(), "$25.00");
    let body = page
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("Tender T-shirt"), "line item shown: {body}");
    assert!(!body.contains("order_id"), "metadata never shown: {body}");
    page.find(Locator::Css("button.option"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let amount = page
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid='quote-amount']"))
        .await
        .expect("the quote shows");
    assert_eq!(amount.text().await.unwrap(), "0.0125 ETH");
    browser
        .inject_test_wallet(&stack.anvil.rpc_url, DEV_ACCOUNT)
        .await;
    let wallet_button = page
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//button[contains(., 'Pay with E2E test wallet')]",
        ))
        .await
        .expect("the announced wallet is offered");
    wallet_button.click().await.unwrap();

    // Back at the shop once paid; success only after the verified webhook.
    let success = browser
        .wait_for_url("the redirect to the success page", |u| {
            u.path() == "/success.html"
        })
        .await;
    assert_ne!(success, cashier);
    let order_id = success
        .query_pairs()
        .find(|(k, _)| k == "order")
        .map(|(_, v)| OrderId::parse(&v).expect("order id"))
        .expect("success URL names the order");
    let message = page
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(".tender-status[data-state='succeeded']"))
        .await
        .expect("the success page confirms");
    assert!(message.text().await.unwrap().contains("Payment successful"));

    let order = eventually("the order to hold the tx", WAIT, || async {
        let order = stack.order(&order_id).await;
        order.tx_hash.is_some().then_some(order)
    })
    .await;
    assert_eq!(order.status, OrderStatus::Fulfilled);
    let session = stack
        .client
        .get_session(
            &tender_protocol::SessionId::parse(cashier.path().trim_start_matches("/pay/")).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(Some(&session.payments[0].tx_hash), order.tx_hash.as_ref());
    browser.close().await;
}
