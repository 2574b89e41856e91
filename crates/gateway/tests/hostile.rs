//! A hostile merchant: webhook endpoints aimed at the gateway's own network
//! in every spelling, too many endpoints, keys outside their scopes, other
//! tenants' product ids, and the secrets' storage read off the disk.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{Gateway, Receiver, gateway_with, offline_eth, until};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);

async fn strict_gateway() -> Gateway {
    gateway_with(|c| c.security.allow_private_targets = Some(false)).await
}

fn port_of(url: &str) -> &str {
    url.rsplit(':').next().unwrap().trim_end_matches('/')
}

async fn refused(gw: &Gateway, url: &str) -> String {
    let answer = gw
        .post(
            "/v1/webhook-endpoints",
            json!({"url": url, "enabledEvents": ["*"]}),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::BAD_REQUEST,
        "{url}: {}",
        answer.body
    );
    assert_eq!(answer.body["error"]["param"], "url", "{url}");
    answer.body["error"]["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn private_addresses_in_every_spelling_are_refused_at_registration() {
    let gw = strict_gateway().await;
    let receiver = Receiver::start(|_| StatusCode::OK).await;
    let port = port_of(&receiver.url);
    let named_loopback = format!("http://localhost:{port}/hook");
    for url in [
        "http://127.0.0.1:22/",
        "http://127.0.0.1:8545/",
        "http://10.0.0.5/hook",
        "http://172.16.3.4/hook",
        "http://192.168.0.1/hook",
        "http://100.64.1.1/hook",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://0x7f000001/",
        "http://127.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[fd00::1]/",
        named_loopback.as_str(),
    ] {
        let message = refused(&gw, url).await;
        assert!(message.contains("private"), "{url}: {message}");
    }
    let listed = gw.get("/v1/webhook-endpoints").await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn metadata_and_link_local_are_refused_even_in_dev_mode() {
    // Dev mode allows loopback and private targets: the local receivers.
    let gw = gateway_with(|_| {}).await;
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://100.100.100.200/",
        "http://0.0.0.0:4000/",
        "http://[::]/",
        "http://224.0.0.1/",
        "http://255.255.255.255/",
        "http://2852039166/",
    ] {
        let message = refused(&gw, url).await;
        assert!(message.contains("never sent"), "{url}: {message}");
    }
    for url in ["ftp://example.com/", "file:///etc/passwd", "http:///nohost"] {
        refused(&gw, url).await;
    }
}

#[tokio::test]
async fn an_endpoint_that_turns_private_later_is_not_sent_to() {
    let gw = strict_gateway().await;
    let receiver = Receiver::start(|_| StatusCode::OK).await;
    let port = port_of(&receiver.url);
    // Registered while it pointed somewhere public; then its name came to
    // resolve to loopback (rebinding), or the row was pointed at an address.
    let (by_name, _) = gw.endpoint("https://8.8.8.8/hook", &["*"]).await;
    let (by_address, _) = gw.endpoint("https://1.1.1.1/hook", &["*"]).await;
    for (id, url) in [
        (&by_name, format!("http://localhost:{port}/")),
        (&by_address, format!("http://127.0.0.1:{port}/")),
    ] {
        sqlx::query("UPDATE webhook_endpoints SET url = $1 WHERE id = $2")
            .bind(url)
            .bind(id)
            .execute(&gw.state.db)
            .await
            .unwrap();
    }
    gw.create_session().await;
    let attempted = async || {
        let events = gw.get("/v1/events?limit=1").await;
        let id = events.body["data"][0]["id"].as_str()?.to_owned();
        let details = gw.get(&format!("/v1/events/{id}")).await;
        let deliveries = details.body["deliveries"].as_array()?.clone();
        let done = deliveries.len() == 2
            && deliveries
                .iter()
                .all(|d| !d["attempts"].as_array().unwrap().is_empty());
        done.then_some(deliveries)
    };
    until("both attempts recorded", WAIT, async || {
        attempted().await.is_some()
    })
    .await;
    let event = attempted().await.unwrap();
    for delivery in event {
        let attempt = &delivery["attempts"][0];
        assert!(attempt["statusCode"].is_null(), "{delivery}");
        let error = attempt["error"].as_str().unwrap();
        assert!(error.starts_with("not sent: url points at"), "{error}");
        assert!(
            error.contains("127.0.0.1") || error.contains("::1"),
            "{error}"
        );
    }
    assert!(
        receiver.received().is_empty(),
        "nothing reached the private address"
    );
}

#[tokio::test]
async fn a_merchant_has_a_bounded_number_of_endpoints() {
    let gw = gateway_with(|c| c.limits.endpoints_per_merchant = 2).await;
    let receiver = Receiver::start(|_| StatusCode::OK).await;
    let (first, _) = gw.endpoint(&receiver.url, &["*"]).await;
    gw.endpoint(&receiver.url, &["*"]).await;
    let message = refused(&gw, &receiver.url).await;
    assert!(message.contains("at most 2"), "{message}");
    let deleted = gw.delete(&format!("/v1/webhook-endpoints/{first}")).await;
    assert_eq!(deleted.status, StatusCode::OK);
    gw.endpoint(&receiver.url, &["*"]).await;
}

#[tokio::test]
async fn a_changed_payout_address_is_announced_to_every_endpoint() {
    let gw = gateway_with(offline_eth).await;
    let narrow = Receiver::start(|_| StatusCode::OK).await;
    let wide = Receiver::start(|_| StatusCode::OK).await;
    gw.endpoint(&narrow.url, &["session.paid"]).await;
    gw.endpoint(&wide.url, &["*"]).await;
    let destination = json!({
        "network": "local",
        "token": "ETH",
        "address": "0x8ba1f109551bd432803012645ac136ddd64dba72",
    });
    let answer = gw
        .put("/v1/settlement-destination", destination.clone())
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    for receiver in [&narrow, &wide] {
        until("the announcement", WAIT, async || receiver.count() == 1).await;
        let body: serde_json::Value = serde_json::from_slice(&receiver.received()[0].body).unwrap();
        assert_eq!(body["type"], "settlement_destination.updated");
        assert_eq!(body["data"]["settlementDestination"], destination);
    }
}

#[tokio::test]
async fn product_ids_belong_to_their_merchant() {
    let gw = gateway_with(offline_eth).await;
    let rival = gw.another_merchant("Rival").await;
    let product = |name: &str, amount: &str| json!({"id": "prod_tshirt", "name": name, "price": {"amount": amount, "currency": "USD"}});
    let squatted = gw
        .post_as(&rival, "/v1/products", product("Rival tee", "1.00"))
        .await;
    assert_eq!(squatted.status, StatusCode::CREATED, "{}", squatted.body);
    let ours = gw.post("/v1/products", product("Our tee", "25.00")).await;
    assert_eq!(
        ours.status,
        StatusCode::CREATED,
        "another merchant's id is free: {}",
        ours.body
    );
    assert_eq!(
        gw.get("/v1/products/prod_tshirt").await.body["name"],
        "Our tee"
    );
    let theirs = gw.get_as(&rival, "/v1/products/prod_tshirt").await;
    assert_eq!(theirs.body["name"], "Rival tee");
    let again = gw.post("/v1/products", product("Our tee", "25.00")).await;
    assert_eq!(
        again.status,
        StatusCode::CONFLICT,
        "an id is unique within its merchant"
    );
    // A session built from the id takes the merchant's own product.
    let session = gw
        .post(
            "/v1/checkout/sessions",
            json!({"productId": "prod_tshirt", "quantity": 1, "successUrl": "https://shop.test/ok"}),
        )
        .await;
    assert_eq!(session.status, StatusCode::CREATED, "{}", session.body);
    assert_eq!(
        session.body["amountDue"],
        json!({"amount": "25.00", "currency": "USD"})
    );
}

async fn key_with(gw: &Gateway, parent: &str, scopes: serde_json::Value) -> (String, String) {
    let created = gw
        .post_as(parent, "/v1/api-keys", json!({"scopes": scopes}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    (
        created.body["id"].as_str().unwrap().to_owned(),
        created.body["secret"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_restricted_key_is_refused_outside_its_scopes() {
    let gw = gateway_with(offline_eth).await;
    let (_, reader) = key_with(&gw, &gw.key, json!(["sessions:read", "keys:write"])).await;
    assert_eq!(
        gw.get_as(&reader, "/v1/checkout/sessions").await.status,
        StatusCode::OK
    );
    for (path, scope) in [
        ("/v1/checkout/sessions", "sessions:write"),
        ("/v1/products", "products:write"),
        ("/v1/webhook-endpoints", "webhooks:write"),
    ] {
        let refused = gw.post_as(&reader, path, json!({})).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(refused.body["error"]["type"], "permission");
        let message = refused.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(scope), "{path}: {message}");
    }
    let payout = gw
        .send(
            gw.http
                .put(format!("{}/v1/settlement-destination", gw.url))
                .bearer_auth(&reader)
                .json(&json!({"network": "local", "token": "ETH", "address": "0x8ba1f109551bd432803012645ac136ddd64dba72"})),
        )
        .await;
    assert_eq!(
        payout.status,
        StatusCode::FORBIDDEN,
        "no repointing payouts"
    );
    assert!(gw.get("/v1/settlement-destination").await.status == StatusCode::NOT_FOUND);

    // It gives only what it has.
    let wider = gw
        .post_as(
            &reader,
            "/v1/api-keys",
            json!({"scopes": ["sessions:write"]}),
        )
        .await;
    assert_eq!(wider.status, StatusCode::BAD_REQUEST, "{}", wider.body);
    assert_eq!(wider.body["error"]["param"], "scopes");
    let star = gw
        .post_as(&reader, "/v1/api-keys", json!({"scopes": ["*"]}))
        .await;
    assert_eq!(star.status, StatusCode::BAD_REQUEST);
    let empty = gw
        .post_as(&reader, "/v1/api-keys", json!({"scopes": []}))
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    let inherited = gw.post_as(&reader, "/v1/api-keys", json!({})).await;
    assert_eq!(inherited.status, StatusCode::CREATED);
    assert_eq!(
        inherited.body["scopes"],
        json!(["sessions:read", "keys:write"])
    );
    let narrower = gw
        .post_as(
            &reader,
            "/v1/api-keys",
            json!({"scopes": ["sessions:read"]}),
        )
        .await;
    assert_eq!(narrower.status, StatusCode::CREATED);
    let unknown = gw
        .post_as(
            &gw.key,
            "/v1/api-keys",
            json!({"scopes": ["sessions:delete"]}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_child_key_dies_with_its_parent() {
    let gw = gateway_with(|_| {}).await;
    let (parent_id, parent) = key_with(&gw, &gw.key, json!(["*"])).await;
    let (child_id, child) = key_with(&gw, &parent, json!(["keys:write", "sessions:read"])).await;
    let (_, grandchild) = key_with(&gw, &child, json!(["sessions:read"])).await;
    let revoked = gw.delete(&format!("/v1/api-keys/{parent_id}")).await;
    assert_eq!(revoked.status, StatusCode::OK);
    for key in [&parent, &child, &grandchild] {
        assert_eq!(
            gw.get_as(key, "/v1/checkout/sessions").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let listed = gw.get("/v1/api-keys").await;
    let child_row = listed.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == child_id.as_str())
        .unwrap()
        .clone();
    assert!(child_row["revokedAt"].is_string(), "{child_row}");
    assert_eq!(child_row["createdBy"], parent_id.as_str());
    // A child somehow left unrevoked (made while its parent was being
    // revoked) still fails: the whole chain is checked.
    sqlx::query("UPDATE api_keys SET revoked_at = NULL WHERE id = $1")
        .bind(&child_id)
        .execute(&gw.state.db)
        .await
        .unwrap();
    assert_eq!(
        gw.get_as(&child, "/v1/checkout/sessions").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(gw.get("/v1/checkout/sessions").await.status, StatusCode::OK);
}

#[tokio::test]
async fn every_merchant_route_needs_a_known_scope() {
    let gw = gateway_with(|_| {}).await;
    let spec: serde_json::Value = gw
        .http
        .get(format!("{}/openapi.json", gw.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if operation.get("security").is_none() {
                continue;
            }
            let method: axum::http::Method = method.to_uppercase().parse().unwrap();
            assert!(
                tender_gateway::merchants::scopes::required(&method, path).is_some(),
                "{method} {path} has no scope"
            );
            checked += 1;
        }
    }
    assert!(checked >= 29, "only {checked} operations");
}
