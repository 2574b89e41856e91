//! The dashboard test's steps on the pages after the sessions: webhooks,
//! products, payment links, settlement, API keys, team; then another merchant's view and
//! the lockout.

use fantoccini::Locator;
use tender_e2e::stack::TSHIRT;
use tender_e2e::{Browser, Receiver, Stack, Switch, eventually};
use tender_gateway::merchants::accounts;
use tender_protocol::{DeliveryStatus, EventListParams, EventType, WebhookSecret};

use super::{Paid, WAIT, click_css, fill, sign_in, status_from_page};

/// An endpoint added in the page whose server is down: its delivery fails
/// after the last retry and the overview says so; once the server is back,
/// Resend on the session's page delivers it, signed with the secret the
/// page showed once. Test, rotate, disable and enable from its row.
pub async fn failing_endpoint_fixed_and_resent(stack: &Stack, browser: &Browser) {
    let receiver = Receiver::start().await;
    let server = Switch::start(receiver.url.clone()).await; // down
    browser.click_button("Webhooks").await;
    browser.wait_for_text("Webhook endpoints").await;
    fill(browser, "endpoint-url", &server.url).await;
    click_css(browser, "#event-session-created").await;
    browser.click_button("Add endpoint").await;
    let secret = browser.text_of("[data-testid='endpoint-secret']").await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    let endpoint = stack
        .client
        .list_webhook_endpoints(&Default::default())
        .await
        .unwrap()
        .data
        .into_iter()
        .find(|e| e.url == server.url)
        .expect("the endpoint added in the page");

    let session = Stack::session_of(&stack.checkout(TSHIRT).await.payment_url).to_string();
    let created = eventually("the new session's event", WAIT, || async {
        stack
            .client
            .list_events(&EventListParams {
                session_id: Some(session.clone()),
                ..EventListParams::default()
            })
            .await
            .ok()?
            .data
            .into_iter()
            .find(|e| e.kind == EventType::SessionCreated)
    })
    .await;
    let delivery_to_it = |status: DeliveryStatus| {
        let id = created.id.to_string();
        let endpoint = endpoint.id.clone();
        async move {
            let details = stack.client.get_event(&id).await.ok()?;
            details
                .deliveries
                .iter()
                .any(|d| d.endpoint_id == endpoint && d.status == status)
                .then_some(())
        }
    };
    eventually("the delivery to fail for good", WAIT, || {
        delivery_to_it(DeliveryStatus::Failed)
    })
    .await;
    // Delivery outcomes are no events: the pages show them when opened.
    browser.click_button("Overview").await;
    browser.wait_for_text("its latest delivery failed").await;
    browser.screenshots("dashboard-overview-failing").await;
    browser.click_button("Open webhooks").await;
    browser.wait_for_text("1 failed").await;
    browser.screenshots("dashboard-webhooks").await;

    // Fixed; the event sent again from the session's page.
    server.set_up(true);
    browser.click_button("Sessions").await;
    fill(browser, "search", &session).await;
    browser.click_button("Find").await;
    browser.click_button(&session).await;
    browser.wait_for_text("failed").await;
    browser.click_button("Resend").await;
    eventually("the resent delivery", WAIT, || {
        delivery_to_it(DeliveryStatus::Succeeded)
    })
    .await;
    let got = receiver.deliveries();
    let last = got.last().expect("a delivery reached the server");
    WebhookSecret::parse(&secret)
        .unwrap()
        .verify(&last.headers, &last.body)
        .expect("signed with the secret the page showed");
    assert!(String::from_utf8_lossy(&last.body).contains(&session));
    browser.click_button("All sessions").await;

    // From its row: a test event, a new secret (shown once), off and on.
    browser.click_button("Webhooks").await;
    browser.wait_for_text("100% delivered").await;
    let row = |action: &str| format!("button[aria-label='{action} {}']", server.url);
    click_css(browser, &row("Send test event")).await;
    browser.wait_for_text("Test event evt_").await;
    click_css(browser, &row("Rotate secret")).await;
    browser.wait_for_text("Rotate secret: done").await;
    let rotated = browser.text_of("[data-testid='endpoint-secret']").await;
    assert!(rotated.starts_with("whsec_") && rotated != secret);
    click_css(browser, &row("Disable")).await;
    browser.wait_for_text("Disable: done").await;
    click_css(browser, &row("Enable")).await;
    browser.wait_for_text("Enable: done").await;
}

/// A product created in the page, then archived; a change made with the
/// cookie but without the CSRF token is refused.
pub async fn products(browser: &Browser) {
    browser.click_button("Products").await;
    browser.wait_for_text("Create product").await;
    let forged = status_from_page(browser, "POST", "/dashboard/api/v1/products", None).await;
    assert_eq!(forged, 403, "no CSRF token, no change");
    let wrong =
        status_from_page(browser, "POST", "/dashboard/api/v1/products", Some("guess")).await;
    assert_eq!(wrong, 403, "a wrong CSRF token, no change");
    fill(browser, "product-price", "12.5.0").await;
    fill(browser, "product-name", "Sticker pack").await;
    browser.click_button("Create product").await;
    browser
        .wait_for_text("The price must be an amount like 12.50")
        .await;
    fill(browser, "product-price", "12.50").await;
    browser.click_button("Create product").await;
    browser.wait_for_text("Product Sticker pack created").await;
    let table = browser.text_of("table.products").await;
    assert!(
        table.contains("Sticker pack") && table.contains("12.50"),
        "{table}"
    );
    browser.screenshots("dashboard-products").await;
    click_css(browser, "button[aria-label='Archive Sticker pack']").await;
    browser.wait_for_text("Product Sticker pack archived").await;
    eventually("the product to leave the list", WAIT, || async {
        let table = browser.text_of("table.products").await;
        (!table.contains("Sticker pack")).then_some(())
    })
    .await;
}

/// Payouts sent elsewhere, from the page.
pub async fn settlement(stack: &Stack, browser: &Browser) {
    browser.click_button("Settlement").await;
    browser.wait_for_text("Settlement destination").await;
    let address = "0x1111111111111111111111111111111111111111";
    fill(browser, "address", "0x1234").await;
    browser.click_button("Save destination").await;
    browser.wait_for_text("0x followed by 40 hex digits").await;
    fill(browser, "address", address).await;
    browser.click_button("Save destination").await;
    browser.wait_for_text("Payouts now go to").await;
    let saved = stack.client.get_settlement_destination().await.unwrap();
    assert_eq!(saved.address.as_str(), address);
    browser.screenshots("dashboard-settlement").await;
}

/// A key that may only read sessions: its secret shown once, good for
/// that and nothing else, then revoked.
pub async fn keys(stack: &Stack, browser: &Browser) {
    browser.click_button("API keys").await;
    browser.wait_for_text("A new key may").await;
    click_css(browser, "#scope-sessions-read").await;
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
    click_css(browser, &format!("button[aria-label='Revoke {redacted}']")).await;
    browser
        .wait_for_text(&format!("Key {redacted} revoked"))
        .await;
    assert_eq!(read(secret).await, 401, "a revoked key opens nothing");
}

/// An invitation made in the page; its one-time link.
pub async fn invite(browser: &Browser) -> String {
    browser.click_button("Team").await;
    browser.wait_for_text("Invite someone").await;
    fill(browser, "invite-email", "Clerk@Shop.example").await;
    browser.click_button("Make invitation link").await;
    let url = browser.text_of("[data-testid='invite-url']").await;
    assert!(url.contains("/dashboard/#invite="), "{url}");
    browser.screenshots("dashboard-team").await;
    url
}

/// Another merchant's user finds nothing of the first one's through the
/// pages: no sessions (not by id, nor by transaction), no endpoints, no
/// products, no volume.
pub async fn another_merchant_sees_nothing(stack: &Stack, browser: &Browser, paid: &Paid) {
    let other = accounts::create(&stack.gateway.db, "Other shop", Some("owner@other.example"))
        .await
        .unwrap();
    browser
        .client
        .goto(&format!("{}/dashboard", stack.gateway_url))
        .await
        .unwrap();
    sign_in(browser, &other.dashboard_email, &other.dashboard_password).await;
    browser.wait_for_text("Paid today").await;
    let today = browser.text_of("[data-testid='volume-today']").await;
    assert_eq!(today, "none yet");
    browser.click_button("Sessions").await;
    browser.wait_for_text("No checkout sessions here").await;
    for query in [paid.id.as_str(), paid.tx_hash.as_str()] {
        fill(browser, "search", query).await;
        browser.click_button("Find").await;
        browser
            .wait_for_text(&format!("No session for {query}"))
            .await;
    }
    browser.click_button("Webhooks").await;
    browser.wait_for_text("No webhook endpoints").await;
    browser.click_button("Products").await;
    browser.wait_for_text("No products yet").await;
    // Nor through the API the pages use.
    for path in [
        format!("/dashboard/api/v1/checkout/sessions/{}", paid.id),
        format!("/dashboard/api/v1/events?sessionId={}", paid.id),
    ] {
        let status = status_from_page(browser, "GET", &path, None).await;
        let listed_nothing = status == 200 && path.contains("events?");
        assert!(status == 404 || listed_nothing, "{path}: {status}");
    }
    let events = browser
        .client
        .execute_async(
            "const [path, done] = arguments;
             fetch(path).then(r => r.json()).then(b => done(b.data.length), () => done(-1));",
            vec![format!("/dashboard/api/v1/events?sessionId={}", paid.id).into()],
        )
        .await
        .unwrap();
    assert_eq!(events, 0, "none of the first merchant's events");
    let page = browser.text_of("body").await;
    assert!(
        !page.contains("T-shirt") && !page.contains(&paid.id),
        "{page}"
    );
    browser.click_button("Sign out").await;
    browser.wait_for_text("Sign in to Tender").await;
}

/// The fifth wrong password in a row locks the account, even for the
/// right one.
pub async fn lockout(stack: &Stack, browser: &Browser) {
    let dashboard = format!("{}/dashboard", stack.gateway_url);
    for _ in 0..4 {
        sign_in(browser, &stack.dashboard_email, "still not the password").await;
        browser.wait_for_text("Wrong email or password").await;
        // A fresh page, so the next answer is not the last one's alert.
        browser.client.goto(&dashboard).await.unwrap();
    }
    sign_in(browser, &stack.dashboard_email, "still not the password").await;
    browser.wait_for_text("it is locked; try again in").await;
    browser.client.goto(&dashboard).await.unwrap();
    sign_in(browser, &stack.dashboard_email, &stack.dashboard_password).await;
    browser.wait_for_text("it is locked; try again in").await;
    browser.screenshots("dashboard-locked").await;
}

/// A payment link made in the page for a product: its URL makes a session
/// and sends the visitor to the cashier; turned off in its row, it says so.
pub async fn links(stack: &Stack, browser: &Browser) {
    browser.click_button("Payment links").await;
    browser.wait_for_text("Make payment link").await;
    // No product chosen: said, nothing made.
    fill(browser, "link-success", &format!("{}/", stack.merchant_url)).await;
    browser.click_button("Make payment link").await;
    browser.wait_for_text("Choose a product to sell.").await;
    browser
        .client
        .find(Locator::Css("#link-product"))
        .await
        .unwrap()
        .select_by_value(TSHIRT)
        .await
        .unwrap();
    browser.click_button("Make payment link").await;
    browser.wait_for_text("Payment link made: ").await;
    let said = browser.text_of("[data-testid='links-status']").await;
    let url = said.strip_prefix("Payment link made: ").unwrap().to_owned();
    let id = url.rsplit('/').next().unwrap().to_owned();
    assert!(browser.text_of("table.links").await.contains(&url));
    browser.screenshots("dashboard-links").await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let visit = http.get(&url).send().await.unwrap();
    assert_eq!(visit.status(), 303);
    assert!(
        visit.headers()["location"]
            .to_str()
            .unwrap()
            .contains("/pay/cs_")
    );
    click_css(browser, &format!("button[aria-label='Deactivate {id}']")).await;
    browser
        .wait_for_text(&format!("Payment link {id} is off"))
        .await;
    assert_eq!(http.get(&url).send().await.unwrap().status(), 410);
}
