//! The hosted cashier in a real Chromium, against a real gateway and anvil:
//! each state a shopper can meet, with screenshots at 1280 and 375 px in
//! `target/screenshots/`.

use std::time::Duration;

use fantoccini::Locator;
use serde_json::json;
use tender_e2e::anvil::DEV_ACCOUNT;
use tender_e2e::stack::{CHAIN_A, TSHIRT};
use tender_e2e::{Browser, PriceFeed, Stack, StackOptions, eventually};
use tender_protocol::SessionId;

const WAIT: Duration = Duration::from_secs(30);

/// A stack whose chain mines only when a transaction arrives or the test
/// says so, so each state can be looked at.
async fn stack(quote_ttl_seconds: Option<u64>) -> Stack {
    Stack::start(StackOptions {
        web: true,
        quote_ttl_seconds,
        ..StackOptions::default()
    })
    .await
}

async fn open_cashier(stack: &Stack, browser: &Browser) -> SessionId {
    let checkout = stack.checkout(TSHIRT).await;
    browser.client.goto(&checkout.payment_url).await.unwrap();
    browser.text_of("[data-testid='total']").await;
    Stack::session_of(&checkout.payment_url)
}

#[tokio::test]
async fn a_shopper_pays_with_an_injected_wallet_and_watches_the_confirmations() {
    let stack = stack(None).await;
    let browser = Browser::start().await;
    let id = open_cashier(&stack, &browser).await;
    let body = browser.text_of("main").await;
    assert!(
        body.contains("Tender Demo Shop")
            && body.contains("Tender T-shirt")
            && body.contains("$25.00"),
        "{body}"
    );
    assert!(!body.contains("ord_"), "no metadata on the page: {body}");
    // Every network and token, each with what it comes to.
    assert!(
        body.contains("ETH on Anvil (local)") && body.contains("0.0125 ETH"),
        "{body}"
    );
    assert!(
        body.contains("TUSD on Anvil 2 (local)") && body.contains("25 TUSD"),
        "{body}"
    );
    browser.screenshots("choose").await;

    browser.click_button("ETH on Anvil (local)").await;
    assert_eq!(
        browser.text_of("[data-testid='quote-amount']").await,
        "0.0125 ETH"
    );
    browser.text_of("svg.qr").await;
    assert!(
        browser
            .text_of("[data-testid='quote-countdown']")
            .await
            .contains("Rate locked for")
    );
    browser.screenshots("quote").await;

    browser
        .inject_test_wallet(&stack.anvil.rpc_url, DEV_ACCOUNT)
        .await;
    browser.click_button("Pay with E2E test wallet").await;
    // Mined at once: one confirmation of two, on the page before anything else.
    browser.wait_for_text("1 of 2 confirmations").await;
    browser.wait_for_text("Payment detected").await;
    browser.screenshots("confirming").await;
    stack.anvil.mine(1).await;
    browser.wait_for_text("Payment received").await;
    assert!(
        browser
            .text_of(".status--paid")
            .await
            .contains("Returning you to the shop in")
    );
    browser.screenshots("received").await;
    browser
        .wait_for_url("the success page", |u| u.path() == "/success.html")
        .await;
    browser
        .text_of(".tender-status[data-state='succeeded']")
        .await;
    browser.screenshots("success").await;
    let session = stack.client.get_session(&id).await.unwrap();
    assert_eq!(session.payments.len(), 1);
    browser.close().await;
}

#[tokio::test]
async fn the_dev_wallet_pays_without_an_extension() {
    let stack = stack(None).await;
    let browser = Browser::start().await;
    let id = open_cashier(&stack, &browser).await;
    browser.click_button("TUSD on Anvil 2 (local)").await;
    assert_eq!(
        browser.text_of("[data-testid='quote-amount']").await,
        "25 TUSD"
    );
    browser.click_button("Pay with Tender dev wallet").await;
    browser.wait_for_text("1 of 2 confirmations").await;
    stack.anvil_b.mine(1).await;
    browser.wait_for_text("Payment received").await;
    let session = stack.client.get_session(&id).await.unwrap();
    assert_eq!(session.payments[0].token, "TUSD");
    browser.close().await;
}

#[tokio::test]
async fn a_lapsed_quote_offers_a_one_click_requote() {
    let stack = stack(Some(2)).await;
    let browser = Browser::start().await;
    open_cashier(&stack, &browser).await;
    browser.click_button("ETH on Anvil (local)").await;
    let first = browser.text_of("[data-testid='deposit-address']").await;
    browser.text_of("[data-testid='quote-lapsed']").await;
    browser.screenshots("quote-lapsed").await;
    browser.click_button("Get a new quote").await;
    let second = eventually("a new deposit address", WAIT, || async {
        let shown = browser
            .client
            .find(Locator::Css("[data-testid='deposit-address']"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        (shown != first).then_some(shown)
    })
    .await;
    assert!(second.starts_with("0x"));
    browser.text_of("[data-testid='quote-countdown']").await;
    browser.close().await;
}

#[tokio::test]
async fn the_rate_says_when_it_was_fetched_and_with_both_feeds_down_the_cashier_says_why() {
    let table = json!({"ETH": {"USD": "2500.00"}, "TUSD": {"USD": "1.00"}});
    let feeds = [
        PriceFeed::start(table.clone()).await,
        PriceFeed::start(table).await,
    ];
    let stack = Stack::start(StackOptions {
        web: true,
        quote_ttl_seconds: Some(3),
        price_feeds: feeds.iter().map(|f| f.url.parse().unwrap()).collect(),
        ..StackOptions::default()
    })
    .await;
    let browser = Browser::start().await;
    open_cashier(&stack, &browser).await;
    browser.click_button("ETH on Anvil (local)").await;
    let rate = browser.text_of("[data-testid='quote-rate']").await;
    assert!(
        rate.starts_with("1 ETH = $2,500.00, price fetched at "),
        "{rate}"
    );
    browser.screenshots("quote-rate-fetched").await;

    for feed in &feeds {
        feed.stop();
    }
    browser.text_of("[data-testid='quote-lapsed']").await;
    browser.click_button("Get a new quote").await;
    browser
        .wait_for_text("prices of ETH in USD are paused: 0 of 2 price sources answered")
        .await;
    browser.screenshots("rates-paused").await;
    browser.close().await;
}

#[tokio::test]
async fn the_cashier_speaks_each_language_and_arabic_right_to_left() {
    let stack = stack(None).await;
    let browser = Browser::start().await;
    let checkout = stack.checkout(TSHIRT).await;
    let catalogue = |language: &str| -> serde_json::Value {
        let path =
            tender_e2e::tools::root().join(format!("crates/cashier/locales/{language}.json"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    for language in ["en", "es", "de", "fr", "pt-BR", "ja", "ar"] {
        let words = catalogue(language);
        browser
            .client
            .goto(&format!("{}?locale={language}", checkout.payment_url))
            .await
            .unwrap();
        let title = words["app.title"].as_str().unwrap();
        eventually(&format!("the cashier in {language}"), WAIT, || async {
            let shown = browser.text_of("h1").await;
            (shown == title).then_some(())
        })
        .await;
        let (lang, dir) = (
            browser
                .client
                .execute("return document.documentElement.lang", vec![])
                .await
                .unwrap(),
            browser
                .client
                .execute("return document.documentElement.dir", vec![])
                .await
                .unwrap(),
        );
        assert_eq!(lang, language);
        assert_eq!(dir, if language == "ar" { "rtl" } else { "ltr" });
        // The total as the browser's Intl writes dollars in this language.
        let intl = browser
            .client
            .execute(
                "return new Intl.NumberFormat(arguments[0], {style: 'currency', currency: 'USD'}).format('25.00')",
                vec![serde_json::json!(language)],
            )
            .await
            .unwrap();
        // WebDriver's text has plain spaces and no direction marks.
        let spaced = |text: &str| {
            text.replace(['\u{a0}', '\u{202f}'], " ")
                .replace(['\u{200e}', '\u{200f}', '\u{61c}'], "")
        };
        let total = spaced(&browser.text_of("[data-testid='total']").await);
        assert_eq!(total, spaced(intl.as_str().unwrap()), "{language}");
        match language {
            "en" => assert_eq!(total, "$25.00"),
            "de" => assert_eq!(total, "25,00 $"),
            "ja" => assert_eq!(total, "$25.00"),
            _ => assert!(total.contains("25"), "{language}: {total}"),
        }
        browser.screenshots(&format!("cashier-{language}")).await;
    }
    // The browser's own languages choose when the page does not.
    browser.client.goto(&checkout.payment_url).await.unwrap();
    assert_eq!(browser.text_of("h1").await, "Checkout");
    // A session the merchant made in German opens in German.
    let german = stack
        .client
        .create_session(&tender_protocol::CreateSession {
            product_id: Some(TSHIRT.parse().unwrap()),
            product_data: None,
            quantity: 1,
            line_items: Vec::new(),
            metadata: Default::default(),
            success_url: format!("{}/", stack.merchant_url),
            cancel_url: None,
            expires_in_seconds: None,
            underpayment_tolerance: None,
            locale: Some("de".into()),
        })
        .await
        .unwrap();
    browser.client.goto(&german.payment_url).await.unwrap();
    eventually("the cashier in German", WAIT, || async {
        (browser.text_of("h1").await == "Bezahlen").then_some(())
    })
    .await;
    // Japanese, to the end of a quote.
    browser
        .client
        .goto(&format!("{}?locale=ja", checkout.payment_url))
        .await
        .unwrap();
    browser.click_button("Anvil (local) の ETH").await;
    browser.wait_for_text("正確にこの金額を送金").await;
    browser.close().await;
}

#[tokio::test]
async fn a_declined_payment_says_so_and_can_be_tried_again() {
    let stack = stack(None).await;
    let browser = Browser::start().await;
    open_cashier(&stack, &browser).await;
    browser.click_button("ETH on Anvil (local)").await;
    browser
        .inject_test_wallet(&stack.anvil.rpc_url, DEV_ACCOUNT)
        .await;
    browser
        .client
        .execute("window.__tenderTestWallet.reject = true;", vec![])
        .await
        .unwrap();
    browser.click_button("Pay with E2E test wallet").await;
    browser
        .wait_for_text("You declined the request in your wallet.")
        .await;
    browser.wait_for_text("You can try again.").await;
    browser.screenshots("declined").await;
    browser
        .client
        .execute("window.__tenderTestWallet.reject = false;", vec![])
        .await
        .unwrap();
    browser.click_button("Pay with E2E test wallet").await;
    browser.wait_for_text("Payment detected").await;
    browser.close().await;
}

#[tokio::test]
async fn an_underpaid_checkout_shows_what_is_left_to_pay() {
    let stack = stack(None).await;
    let browser = Browser::start().await;
    let id = open_cashier(&stack, &browser).await;
    let quote = stack.quote(&id, CHAIN_A, "ETH").await;
    stack.pay(&quote, quote.amount_raw.0 / 2).await;
    stack.anvil.mine(1).await;
    assert_eq!(
        browser.text_of("[data-testid='remaining']").await,
        "$12.50 still to pay."
    );
    browser.wait_for_text("Partly paid").await;
    browser.screenshots("underpaid").await;
    // Still payable: re-quoting asks for the rest.
    browser.click_button("ETH on Anvil (local)").await;
    eventually("a quote for the rest", WAIT, || async {
        let amount = browser
            .client
            .find(Locator::Css("[data-testid='quote-amount']"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        (amount == "0.00625 ETH").then_some(())
    })
    .await;
    browser.close().await;
}

#[tokio::test]
async fn an_expired_checkout_says_so_and_links_back_to_the_shop() {
    let stack = stack(None).await;
    let browser = Browser::start().await;
    let id = open_cashier(&stack, &browser).await;
    stack.client.expire_session(&id).await.unwrap();
    browser.wait_for_text("This checkout has expired").await;
    let link = browser
        .client
        .find(Locator::XPath("//a[contains(., 'Back to the shop')]"))
        .await
        .unwrap();
    assert_eq!(
        link.attr("href").await.unwrap().as_deref(),
        Some(format!("{}/", stack.merchant_url).as_str())
    );
    assert!(
        browser
            .client
            .find(Locator::Css("button.option"))
            .await
            .is_err(),
        "nothing left to pay"
    );
    browser.screenshots("expired").await;
    browser.close().await;
}

#[tokio::test]
async fn a_shopper_claims_a_refund_of_an_overpayment_with_a_connected_wallet() {
    let stack = stack(None).await;
    let id = Stack::session_of(&stack.checkout(TSHIRT).await.payment_url);
    let quote = stack.quote_eth(&id).await;
    stack.pay(&quote, quote.amount_raw.0 * 3 / 2).await;
    stack.anvil.mine(1).await;
    eventually("the session to be paid", WAIT, || async {
        let session = stack.client.get_session(&id).await.unwrap();
        (session.status == tender_protocol::SessionStatus::Paid).then_some(())
    })
    .await;
    let refund = stack
        .client
        .create_refund(
            &id,
            &tender_protocol::CreateRefund {
                source: Some(tender_protocol::RefundSource::Unallocated),
                reason: Some("You paid half again".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let held = refund.token_amount_raw.unwrap().0;

    let browser = Browser::start().await;
    browser
        .client
        .goto(refund.claim_url.as_deref().unwrap())
        .await
        .unwrap();
    let amount = browser.text_of("[data-testid='refund-amount']").await;
    assert_eq!(amount, "0.00625 ETH ($12.50)");
    let body = browser.text_of("main").await;
    assert!(
        body.contains("Tender Demo Shop") && body.contains("You paid half again"),
        "{body}"
    );
    browser.screenshots("refund-claim").await;

    let shopper = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
    let before = tender_e2e::anvil::hex_quantity(
        &stack
            .anvil
            .rpc("eth_getBalance", serde_json::json!([shopper, "latest"]))
            .await,
    );
    browser
        .inject_test_wallet(&stack.anvil.rpc_url, shopper)
        .await;
    browser.click_button("Use my E2E test wallet address").await;
    eventually("the address from the wallet", WAIT, || async {
        let value = browser
            .client
            .find(Locator::Css("#refund-address"))
            .await
            .ok()?
            .prop("value")
            .await
            .ok()??;
        (value.to_lowercase() == shopper).then_some(())
    })
    .await;
    browser.click_button("Claim refund").await;
    browser.wait_for_text("Sending your refund").await;
    browser.screenshots("refund-sending").await;
    eventually("the refund to be paid out", WAIT, || async {
        stack.anvil.mine(1).await;
        let now = stack.client.get_refund(&refund.id).await.unwrap();
        (now.status == tender_protocol::RefundStatus::Completed).then_some(())
    })
    .await;
    browser.wait_for_text("Refund sent").await;
    browser.screenshots("refund-sent").await;
    let after = tender_e2e::anvil::hex_quantity(
        &stack
            .anvil
            .rpc("eth_getBalance", serde_json::json!([shopper, "latest"]))
            .await,
    );
    assert_eq!(after - before, held, "the excess arrived, to the wei");
    browser.close().await;
}
