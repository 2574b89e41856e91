//! The hosted cashier page's HTTP side: security headers, no inline script,
//! the live event stream, and the dev wallet only where it is allowed.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{gateway_with, offline_eth};

const INDEX: &str = r#"<!doctype html><html><head><link rel="stylesheet" href="/cashier/c.css"><script type="module">import init from '/cashier/app.js'; await init({ module_or_path: '/cashier/app_bg.wasm' });</script></head><body></body></html>"#;

/// The refund page's own bundle, in the cashier's `refund/`.
const REFUND_INDEX: &str = r#"<!doctype html><html><head><script type="module">import init from '/cashier/refund/r.js'; await init();</script></head><body></body></html>"#;

fn built_cashier() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), INDEX).unwrap();
    std::fs::create_dir(dir.path().join("refund")).unwrap();
    std::fs::write(dir.path().join("refund/index.html"), REFUND_INDEX).unwrap();
    dir
}

#[tokio::test]
async fn the_page_is_served_under_a_strict_policy_without_inline_script() {
    let cashier = built_cashier();
    let path = cashier.path().to_owned();
    let gw = gateway_with(move |c| c.cashier_dir = Some(path)).await;
    let id = gw.create_session().await["id"].as_str().unwrap().to_owned();
    let page = gw
        .http
        .get(format!("{}/pay/{id}", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("import init"),
        "no inline script left: {html}"
    );
    assert!(html.contains(r#"<script type="module" src="/cashier/boot.js"></script>"#));
    let boot = gw
        .http
        .get(format!("{}/cashier/boot.js", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(boot.headers()["content-type"], "text/javascript");
    assert!(
        boot.text()
            .await
            .unwrap()
            .contains("import init from '/cashier/app.js'")
    );
    let unknown = gw
        .http
        .get(format!("{}/pay/not-a-session", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_refund_page_is_its_own_bundle_under_the_same_policy() {
    let cashier = built_cashier();
    let path = cashier.path().to_owned();
    let gw = gateway_with(move |c| c.cashier_dir = Some(path)).await;
    let get = |path: String| {
        let http = gw.http.clone();
        let url = format!("{}{path}", gw.url);
        async move { http.get(url).send().await.unwrap() }
    };
    let page = get("/refund/abc123".into()).await;
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self' 'wasm-unsafe-eval'")
    );
    let html = page.text().await.unwrap();
    assert!(
        html.contains(r#"<script type="module" src="/cashier/refund/boot.js"></script>"#),
        "{html}"
    );
    assert!(
        !html.contains("/cashier/app.js"),
        "not the pay page: {html}"
    );
    let boot = get("/cashier/refund/boot.js".into())
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        boot,
        "import init from '/cashier/refund/r.js'; await init();"
    );
    // The pay page's boot is still its own.
    let pay_boot = get("/cashier/boot.js".into()).await.text().await.unwrap();
    assert!(pay_boot.contains("/cashier/app.js"), "{pay_boot}");
    assert_eq!(
        get("/refund/not-a-token!".into()).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_event_stream_sends_the_session_and_its_changes() {
    let gw = gateway_with(offline_eth).await;
    let id = gw.create_session().await["id"].as_str().unwrap().to_owned();
    let response = gw
        .http
        .get(format!("{}/v1/pay/{id}/events", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut response = response;
    let mut seen = String::new();
    let mut next = async || {
        let chunk = tokio::time::timeout(Duration::from_secs(10), response.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        String::from_utf8_lossy(&chunk).into_owned()
    };
    seen.push_str(&next().await);
    assert!(seen.contains("event: session"), "{seen}");
    assert!(seen.contains(r#""status":"open""#), "{seen}");
    assert!(!seen.contains("ord_secret_42"), "no metadata in the stream");
    // A quote changes what the shopper sees: a new event follows.
    gw.send(
        gw.http
            .post(format!("{}/v1/pay/{id}/quote", gw.url))
            .json(&serde_json::json!({"network": "local", "token": "ETH"})),
    )
    .await;
    let mut more = String::new();
    while !more.contains("depositAddress") {
        more.push_str(&next().await);
    }
    // Expiring ends the stream after its last event.
    gw.post(
        &format!("/v1/checkout/sessions/{id}/expire"),
        serde_json::json!({}),
    )
    .await;
    while !more.contains(r#""status":"expired""#) {
        more.push_str(&next().await);
    }
    let gone = gw
        .http
        .get(format!("{}/v1/pay/cs_nope/events", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
}

#[tokio::test]
async fn the_dev_wallet_is_offered_only_by_a_dev_gateway_on_local_chains() {
    // Dev mode, every network on this machine: offered.
    let dev = gateway_with(offline_eth).await;
    let id = dev.create_session().await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let public = dev
        .send(dev.http.get(format!("{}/v1/pay/{id}", dev.url)))
        .await;
    assert_eq!(
        public.body["devWallet"]["accounts"][0],
        "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
    );
    let script = dev
        .http
        .get(format!("{}/dev-wallet.js", dev.url))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert!(script.text().await.unwrap().contains("Tender dev wallet"));

    // Dev mode, but a network elsewhere: never.
    let remote = gateway_with(|c| {
        offline_eth(c);
        c.networks[0].rpc_url = "https://rpc.example.com/".parse().unwrap();
    })
    .await;
    let id = remote.create_session().await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let public = remote
        .send(remote.http.get(format!("{}/v1/pay/{id}", remote.url)))
        .await;
    assert!(public.body.get("devWallet").is_none(), "{}", public.body);
    let script = remote
        .http
        .get(format!("{}/dev-wallet.js", remote.url))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 404);

    // Not in dev mode: never.
    let production = gateway_with(|c| {
        offline_eth(c);
        c.dev = false;
        c.mnemonic = tender_protocol::Secret::new(
            "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about".into(),
        );
        c.security.secret_key = tender_protocol::Secret::new("11".repeat(32));
    })
    .await;
    let id = production.create_session().await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let public = production
        .send(
            production
                .http
                .get(format!("{}/v1/pay/{id}", production.url)),
        )
        .await;
    assert!(public.body.get("devWallet").is_none());
    assert_eq!(
        production
            .http
            .get(format!("{}/dev-wallet.js", production.url))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn a_session_in_a_language_marks_its_page_and_an_unknown_one_is_refused() {
    let cashier = built_cashier();
    let path = cashier.path().to_owned();
    let gw = gateway_with(move |c| c.cashier_dir = Some(path)).await;
    let made = gw
        .post(
            "/v1/checkout/sessions",
            common::patched(common::session_body(), serde_json::json!({"locale": "ja"})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert_eq!(made.body["locale"], "ja");
    let page = |id: String| {
        let gw = &gw;
        async move {
            gw.http
                .get(format!("{}/pay/{id}", gw.url))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let html = page(made.body["id"].as_str().unwrap().to_owned()).await;
    assert!(
        html.starts_with(r#"<!doctype html><html data-locale="ja">"#),
        "{html}"
    );
    // Without one, the page is the same for every session.
    let plain = gw.create_session().await;
    assert!(plain.get("locale").is_none(), "{plain}");
    let html = page(plain["id"].as_str().unwrap().to_owned()).await;
    assert!(!html.contains("data-locale"), "{html}");

    for bad in ["xx", "ja\"><script>", "EN"] {
        let refused = gw
            .post(
                "/v1/checkout/sessions",
                common::patched(common::session_body(), serde_json::json!({"locale": bad})),
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(refused.body["error"]["param"], "locale");
    }
}
