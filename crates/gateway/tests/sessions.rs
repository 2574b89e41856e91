//! Checkout Sessions and products over real HTTP: creation, validation of
//! every field, lists with cursor pagination, expiry.

mod common;

use std::collections::HashSet;

use axum::http::StatusCode;
use common::{gateway, gateway_with, offline_eth, patched, session_body};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[tokio::test]
async fn creating_a_session_answers_201_with_the_total_and_a_payment_url() {
    let gw = gateway().await;
    let session = gw.create_session().await;
    assert_eq!(session["status"], "open");
    assert_eq!(
        session["amountDue"],
        json!({"amount": "7.00", "currency": "USD"})
    );
    assert_eq!(session["metadata"]["order_id"], "ord_secret_42");
    let id = session["id"].as_str().unwrap();
    assert!(id.starts_with("cs_"));
    assert_eq!(session["paymentUrl"], format!("{}/pay/{id}", gw.url));
    let again = gw.get(&format!("/v1/checkout/sessions/{id}")).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body, session);
}

/// The session's underpayment tolerance, in minor units, as stored.
async fn tolerance_of(gw: &common::Gateway, session: &Value) -> String {
    sqlx::query_scalar("SELECT tolerance_minor FROM sessions WHERE id = $1")
        .bind(session["id"].as_str().unwrap())
        .fetch_one(&gw.state.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_change_of_the_default_tolerance_applies_to_the_next_session_at_once() {
    let gw = gateway().await;
    // The defaults are read (and remembered) by the first creation.
    assert_eq!(tolerance_of(&gw, &gw.create_session().await).await, "0");
    let put = gw
        .put(
            "/v1/account/settings",
            json!({"underpaymentTolerance": {"bps": 100}}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    // 1% of 7.00 USD.
    assert_eq!(tolerance_of(&gw, &gw.create_session().await).await, "7");
}

#[tokio::test]
async fn a_session_lives_an_hour_unless_told_otherwise() {
    let gw = gateway().await;
    let lifetime = |s: &Value| {
        let at = |k: &str| OffsetDateTime::parse(s[k].as_str().unwrap(), &Rfc3339).unwrap();
        (at("expiresAt") - at("createdAt")).whole_seconds()
    };
    assert_eq!(lifetime(&gw.create_session().await), 3600);
    let short = gw
        .post(
            "/v1/checkout/sessions",
            patched(session_body(), json!({"expiresInSeconds": 300})),
        )
        .await;
    assert_eq!(lifetime(&short.body), 300);
}

#[tokio::test]
async fn a_product_from_the_library_prices_the_session() {
    let gw = gateway().await;
    let product = gw
        .post(
            "/v1/products",
            json!({"id": "prod_hat", "name": "Hat", "price": {"amount": "19.99", "currency": "EUR"}}),
        )
        .await;
    assert_eq!(product.status, StatusCode::CREATED, "{}", product.body);
    let session = gw
        .post(
            "/v1/checkout/sessions",
            patched(
                session_body(),
                json!({"productData": null, "productId": "prod_hat", "quantity": 3}),
            ),
        )
        .await;
    assert_eq!(session.status, StatusCode::CREATED, "{}", session.body);
    assert_eq!(
        session.body["amountDue"],
        json!({"amount": "59.97", "currency": "EUR"})
    );
    assert_eq!(session.body["lineItems"][0]["productId"], "prod_hat");
    let duplicate = gw
        .post(
            "/v1/products",
            json!({"id": "prod_hat", "name": "Hat", "price": {"amount": "1.00", "currency": "EUR"}}),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT, "{}", duplicate.body);
}

#[tokio::test]
async fn an_archived_product_leaves_the_list_and_cannot_be_sold() {
    let gw = gateway().await;
    for id in ["prod_a", "prod_b"] {
        let created = gw
            .post(
                "/v1/products",
                json!({"id": id, "name": id, "price": {"amount": "1.00", "currency": "USD"}}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED);
    }
    let archived = gw.post("/v1/products/prod_a/archive", json!({})).await;
    assert_eq!(archived.status, StatusCode::OK);
    assert_eq!(archived.body["active"], false);
    let listed = gw.get("/v1/products").await;
    let ids: Vec<&str> = listed.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["prod_b"]);
    let refused = gw
        .post(
            "/v1/checkout/sessions",
            patched(
                session_body(),
                json!({"productData": null, "productId": "prod_a"}),
            ),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.body["error"]["param"], "productId");
    assert_eq!(
        gw.post("/v1/products/prod_nope/archive", json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_price_may_be_in_a_token_the_gateway_accepts() {
    let gw = gateway_with(common::offline_eth).await;
    let price = |amount: &str, currency: &str| json!({"name": "Pass", "price": {"amount": amount, "currency": currency}});
    let eth = gw.post("/v1/products", price("0.05", "ETH")).await;
    assert_eq!(eth.status, StatusCode::CREATED, "{}", eth.body);
    assert_eq!(
        eth.body["price"],
        json!({"amount": "0.05", "currency": "ETH"})
    );
    let unknown = gw.post("/v1/products", price("1", "DOGE")).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.body["error"]["param"], "price");
    let session = gw
        .post(
            "/v1/checkout/sessions",
            patched(session_body(), json!({"productData": {"name": "Pass", "price": {"amount": "0.05", "currency": "ETH"}}, "quantity": 3})),
        )
        .await;
    assert_eq!(session.status, StatusCode::CREATED, "{}", session.body);
    assert_eq!(
        session.body["amountDue"],
        json!({"amount": "0.15", "currency": "ETH"})
    );
}

#[tokio::test]
async fn every_invalid_field_is_refused_with_its_param() {
    let gw = gateway().await;
    let long = |n: usize| "x".repeat(n);
    let many: serde_json::Map<String, Value> =
        (0..51).map(|i| (format!("k{i}"), json!("v"))).collect();
    let cases: Vec<(Value, &str)> = vec![
        (json!({"quantity": 0}), "quantity"),
        (json!({"quantity": 1001}), "quantity"),
        (json!({"quantity": -1}), "quantity"),
        (json!({"successUrl": "ftp://shop.test/"}), "successUrl"),
        (json!({"successUrl": "/relative"}), "successUrl"),
        (json!({"successUrl": null}), "successUrl"),
        (json!({"cancelUrl": "javascript:alert(1)"}), "cancelUrl"),
        (json!({"productId": "prod_nope"}), "productId"),
        (json!({"productId": "not-an-id"}), "productId"),
        (json!({"productData": null}), "productId"),
        (json!({"expiresInSeconds": 299}), "expiresInSeconds"),
        (json!({"expiresInSeconds": 86401}), "expiresInSeconds"),
        (
            json!({"productData": {"name": "X", "price": {"amount": "0", "currency": "USD"}}}),
            "productData.price",
        ),
        (
            json!({"productData": {"name": "X", "price": {"amount": "1.234", "currency": "USD"}}}),
            "productData.price",
        ),
        (
            json!({"productData": {"name": "X", "price": {"amount": 1.5, "currency": "USD"}}}),
            "productData.price.amount",
        ),
        (
            json!({"productData": {"name": "X", "price": {"amount": "1", "currency": "xyz"}}}),
            "productData.price.currency",
        ),
        (
            json!({"productData": {"name": "X", "price": {"amount": "1", "currency": "XYZ"}}}),
            "productData.price",
        ),
        (
            json!({"productData": {"name": "", "price": {"amount": "1", "currency": "USD"}}}),
            "productData.name",
        ),
        (
            json!({"productData": {"name": "X", "imageUrl": "nope", "price": {"amount": "1", "currency": "USD"}}}),
            "productData.imageUrl",
        ),
        (json!({"metadata": Value::Object(many)}), "metadata"),
        (json!({"metadata": {long(41): "v"}}), "metadata"),
        (json!({"metadata": {"": "v"}}), "metadata"),
        (json!({"metadata": {"k": long(501)}}), "metadata"),
        (json!({"metadata": {"k": 1}}), "metadata"),
        (json!({"surprise": true}), "surprise"),
    ];
    for (patch, param) in cases {
        let answer = gw
            .post(
                "/v1/checkout/sessions",
                patched(session_body(), patch.clone()),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{patch} -> {}",
            answer.body
        );
        assert_eq!(
            answer.body["error"]["type"], "invalid_request",
            "{patch} -> {}",
            answer.body
        );
        let got = answer.body["error"]["param"].as_str().unwrap_or_default();
        assert!(
            got == param || got.starts_with(&format!("{param}.")),
            "{patch} -> {}",
            answer.body
        );
    }
    // Limits are inclusive.
    let edge: serde_json::Map<String, Value> = (0..50)
        .map(|i| (format!("{i:0>40}"), json!(long(500))))
        .collect();
    let ok = gw
        .post(
            "/v1/checkout/sessions",
            patched(
                session_body(),
                json!({"metadata": Value::Object(edge), "quantity": 1000}),
            ),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
}

#[tokio::test]
async fn malformed_and_oversized_bodies_never_get_a_500() {
    let gw = gateway().await;
    let raw = |body: Vec<u8>, content_type: &'static str| {
        gw.http
            .post(format!("{}/v1/checkout/sessions", gw.url))
            .bearer_auth(&gw.key)
            .header("content-type", content_type)
            .body(body)
    };
    let bodies: Vec<(Vec<u8>, &str)> = vec![
        (b"".to_vec(), "application/json"),
        (b"null".to_vec(), "application/json"),
        (b"[]".to_vec(), "application/json"),
        (b"{".to_vec(), "application/json"),
        (vec![0xff, 0xfe, 0x00], "application/json"),
        (b"{\"quantity\": 1e400}".to_vec(), "application/json"),
        ("[".repeat(10_000).into_bytes(), "application/json"),
        (b"quantity=1".to_vec(), "application/x-www-form-urlencoded"),
    ];
    for (body, content_type) in bodies {
        let preview = String::from_utf8_lossy(&body[..body.len().min(20)]).into_owned();
        let answer = gw.send(raw(body, content_type)).await;
        assert!(
            answer.status.is_client_error(),
            "{preview:?} -> {}",
            answer.status
        );
        assert!(
            answer.body["error"]["type"].is_string(),
            "{preview:?} -> {}",
            answer.body
        );
    }
    let huge = patched(
        session_body(),
        json!({"metadata": {"k": "v".repeat(70 * 1024)}}),
    );
    let answer = gw.post("/v1/checkout/sessions", huge).await;
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        answer.body
    );
    assert_eq!(answer.body["error"]["type"], "invalid_request");
    let unknown = gw.get("/v1/nothing-here").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["error"]["type"], "not_found");
}

#[tokio::test]
async fn sessions_list_newest_first_in_pages_and_by_status() {
    let gw = gateway().await;
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(gw.create_session().await["id"].as_str().unwrap().to_owned());
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(id) => format!("/v1/checkout/sessions?limit=2&startingAfter={id}"),
            None => "/v1/checkout/sessions?limit=2".to_owned(),
        };
        let page = gw.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let data = page.body["data"].as_array().unwrap();
        assert!(data.len() <= 2);
        seen.extend(data.iter().map(|s| s["id"].as_str().unwrap().to_owned()));
        if page.body["hasMore"] == false {
            break;
        }
        after = seen.last().cloned();
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert_eq!(
        seen.iter().collect::<HashSet<_>>(),
        created.iter().collect::<HashSet<_>>()
    );

    let expired = gw
        .post(
            &format!("/v1/checkout/sessions/{}/expire", created[1]),
            json!({}),
        )
        .await;
    assert_eq!(expired.status, StatusCode::OK, "{}", expired.body);
    let only = gw.get("/v1/checkout/sessions?status=expired").await;
    let ids: Vec<&str> = only.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [created[1].as_str()]);

    for (query, param) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("startingAfter=cs_nope", "startingAfter"),
    ] {
        let bad = gw.get(&format!("/v1/checkout/sessions?{query}")).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(bad.body["error"]["param"], param, "{query}: {}", bad.body);
    }
    let bad_status = gw.get("/v1/checkout/sessions?status=lost").await;
    assert_eq!(bad_status.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_price_too_large_to_convert_is_refused_and_the_largest_one_quotes() {
    let gw = gateway_with(offline_eth).await;
    let price = |amount: &str| json!({"productData": {"name": "Yacht", "price": {"amount": amount, "currency": "USD"}}, "quantity": 1});
    let huge = gw
        .post(
            "/v1/checkout/sessions",
            patched(session_body(), price("34000000000000.00")),
        )
        .await;
    assert_eq!(huge.status, StatusCode::BAD_REQUEST, "{}", huge.body);
    assert_eq!(
        huge.body["error"]["param"], "productData.price",
        "{}",
        huge.body
    );
    let many = gw
        .post(
            "/v1/checkout/sessions",
            patched(
                session_body(),
                json!({"productData": {"name": "Yacht", "price": {"amount": "1000000000000.00", "currency": "USD"}}, "quantity": 2}),
            ),
        )
        .await;
    assert_eq!(many.status, StatusCode::BAD_REQUEST, "{}", many.body);
    assert_eq!(many.body["error"]["param"], "quantity", "{}", many.body);

    let largest = gw
        .post(
            "/v1/checkout/sessions",
            patched(session_body(), price("1000000000000.00")),
        )
        .await;
    assert_eq!(largest.status, StatusCode::CREATED, "{}", largest.body);
    let id = largest.body["id"].as_str().unwrap();
    let quote = gw
        .send(
            gw.http
                .post(format!("{}/v1/pay/{id}/quote", gw.url))
                .json(&json!({"network": "local", "token": "ETH"})),
        )
        .await;
    assert_eq!(quote.status, StatusCode::CREATED, "{}", quote.body);
    // 10^12 USD at 2000 USD/ETH.
    assert_eq!(quote.body["amount"], "500000000", "{}", quote.body);
}

#[tokio::test]
async fn each_currency_keeps_its_own_minor_units_and_one_without_a_rate_is_refused() {
    let gw = gateway_with(|config| {
        offline_eth(config);
        for (currency, price) in [("JPY", "300000"), ("KWD", "600.125")] {
            config.rates.push(tender_gateway::config::RateConfig {
                token: "ETH".into(),
                currency: currency.parse().unwrap(),
                price: price.into(),
            });
        }
    })
    .await;
    let priced = |amount: &str, currency: &str| {
        patched(
            session_body(),
            json!({"productData": {"name": "Tea", "price": {"amount": amount, "currency": currency}}, "quantity": 1}),
        )
    };
    let quote = async |id: &str| {
        gw.send(
            gw.http
                .post(format!("{}/v1/pay/{id}/quote", gw.url))
                .json(&json!({"network": "local", "token": "ETH"})),
        )
        .await
    };
    // Yen have no minor unit: 3000 JPY is 3000, never 30.00.
    let yen = gw
        .post("/v1/checkout/sessions", priced("3000", "JPY"))
        .await;
    assert_eq!(yen.status, StatusCode::CREATED, "{}", yen.body);
    assert_eq!(
        yen.body["amountDue"],
        json!({"amount": "3000", "currency": "JPY"})
    );
    let answer = quote(yen.body["id"].as_str().unwrap()).await;
    assert_eq!(answer.body["amount"], "0.01", "3000 JPY at 300000 JPY/ETH");
    let fraction = gw
        .post("/v1/checkout/sessions", priced("3000.5", "JPY"))
        .await;
    assert_eq!(
        fraction.status,
        StatusCode::BAD_REQUEST,
        "{}",
        fraction.body
    );

    // The Kuwaiti dinar has three digits of minor unit.
    let dinar = gw
        .post("/v1/checkout/sessions", priced("6.00125", "KWD"))
        .await;
    assert_eq!(dinar.status, StatusCode::BAD_REQUEST, "{}", dinar.body);
    let dinar = gw
        .post("/v1/checkout/sessions", priced("6.001", "KWD"))
        .await;
    assert_eq!(dinar.status, StatusCode::CREATED, "{}", dinar.body);
    assert_eq!(dinar.body["amountDue"]["amount"], "6.001");
    let answer = quote(dinar.body["id"].as_str().unwrap()).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);

    // GBP is a currency Tender knows, but no source here prices in it:
    // refused now, not when the shopper asks for a quote.
    let pounds = gw
        .post("/v1/checkout/sessions", priced("5.00", "GBP"))
        .await;
    assert_eq!(pounds.status, StatusCode::BAD_REQUEST, "{}", pounds.body);
    assert_eq!(pounds.body["error"]["param"], "productData.price.currency");
    assert!(
        pounds.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no price source has a rate in GBP"),
        "{}",
        pounds.body
    );
    let unknown = gw
        .post("/v1/checkout/sessions", priced("5.00", "xyz"))
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{}", unknown.body);
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(&gw.state.db)
        .await
        .unwrap();
    assert_eq!(kept, 2, "only the yen and the dinar sessions were made");
}

#[tokio::test]
async fn an_expired_session_cannot_be_expired_again_or_quoted() {
    let gw = gateway().await;
    let id = gw.create_session().await["id"].as_str().unwrap().to_owned();
    let first = gw
        .post(&format!("/v1/checkout/sessions/{id}/expire"), json!({}))
        .await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body["status"], "expired");
    let second = gw
        .post(&format!("/v1/checkout/sessions/{id}/expire"), json!({}))
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    let quote = gw
        .send(
            gw.http
                .post(format!("{}/v1/pay/{id}/quote", gw.url))
                .json(&json!({"network": "x", "token": "ETH"})),
        )
        .await;
    assert_eq!(quote.status, StatusCode::CONFLICT, "{}", quote.body);
    let events = gw
        .get(&format!("/v1/events?sessionId={id}&type=session.expired"))
        .await;
    assert_eq!(
        events.body["data"].as_array().unwrap().len(),
        1,
        "{}",
        events.body
    );
}

#[tokio::test]
async fn another_merchants_session_is_not_found() {
    let gw = gateway().await;
    let session = gw.create_session().await;
    let other = tender_gateway::merchants::accounts::create(&gw.state.db, "Other", None)
        .await
        .unwrap()
        .api_key;
    let answer = gw
        .send(
            gw.http
                .get(format!(
                    "{}/v1/checkout/sessions/{}",
                    gw.url,
                    session["id"].as_str().unwrap()
                ))
                .bearer_auth(other),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.body["error"]["type"], "not_found");
}

#[tokio::test]
async fn the_public_session_never_shows_metadata() {
    let gw = gateway().await;
    let session = gw.create_session().await;
    let id = session["id"].as_str().unwrap();
    let response = gw
        .http
        .get(format!("{}/v1/pay/{id}", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(!text.contains("ord_secret_42"), "{text}");
    assert!(!text.contains("metadata"), "{text}");
    let public: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(public["merchantName"], "Test Shop");
    assert_eq!(public["amountDue"]["amount"], "7.00");
}

#[tokio::test]
async fn a_reorged_payment_mined_again_is_new_to_the_sweeper() {
    use tender_gateway::checkout::payments::{self, Seen};
    let gw = gateway_with(offline_eth).await;
    let session = gw.create_session().await;
    let id = session["id"].as_str().unwrap();
    let quote = gw
        .send(
            gw.http
                .post(format!("{}/v1/pay/{id}/quote", gw.url))
                .json(&json!({"network": "local", "token": "ETH"})),
        )
        .await;
    assert_eq!(quote.status, StatusCode::CREATED, "{}", quote.body);
    let seen = Seen {
        session_id: id.to_owned(),
        quote_id: quote.body["id"].as_str().unwrap().to_owned(),
        chain_id: 31337,
        tx_hash: format!("0x{}", "ab".repeat(32)),
        log_index: -1,
        token: "ETH".into(),
        amount_raw: "1000".into(),
        from: format!("0x{}", "11".repeat(20)),
        block_number: 5,
        block_hash: format!("0x{}", "cd".repeat(32)),
        block_timestamp: 1,
        off_quote: false,
        gas_fee_raw: "0".into(),
    };
    let db = &gw.state.db;
    let mut conn = db.acquire().await.unwrap();
    assert!(payments::record(&gw.state, &mut conn, &seen).await.unwrap());
    // Confirmed and taken into a sweep round; then a deep reorg.
    for set in ["status = 'confirmed', in_sweep = 1", "status = 'reorged'"] {
        sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE payments SET {set}")))
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    let mined_again = Seen {
        block_number: 7,
        ..seen.clone()
    };
    assert!(
        payments::record(&gw.state, &mut conn, &mined_again)
            .await
            .unwrap()
    );
    let (status, in_sweep): (String, i64) =
        sqlx::query_as("SELECT status, CAST(in_sweep AS BIGINT) FROM payments")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(status, "pending");
    assert_eq!(in_sweep, 0, "a round must take it again once it confirms");
}

#[tokio::test]
async fn sessions_are_found_by_a_metadata_value_of_theirs_only() {
    let gw = gateway().await;
    let with = |order: &str| patched(session_body(), json!({"metadata": {"order_id": order}}));
    let wanted = gw.post("/v1/checkout/sessions", with("ord_42")).await;
    gw.post("/v1/checkout/sessions", with("ord_420")).await;
    gw.post("/v1/checkout/sessions", with("ord%4")).await;
    let other = gw.another_merchant("Other").await;
    gw.post_as(&other, "/v1/checkout/sessions", with("ord_42"))
        .await;
    let found = |value: &str| {
        let path = format!(
            "/v1/checkout/sessions?metadataValue={}",
            url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>()
        );
        let gw = &gw;
        async move {
            let answer = gw.get(&path).await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
            answer.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        found("ord_42").await,
        vec![wanted.body["id"].as_str().unwrap().to_owned()],
        "the whole value, this merchant's only"
    );
    assert_eq!(
        found("ord%4").await.len(),
        1,
        "LIKE's characters match only themselves"
    );
    assert!(found("ord_4").await.is_empty(), "not a part of a value");
    assert!(found("nothing\"}").await.is_empty());
    let nul = gw.get("/v1/checkout/sessions?metadataValue=a%00b").await;
    assert_eq!(nul.status, StatusCode::BAD_REQUEST, "{}", nul.body);
}

#[tokio::test]
async fn a_malformed_transaction_hash_is_refused_and_an_unknown_one_finds_nothing() {
    let gw = gateway().await;
    gw.create_session().await;
    let bad = gw.get("/v1/checkout/sessions?txHash=0x1234").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["error"]["param"], "txHash");
    let unknown = format!("/v1/checkout/sessions?txHash=0x{}", "AB".repeat(32));
    let answer = gw.get(&unknown).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["data"], json!([]));
}

#[tokio::test]
async fn sessions_are_listed_by_creation_date_and_paged_within_it() {
    let gw = gateway().await;
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(gw.create_session().await["id"].as_str().unwrap().to_owned());
    }
    // Created at 1,000, 2,000, 2,000 and 3,000 seconds after the epoch.
    for (id, at) in ids.iter().zip([1_000, 2_000, 2_000, 3_000]) {
        sqlx::query("UPDATE sessions SET created_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id)
            .execute(&gw.state.db)
            .await
            .unwrap();
    }
    let listed = |query: String| {
        let gw = &gw;
        async move {
            let answer = gw.get(&format!("/v1/checkout/sessions?{query}")).await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
            let ids = answer.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>();
            (ids, answer.body["hasMore"].as_bool().unwrap())
        }
    };
    let window = "createdGte=1970-01-01T00:33:20Z&createdLt=1970-01-01T00:50:00Z";
    let (all, _) = listed(window.to_owned()).await;
    let mut middle = vec![ids[1].clone(), ids[2].clone()];
    middle.sort();
    middle.reverse();
    assert_eq!(all, middle, "from 2,000 (inclusive) to 3,000 (exclusive)");
    let (first, more) = listed(format!("{window}&limit=1")).await;
    assert!(more);
    let (second, more) = listed(format!("{window}&limit=1&startingAfter={}", first[0])).await;
    assert!(!more);
    assert_eq!([first, second].concat(), middle, "pages keep to the window");
    let (late, _) = listed("createdGte=1970-01-01T00:50:00Z".to_owned()).await;
    assert_eq!(late, vec![ids[3].clone()]);
    let bad = gw.get("/v1/checkout/sessions?createdGte=yesterday").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
}
