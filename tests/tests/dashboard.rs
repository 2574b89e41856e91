//! The merchant dashboard in a real Chromium, against a real gateway and
//! anvil: sign in (a wrong password said, then locked out after the
//! limit), the merchant's sessions listed, a paid one found by its id, its
//! order id and its transaction hash, its page (timeline, payment, webhooks
//! and Resend), an API key created (its secret shown once) and revoked,
//! sign-out; the sign-in cookie out of the page's reach. Screenshots at 1280 and 375 px
//! in `target/screenshots/`.

use std::time::Duration;

use fantoccini::Locator;
use tender_e2e::anvil::DEV_ACCOUNT;
use tender_e2e::stack::TSHIRT;
use tender_e2e::{Browser, Stack, StackOptions, eventually};
use tender_protocol::{DeliveryStatus, EventListParams, EventType};

const WAIT: Duration = Duration::from_secs(30);

async fn fill(browser: &Browser, id: &str, text: &str) {
    let field = browser
        .client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("no #{id}: {e}"));
    field.clear().await.expect("clear");
    field.send_keys(text).await.expect("type");
}

async fn sign_in(browser: &Browser, email: &str, password: &str) {
    browser.text_of("#email").await;
    fill(browser, "email", email).await;
    fill(browser, "password", password).await;
    browser.click_button("Sign in").await;
}

#[tokio::test]
async fn a_merchant_signs_in_finds_a_session_and_signs_out() {
    let stack = Stack::start(StackOptions {
        web: true,
        ..StackOptions::default()
    })
    .await;
    let checkout = stack.checkout(TSHIRT).await;
    let session_id = Stack::session_of(&checkout.payment_url);
    let id = session_id.to_string();
    // Paid, with its two confirmations.
    let quote = stack.quote_eth(&session_id).await;
    let tx_hash = stack
        .anvil
        .send_eth(
            DEV_ACCOUNT,
            quote.deposit_address.as_str(),
            quote.amount_raw.0,
        )
        .await;
    stack.anvil.mine(1).await;
    eventually("the order to be paid", WAIT, || async {
        stack
            .order(&checkout.order_id)
            .await
            .status
            .is_paid()
            .then_some(())
    })
    .await;
    let browser = Browser::start().await;
    let dashboard = format!("{}/dashboard", stack.gateway_url);
    browser.client.goto(&dashboard).await.unwrap();
    browser.wait_for_text("Sign in to Tender").await;
    browser.screenshots("dashboard-sign-in").await;

    sign_in(&browser, &stack.dashboard_email, "not the password").await;
    browser.wait_for_text("Wrong email or password").await;

    sign_in(&browser, &stack.dashboard_email, &stack.dashboard_password).await;
    browser.wait_for_text("Checkout sessions").await;
    browser.wait_for_text(&id).await;
    let table = browser.text_of("table.sessions").await;
    assert!(
        table.contains("25.00 USD") && (table.contains("paid") || table.contains("completed")),
        "{table}"
    );
    let cookies: String = browser
        .client
        .execute("return document.cookie", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!cookies.contains("tender_dashboard"), "HttpOnly: {cookies}");
    browser.screenshots("dashboard-sessions").await;

    // Found by its id; an id of nobody's is said so.
    fill(&browser, "search", &id).await;
    browser.click_button("Find").await;
    browser.wait_for_text(&format!("1 session for {id}")).await;

    // Found by the transaction that paid it, and by its order id.
    fill(&browser, "search", &checkout.order_id.to_string()).await;
    browser.click_button("Find").await;
    browser
        .wait_for_text(&format!("1 session for {}", checkout.order_id))
        .await;
    fill(&browser, "search", &tx_hash).await;
    browser.click_button("Find").await;
    browser
        .wait_for_text(&format!("1 session for {tx_hash}"))
        .await;

    // Its page: the timeline to paid, the payment with its confirmations,
    // the webhooks delivered to the merchant's server, one sent again with
    // Resend.
    browser.click_button(&id).await;
    browser.wait_for_text("Timeline").await;
    browser.wait_for_text("session.paid").await;
    let payments = browser.text_of("table.payments").await;
    assert!(
        payments.contains(&tx_hash)
            && payments.contains("0.0125 ETH")
            && payments.contains("(confirmed)"),
        "{payments}"
    );
    browser.wait_for_text("delivered").await;
    let attempts = browser.text_of("ul.attempts").await;
    assert!(attempts.contains("ms"), "{attempts}");
    browser.screenshots("dashboard-session").await;
    browser.click_button("Resend").await;
    browser.wait_for_text("Resent evt_").await;
    let created = stack
        .client
        .list_events(&EventListParams {
            session_id: Some(id.clone()),
            ..EventListParams::default()
        })
        .await
        .unwrap()
        .data
        .into_iter()
        .find(|e| e.kind == EventType::SessionCreated)
        .expect("the session's created event");
    eventually("the resent webhook's second attempt", WAIT, || async {
        let details = stack.client.get_event(created.id.as_str()).await.ok()?;
        details
            .deliveries
            .iter()
            .any(|d| d.attempts.len() >= 2 && d.status == DeliveryStatus::Succeeded)
            .then_some(())
    })
    .await;
    browser.click_button("All sessions").await;

    fill(&browser, "search", "cs_nosuchsession").await;
    browser.click_button("Find").await;
    browser
        .wait_for_text("No session for cs_nosuchsession")
        .await;

    // An API key that may only read sessions: its secret shown once, good
    // for that and nothing else, then revoked.
    browser.click_button("API keys").await;
    browser.wait_for_text("A new key may").await;
    browser
        .client
        .find(Locator::Id("scope-sessions-read"))
        .await
        .expect("the sessions:read box")
        .click()
        .await
        .unwrap();
    browser.click_button("Create key").await;
    let secret = browser.text_of("[data-testid='new-secret']").await;
    assert!(secret.starts_with("sk_test_"), "{secret}");
    let redacted = format!("sk_test_…{}", &secret[secret.len() - 4..]);
    browser
        .wait_for_text(&format!("Key {redacted} created"))
        .await;
    browser.screenshots("dashboard-keys").await;
    let http = reqwest::Client::new();
    let sessions = format!("{}/v1/checkout/sessions", stack.gateway_url);
    let read = |key: String| {
        let request = http.get(&sessions).bearer_auth(key);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(read(secret.clone()).await, 200);
    let write = http
        .post(&sessions)
        .bearer_auth(&secret)
        .json(&serde_json::json!({"productId": TSHIRT, "successUrl": "https://shop.test/ok"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        write.status().as_u16(),
        403,
        "a read-only key cannot create"
    );
    browser
        .client
        .find(Locator::Css(&format!(
            "button[aria-label='Revoke {redacted}']"
        )))
        .await
        .expect("the new key's Revoke button")
        .click()
        .await
        .unwrap();
    browser
        .wait_for_text(&format!("Key {redacted} revoked"))
        .await;
    assert_eq!(read(secret).await, 401, "a revoked key opens nothing");
    browser.click_button("Sessions").await;
    browser.wait_for_text("Checkout sessions").await;

    // Signed out, a reload shows the sign-in form again.
    browser.click_button("Sign out").await;
    browser.wait_for_text("Sign in to Tender").await;
    browser.client.goto(&dashboard).await.unwrap();
    browser.wait_for_text("Sign in to Tender").await;

    // The fifth wrong password in a row locks the account, even for the
    // right one. (One was wrong above; the sign-in between reset the count.)
    for _ in 0..4 {
        sign_in(&browser, &stack.dashboard_email, "still not the password").await;
        browser.wait_for_text("Wrong email or password").await;
        // A fresh page, so the next answer is not the last one's alert.
        browser.client.goto(&dashboard).await.unwrap();
    }
    sign_in(&browser, &stack.dashboard_email, "still not the password").await;
    browser.wait_for_text("it is locked; try again in").await;
    browser.client.goto(&dashboard).await.unwrap();
    sign_in(&browser, &stack.dashboard_email, &stack.dashboard_password).await;
    browser.wait_for_text("it is locked; try again in").await;
    browser.screenshots("dashboard-locked").await;
    browser.close().await;
}
