//! Sessions that sell a cart (`lineItems`) over real HTTP: each item with
//! its own amount, one total, and every bad cart refused with the item it
//! concerns named, nothing created.

mod common;

use axum::http::StatusCode;
use common::{Gateway, gateway_with, offline_eth, session_body};
use serde_json::{Value, json};

fn cart(items: Value) -> Value {
    json!({
        "lineItems": items,
        "metadata": {"order_id": "ord_cart"},
        "successUrl": "https://shop.test/success",
    })
}

async fn sessions_made(gw: &Gateway) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(&gw.state.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_cart_lists_each_item_with_its_amount_and_one_total_that_quotes() {
    let gw = gateway_with(offline_eth).await;
    let product = gw
        .post(
            "/v1/products",
            json!({"id": "prod_mug", "name": "Mug", "price": {"amount": "12.00", "currency": "USD"}}),
        )
        .await;
    assert_eq!(product.status, StatusCode::CREATED, "{}", product.body);
    let made = gw
        .post(
            "/v1/checkout/sessions",
            cart(json!([
                {"productId": "prod_mug", "quantity": 2},
                {"productData": {"name": "Sticker", "price": {"amount": "0.50", "currency": "USD"}}, "quantity": 3},
                {"productData": {"name": "Poster", "price": {"amount": "9.99", "currency": "USD"}}},
            ])),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let items = made.body["lineItems"].as_array().unwrap();
    let amounts: Vec<(&str, u64, &str)> = items
        .iter()
        .map(|i| {
            (
                i["name"].as_str().unwrap(),
                i["quantity"].as_u64().unwrap(),
                i["amount"]["amount"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        amounts,
        [
            ("Mug", 2, "24.00"),
            ("Sticker", 3, "1.50"),
            ("Poster", 1, "9.99")
        ]
    );
    assert_eq!(items[0]["productId"], "prod_mug");
    assert_eq!(
        made.body["amountDue"],
        json!({"amount": "35.49", "currency": "USD"})
    );
    let id = made.body["id"].as_str().unwrap();
    let quote = gw
        .send(
            gw.http
                .post(format!("{}/v1/pay/{id}/quote", gw.url))
                .json(&json!({"network": "local", "token": "ETH"})),
        )
        .await;
    assert_eq!(quote.status, StatusCode::CREATED, "{}", quote.body);
    // 35.49 USD at 2000 USD/ETH.
    assert_eq!(quote.body["amount"], "0.017745");
    // The shopper's view lists every item too.
    let public = gw
        .send(gw.http.get(format!("{}/v1/pay/{id}", gw.url)))
        .await
        .body;
    assert_eq!(public["lineItems"].as_array().unwrap().len(), 3, "{public}");
}

#[tokio::test]
async fn a_bad_cart_is_refused_naming_the_item_and_nothing_is_created() {
    let gw = gateway_with(offline_eth).await;
    let archived = gw
        .post(
            "/v1/products",
            json!({"id": "prod_old", "name": "Old", "price": {"amount": "1.00", "currency": "USD"}}),
        )
        .await;
    assert_eq!(archived.status, StatusCode::CREATED);
    gw.post("/v1/products/prod_old/archive", json!({})).await;
    let sticker = |amount: &str, currency: &str, quantity: i64| json!({"productData": {"name": "Sticker", "price": {"amount": amount, "currency": currency}}, "quantity": quantity});
    let cases = [
        (
            cart(json!([
                sticker("1.00", "USD", 1),
                sticker("1.00", "EUR", 1)
            ])),
            "lineItems[1].productData.price.currency",
            "one currency",
        ),
        (
            cart(json!([
                sticker("1.00", "USD", 1),
                sticker("1.00", "USD", 0)
            ])),
            "lineItems[1].quantity",
            "between 1 and 1000",
        ),
        (
            cart(json!([sticker("1.00", "USD", -2)])),
            "lineItems[0].quantity",
            "",
        ),
        (
            cart(json!([{"productId": "prod_old", "quantity": 1}])),
            "lineItems[0].productId",
            "archived",
        ),
        (
            cart(json!([{"productId": "prod_none"}])),
            "lineItems[0].productId",
            "no such product",
        ),
        (
            cart(Value::Array(vec![sticker("1.00", "USD", 1); 21])),
            "lineItems",
            "at most 20",
        ),
        (
            {
                let mut both = cart(json!([sticker("1.00", "USD", 1)]));
                both["productId"] = json!("prod_old");
                both
            },
            "lineItems",
            "not both",
        ),
        (
            {
                let mut both = cart(json!([sticker("1.00", "USD", 1)]));
                both["quantity"] = json!(2);
                both
            },
            "quantity",
            "each item",
        ),
        (
            cart(json!([
                sticker("900000000000.00", "USD", 1),
                sticker("900000000000.00", "USD", 1)
            ])),
            "lineItems",
            "too large",
        ),
    ];
    for (body, param, says) in cases {
        let answer = gw.post("/v1/checkout/sessions", body.clone()).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            answer.body
        );
        // A negative quantity fails in the JSON itself: its param is where.
        if !says.is_empty() {
            assert_eq!(answer.body["error"]["param"], param, "{}", answer.body);
            let message = answer.body["error"]["message"].as_str().unwrap();
            assert!(message.contains(says), "{message}");
        }
    }
    assert_eq!(sessions_made(&gw).await, 0);
    // The single-product form still works.
    let single = gw.post("/v1/checkout/sessions", session_body()).await;
    assert_eq!(single.status, StatusCode::CREATED, "{}", single.body);
    assert_eq!(single.body["lineItems"].as_array().unwrap().len(), 1);
}
