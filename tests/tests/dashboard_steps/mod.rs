//! The dashboard test's steps, one per page, each leaving the browser
//! signed in on a page of the dashboard.

mod pages;

use std::time::Duration;

use fantoccini::Locator;
use tender_e2e::anvil::DEV_ACCOUNT;
use tender_e2e::stack::TSHIRT;
use tender_e2e::{Browser, Stack, eventually};
use tender_protocol::{CheckoutResponse, SessionId};

pub use pages::{
    another_merchant_sees_nothing, failing_endpoint_fixed_and_resent, invite, keys, links, lockout,
    products, settlement,
};

pub const WAIT: Duration = Duration::from_secs(30);

pub async fn fill(browser: &Browser, id: &str, text: &str) {
    let field = browser
        .client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("no #{id}: {e}"));
    field.clear().await.expect("clear");
    field.send_keys(text).await.expect("type");
}

pub async fn sign_in(browser: &Browser, email: &str, password: &str) {
    browser.text_of("#email").await;
    fill(browser, "email", email).await;
    fill(browser, "password", password).await;
    browser.click_button("Sign in").await;
}

pub async fn click_css(browser: &Browser, css: &str) {
    browser
        .client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
}

/// The status of a call made from the page with its cookie (and, if
/// given, a CSRF token), as a script of the page would make it.
pub async fn status_from_page(
    browser: &Browser,
    method: &str,
    path: &str,
    csrf: Option<&str>,
) -> u64 {
    let script = "const [method, path, csrf, done] = arguments;
        const headers = {'content-type': 'application/json'};
        if (csrf) { headers['x-csrf-token'] = csrf; }
        const body = method === 'GET' ? undefined
            : JSON.stringify({name: 'Forged', price: {amount: '1.00', currency: 'USD'}});
        fetch(path, {method, headers, body}).then(r => done(r.status), () => done(0));";
    browser
        .client
        .execute_async(
            script,
            vec![
                method.into(),
                path.into(),
                csrf.map_or(serde_json::Value::Null, Into::into),
            ],
        )
        .await
        .expect("the page's fetch")
        .as_u64()
        .expect("a status")
}

/// A session of the shop, paid on anvil with its confirmations.
pub struct Paid {
    pub checkout: CheckoutResponse,
    pub session_id: SessionId,
    pub id: String,
    pub tx_hash: String,
}

impl Paid {
    pub async fn make(stack: &Stack) -> Paid {
        let checkout = stack.checkout(TSHIRT).await;
        let session_id = Stack::session_of(&checkout.payment_url);
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
        Paid {
            id: session_id.to_string(),
            session_id,
            checkout,
            tx_hash,
        }
    }
}

/// The first page: today's and this week's volume hold the paid session.
pub async fn overview(browser: &Browser) {
    browser.wait_for_text("Paid today").await;
    let today = browser.text_of("[data-testid='volume-today']").await;
    assert!(today.contains("25.00"), "{today}");
    let week = browser.text_of("[data-testid='volume-week']").await;
    assert!(week.contains("25.00"), "{week}");
    browser
        .wait_for_text("Every webhook endpoint is delivering")
        .await;
    let cookies: String = browser
        .client
        .execute("return document.cookie", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!cookies.contains("tender_dashboard"), "HttpOnly: {cookies}");
    browser.screenshots("dashboard-overview").await;
}

/// The list: live as sessions come, filtered by status, paged, searched.
pub async fn sessions(stack: &Stack, browser: &Browser, paid: &Paid) {
    browser.click_button("Sessions").await;
    browser.wait_for_text("Checkout sessions").await;
    browser.wait_for_text(&paid.id).await;
    let table = browser.text_of("table.sessions").await;
    assert!(table.contains("25.00"), "{table}");

    // A session made now shows up without a reload, and is announced.
    let fresh = Stack::session_of(&stack.checkout(TSHIRT).await.payment_url).to_string();
    browser.wait_for_text(&fresh).await;
    let said = browser.text_of("[data-testid='live']").await;
    assert!(said.contains("session.created"), "{said}");

    // 27 sessions: 25 a page.
    for _ in 0..25 {
        stack.checkout(TSHIRT).await;
    }
    browser.wait_for_text("25 sessions shown, page 1").await;
    browser.screenshots("dashboard-sessions").await;
    browser.click_button("Older").await;
    browser.wait_for_text("2 sessions shown, page 2").await;
    browser.wait_for_text(&paid.id).await;
    browser.click_button("Newer").await;
    browser.wait_for_text("25 sessions shown, page 1").await;

    // Only the paid one, by its status (paid, or completed once settled).
    let status = stack
        .client
        .get_session(&paid.session_id)
        .await
        .unwrap()
        .status;
    browser
        .client
        .find(Locator::Css("select[name='status']"))
        .await
        .unwrap()
        .select_by_value(status.as_str())
        .await
        .unwrap();
    browser.click_button("Filter").await;
    browser.wait_for_text("1 session shown, page 1").await;
    assert!(browser.text_of("table.sessions").await.contains(&paid.id));

    // Found by its id, its order id and the transaction that paid it.
    let order = paid.checkout.order_id.to_string();
    for query in [paid.id.as_str(), order.as_str(), paid.tx_hash.as_str()] {
        fill(browser, "search", query).await;
        browser.click_button("Find").await;
        browser
            .wait_for_text(&format!("1 session for {query}"))
            .await;
    }
    fill(browser, "search", "cs_nosuchsession").await;
    browser.click_button("Find").await;
    browser
        .wait_for_text("No session for cs_nosuchsession")
        .await;
    fill(browser, "search", &paid.id).await;
    browser.click_button("Find").await;
    browser
        .wait_for_text(&format!("1 session for {}", paid.id))
        .await;
}

/// The paid session's page: its timeline to paid with the confirmations,
/// the payment, the webhooks with Resend, and a refund made.
pub async fn session_page(browser: &Browser, paid: &Paid) {
    browser.click_button(&paid.id).await;
    browser.wait_for_text("Timeline").await;
    browser.wait_for_text("session.paid").await;
    let timeline = browser.text_of("ol.timeline").await;
    for step in [
        "created",
        "quoted in ETH",
        "mined in block",
        "confirmation 1 of 2",
        "2 of 2 confirmations",
        "confirmation 2 of 2: the payment counts",
        "session.paid",
    ] {
        assert!(timeline.contains(step), "{step} in {timeline}");
    }
    let payments = browser.text_of("table.payments").await;
    assert!(
        payments.contains(&paid.tx_hash)
            && payments.contains("0.0125 ETH")
            && payments.contains("(confirmed)")
            && payments.contains("1 ETH = 2000"),
        "{payments}"
    );
    browser.wait_for_text("delivered").await;
    let attempts = browser.text_of("ul.attempts").await;
    assert!(attempts.contains("ms"), "{attempts}");
    browser.screenshots("dashboard-session").await;
    browser.click_button("Resend").await;
    browser.wait_for_text("Resent evt_").await;

    fill(browser, "refund-amount", "5.00").await;
    fill(browser, "refund-reason", "One size too small").await;
    click_css(browser, "form.refund button[type='submit']").await;
    let claim = browser.text_of("[data-testid='claim-url']").await;
    assert!(claim.contains("/refund/"), "{claim}");
    browser.wait_for_text("pending").await;
    browser.click_button("All sessions").await;
}

/// A session's page open while it is paid: the payment appears, then its
/// second confirmation and `paid`, without a reload.
pub async fn live_confirmations(stack: &Stack, browser: &Browser) {
    let checkout = stack.checkout(TSHIRT).await;
    let session_id = Stack::session_of(&checkout.payment_url);
    let id = session_id.to_string();
    let quote = stack.quote_eth(&session_id).await;
    browser.click_button("Sessions").await;
    fill(browser, "search", &id).await;
    browser.click_button("Find").await;
    browser.click_button(&id).await;
    browser.wait_for_text("No payment seen on chain yet").await;
    stack
        .anvil
        .send_eth(
            DEV_ACCOUNT,
            quote.deposit_address.as_str(),
            quote.amount_raw.0,
        )
        .await;
    browser.wait_for_text("1 of 2 (confirming)").await;
    stack.anvil.mine(1).await;
    browser.wait_for_text("2 of 2 (confirmed)").await;
    browser.wait_for_text("session.paid").await;
    browser.click_button("All sessions").await;
}
