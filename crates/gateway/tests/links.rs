//! Payment links over real HTTP: each visit of the public URL makes a fresh
//! session (its webhooks signed and carrying the link), a deactivated link
//! says so, and every bad link is refused with nothing created.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{Gateway, Receiver, gateway_with, offline_eth, until};
use serde_json::{Value, json};
use tender_protocol::WebhookSecret;

async fn count(gw: &Gateway, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(&gw.state.db)
        .await
        .unwrap()
}

/// A client that shows redirects instead of following them.
fn visitor() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn mug(gw: &Gateway) {
    let made = gw
        .post(
            "/v1/products",
            json!({"id": "prod_mug", "name": "Mug", "price": {"amount": "12.00", "currency": "USD"}}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
}

#[tokio::test]
async fn each_visit_makes_a_session_whose_webhook_carries_the_link() {
    let gw = gateway_with(offline_eth).await;
    mug(&gw).await;
    let receiver = Receiver::start(|_| StatusCode::OK).await;
    let (_, secret) = gw.endpoint(&receiver.url, &["session.created"]).await;
    let link = gw
        .post(
            "/v1/payment-links",
            json!({"productId": "prod_mug", "adjustableQuantity": true, "maxQuantity": 5,
                   "metadata": {"campaign": "chat"}, "successUrl": "https://shop.test/thanks"}),
        )
        .await;
    assert_eq!(link.status, StatusCode::CREATED, "{}", link.body);
    let id = link.body["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("plink_"));
    let url = link.body["url"].as_str().unwrap().to_owned();
    assert_eq!(url, format!("{}/l/{id}", gw.url));
    assert_eq!(
        link.body["amount"],
        json!({"amount": "12.00", "currency": "USD"})
    );

    let http = visitor();
    let mut sessions = Vec::new();
    for query in ["", "?quantity=3"] {
        let answer = http.get(format!("{url}{query}")).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        let cashier = answer.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            cashier.starts_with(&format!("{}/pay/cs_", gw.url)),
            "{cashier}"
        );
        sessions.push(cashier.rsplit('/').next().unwrap().to_owned());
    }
    assert_ne!(sessions[0], sessions[1], "a fresh session per visit");
    let second = gw
        .get(&format!("/v1/checkout/sessions/{}", sessions[1]))
        .await
        .body;
    assert_eq!(second["paymentLink"], id.as_str());
    assert_eq!(second["metadata"]["campaign"], "chat");
    assert_eq!(second["lineItems"][0]["quantity"], 3);
    assert_eq!(second["amountDue"]["amount"], "36.00");

    // Too many, or a quantity the link does not let the visitor choose.
    let refused = http.get(format!("{url}?quantity=6")).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.unwrap().contains("1 to 5"));

    until(
        "both session.created webhooks",
        Duration::from_secs(10),
        async || receiver.count() >= 2,
    )
    .await;
    let secret = WebhookSecret::parse(&secret).unwrap();
    for delivery in receiver.received() {
        secret.verify(&delivery.headers, &delivery.body).unwrap();
        let event: Value = serde_json::from_slice(&delivery.body).unwrap();
        assert_eq!(
            event["data"]["session"]["paymentLink"],
            id.as_str(),
            "{event}"
        );
    }
    assert_eq!(count(&gw, "sessions").await, 2);
}

#[tokio::test]
async fn a_deactivated_link_says_so_and_an_archived_product_stops_it() {
    let gw = gateway_with(offline_eth).await;
    mug(&gw).await;
    let link = gw
        .post(
            "/v1/payment-links",
            json!({"productId": "prod_mug", "successUrl": "https://shop.test/thanks"}),
        )
        .await;
    let id = link.body["id"].as_str().unwrap().to_owned();
    let url = link.body["url"].as_str().unwrap().to_owned();
    let http = visitor();

    let off = gw
        .post(&format!("/v1/payment-links/{id}/deactivate"), json!({}))
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    assert_eq!(off.body["active"], false);
    let gone = http.get(&url).send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::GONE);
    assert!(gone.text().await.unwrap().contains("no longer active"));
    // A quantity on a link that does not take one.
    let on = gw
        .post(&format!("/v1/payment-links/{id}/activate"), json!({}))
        .await;
    assert_eq!(on.body["active"], true);
    let fixed = http.get(format!("{url}?quantity=2")).send().await.unwrap();
    assert_eq!(fixed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        http.get(&url).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );

    gw.post("/v1/products/prod_mug/archive", json!({})).await;
    let stopped = http.get(&url).send().await.unwrap();
    assert_eq!(stopped.status(), StatusCode::CONFLICT);
    assert!(stopped.text().await.unwrap().contains("archived"));
    let unknown = http
        .get(format!("{}/l/plink_nothing", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(count(&gw, "sessions").await, 1, "only the one good visit");

    // Another merchant cannot see or change it.
    let other = gw.another_merchant("Other").await;
    let theirs = gw
        .send(
            gw.http
                .get(format!("{}/v1/payment-links/{id}", gw.url))
                .bearer_auth(&other),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let change = gw
        .post_as(
            &other,
            &format!("/v1/payment-links/{id}/deactivate"),
            json!({}),
        )
        .await;
    assert_eq!(change.status, StatusCode::NOT_FOUND);
    let listed = gw.get("/v1/payment-links").await;
    assert_eq!(
        listed.body["data"].as_array().unwrap().len(),
        1,
        "{}",
        listed.body
    );
}

#[tokio::test]
async fn a_bad_link_is_refused_and_nothing_is_created() {
    let gw = gateway_with(offline_eth).await;
    mug(&gw).await;
    gw.post("/v1/products/prod_mug/archive", json!({})).await;
    let sticker = json!({"name": "Sticker", "price": {"amount": "1.00", "currency": "USD"}});
    let ok_url = "https://shop.test/thanks";
    for (body, param) in [
        (
            json!({"productId": "prod_mug", "successUrl": ok_url}),
            "productId",
        ),
        (
            json!({"productData": {"name": "X", "price": {"amount": "1.00", "currency": "XYZ"}}, "successUrl": ok_url}),
            "",
        ),
        (
            json!({"productData": sticker, "quantity": 0, "successUrl": ok_url}),
            "quantity",
        ),
        (
            json!({"lineItems": [{"productData": sticker}, {"productData": sticker}], "adjustableQuantity": true, "successUrl": ok_url}),
            "adjustableQuantity",
        ),
        (
            json!({"productData": sticker, "maxQuantity": 3, "successUrl": ok_url}),
            "maxQuantity",
        ),
        (
            json!({"productData": sticker, "adjustableQuantity": true, "maxQuantity": 0, "successUrl": ok_url}),
            "maxQuantity",
        ),
        (
            json!({"productData": sticker, "successUrl": "javascript:alert(1)"}),
            "successUrl",
        ),
        (json!({"successUrl": ok_url}), "productId"),
    ] {
        let answer = gw.post("/v1/payment-links", body.clone()).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            answer.body
        );
        if !param.is_empty() {
            assert_eq!(
                answer.body["error"]["param"], param,
                "{body}: {}",
                answer.body
            );
        }
    }
    assert_eq!(count(&gw, "payment_links").await, 0);
}
