//! The merchant dashboard in a real Chromium, against a real gateway and
//! anvil, page by page: sign in (a wrong password said, then locked out
//! after the limit); the overview's figures; the sessions list kept live,
//! filtered and paged, a paid one found by its id, order id and transaction
//! hash; its page (timeline with its confirmations, payment, webhooks,
//! Resend, Refund); another's page following its payment block by block; a failing webhook endpoint's event resent once it is
//! fixed; products created and archived; a payment link made, visited
//! and turned off; the settlement destination
//! changed; an API key created and revoked; a teammate invited by a
//! one-time link; a second merchant's user seeing none of it; sign-out.
//! Screenshots of every page at 1280 and 375 px in `target/screenshots/`.

mod dashboard_steps;

use dashboard_steps::{Paid, fill, sign_in};
use tender_e2e::{Browser, Stack, StackOptions};

#[tokio::test]
async fn a_merchant_works_through_every_page_of_the_dashboard() {
    let stack = Stack::start(StackOptions {
        web: true,
        ..StackOptions::default()
    })
    .await;
    let paid = Paid::make(&stack).await;
    let browser = Browser::start().await;
    let dashboard = format!("{}/dashboard", stack.gateway_url);
    browser.client.goto(&dashboard).await.unwrap();
    browser.wait_for_text("Sign in to Tender").await;
    browser.screenshots("dashboard-sign-in").await;
    sign_in(&browser, &stack.dashboard_email, "not the password").await;
    browser.wait_for_text("Wrong email or password").await;
    sign_in(&browser, &stack.dashboard_email, &stack.dashboard_password).await;

    dashboard_steps::overview(&browser).await;
    dashboard_steps::sessions(&stack, &browser, &paid).await;
    dashboard_steps::session_page(&browser, &paid).await;
    dashboard_steps::live_confirmations(&stack, &browser).await;
    dashboard_steps::failing_endpoint_fixed_and_resent(&stack, &browser).await;
    dashboard_steps::products(&browser).await;
    dashboard_steps::links(&stack, &browser).await;
    dashboard_steps::settlement(&stack, &browser).await;
    dashboard_steps::keys(&stack, &browser).await;
    let invitation = dashboard_steps::invite(&browser).await;

    // The invitation, opened signed out: a password chosen, signed in as
    // the new teammate, of the same merchant.
    browser.click_button("Sign out").await;
    browser.wait_for_text("Sign in to Tender").await;
    browser.client.goto(&invitation).await.unwrap();
    browser.wait_for_text("Join a Tender dashboard").await;
    browser.wait_for_text("clerk@shop.example").await;
    browser.screenshots("dashboard-invitation").await;
    fill(&browser, "new-password", "the clerk's own password").await;
    browser.click_button("Join and sign in").await;
    browser.wait_for_text("Paid today").await;
    assert_eq!(browser.text_of(".who").await, "clerk@shop.example");
    browser.click_button("Sessions").await;
    fill(&browser, "search", &paid.id).await;
    browser.click_button("Find").await;
    browser
        .wait_for_text(&format!("1 session for {}", paid.id))
        .await;
    browser.click_button("Sign out").await;
    browser.wait_for_text("Sign in to Tender").await;
    // The link works once.
    browser.client.goto(&invitation).await.unwrap();
    browser
        .wait_for_text("This invitation link has been used")
        .await;

    dashboard_steps::another_merchant_sees_nothing(&stack, &browser, &paid).await;
    dashboard_steps::lockout(&stack, &browser).await;
    browser.close().await;
}
