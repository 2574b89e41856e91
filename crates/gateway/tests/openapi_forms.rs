//! The forms `/openapi.json` states beyond the wire types' fields are the
//! gateway's: for each body below, the served schema's verdict (checked
//! with a JSON Schema validator) and the gateway's answer agree. Product
//! forms (`oneOf`), amounts above zero, the cashier's languages, a
//! tolerance's bounds, a link's adjustable quantity, each currency's
//! decimals, the currencies,
//! networks and tokens this gateway is configured with, and the
//! `Idempotency-Key` header.

mod common;

use axum::http::StatusCode;
use common::{gateway_with, offline_eth};
use serde_json::{Value, json};

/// The served description, for validating bodies against its schemas.
struct Served(Value);

impl Served {
    /// Whether `value` is valid under `schema` (a JSON Schema that may
    /// refer to the description's components).
    fn allows(&self, schema: &Value, value: &Value) -> bool {
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.0["components"],
            "allOf": [schema],
        });
        jsonschema::validator_for(&root)
            .unwrap_or_else(|e| panic!("bad schema {schema}: {e}"))
            .is_valid(value)
    }

    fn body_allowed(&self, component: &str, body: &Value) -> bool {
        self.allows(
            &json!({"$ref": format!("#/components/schemas/{component}")}),
            body,
        )
    }
}

const SUCCESS: &str = "https://shop.example/ok";

fn mug() -> Value {
    json!({"name": "Mug", "price": {"amount": "12.00", "currency": "USD"}})
}

/// Each body with whether it is allowed (and taken).
fn session_bodies() -> Vec<(&'static str, Value, bool)> {
    let item = json!({"productId": "prod_mug", "quantity": 2});
    vec![
        ("a product", json!({"productId": "prod_mug"}), true),
        ("a product described", json!({"productData": mug()}), true),
        (
            "a cart",
            json!({"lineItems": [item, {"productData": mug()}]}),
            true,
        ),
        (
            "a cart of 20",
            json!({"lineItems": vec![item.clone(); 20]}),
            true,
        ),
        (
            "a cart of 21",
            json!({"lineItems": vec![item.clone(); 21]}),
            false,
        ),
        ("an empty cart", json!({"lineItems": []}), false),
        ("nothing sold", json!({}), false),
        (
            "a product twice over",
            json!({"productId": "prod_mug", "productData": mug()}),
            false,
        ),
        (
            "a product and a cart",
            json!({"productId": "prod_mug", "lineItems": [item]}),
            false,
        ),
        (
            "a cart with a quantity",
            json!({"lineItems": [item], "quantity": 2}),
            false,
        ),
        (
            "a cart item of both forms",
            json!({"lineItems": [{"productId": "prod_mug", "productData": mug()}]}),
            false,
        ),
        (
            "a cart item of neither",
            json!({"lineItems": [{"quantity": 1}]}),
            false,
        ),
        (
            "a free product",
            json!({"productData": {"name": "Free", "price": {"amount": "0.00", "currency": "USD"}}}),
            false,
        ),
        (
            "a cent",
            json!({"productData": {"name": "Cent", "price": {"amount": "0.01", "currency": "USD"}}}),
            true,
        ),
        (
            "a currency nobody knows",
            json!({"productData": {"name": "Odd", "price": {"amount": "1", "currency": "AAA"}}}),
            false,
        ),
        (
            "a price in this gateway's token",
            json!({"productData": {"name": "Gas", "price": {"amount": "0.01", "currency": "ETH"}}}),
            true,
        ),
        (
            "a language of the cashier",
            json!({"productId": "prod_mug", "locale": "pt-BR"}),
            true,
        ),
        (
            "another language",
            json!({"productId": "prod_mug", "locale": "xx"}),
            false,
        ),
        (
            "the largest tolerance",
            json!({"productId": "prod_mug", "underpaymentTolerance": {"bps": 1000}}),
            true,
        ),
        (
            "a larger tolerance",
            json!({"productId": "prod_mug", "underpaymentTolerance": {"bps": 1001}}),
            false,
        ),
        (
            "a tolerance of nothing",
            json!({"productId": "prod_mug",
                   "underpaymentTolerance": {"amount": {"amount": "0", "currency": "USD"}}}),
            false,
        ),
        (
            "a tolerance of half a dollar",
            json!({"productId": "prod_mug",
                   "underpaymentTolerance": {"amount": {"amount": "0.50", "currency": "USD"}}}),
            true,
        ),
    ]
}

fn link_bodies() -> Vec<(&'static str, Value, bool)> {
    let item = json!({"productId": "prod_mug"});
    vec![
        ("a product", json!({"productId": "prod_mug"}), true),
        (
            "a chosen quantity",
            json!({"productId": "prod_mug", "adjustableQuantity": true, "maxQuantity": 5}),
            true,
        ),
        (
            "a most without a choice",
            json!({"productId": "prod_mug", "maxQuantity": 5}),
            false,
        ),
        (
            "a most past the limit",
            json!({"productId": "prod_mug", "adjustableQuantity": true, "maxQuantity": 1001}),
            false,
        ),
        ("a cart", json!({"lineItems": [item]}), true),
        (
            "a cart of one whose visitor chooses",
            json!({"lineItems": [item], "adjustableQuantity": true}),
            true,
        ),
        (
            "a cart of two whose visitor chooses",
            json!({"lineItems": [item, item], "adjustableQuantity": true}),
            false,
        ),
        ("nothing sold", json!({}), false),
    ]
}

fn product_bodies() -> Vec<(&'static str, Value, bool)> {
    let priced = |amount: &str, currency: &str| json!({"name": "Mug", "price": {"amount": amount, "currency": currency}});
    vec![
        ("yen", priced("3000", "JPY"), true),
        ("yen and sen", priced("3000.5", "JPY"), false),
        ("dinars to the fils", priced("1.500", "KWD"), true),
        (
            "dollars to a tenth of a cent",
            priced("1.005", "USD"),
            false,
        ),
        (
            "a dollar short of a trillion",
            priced("999999999999.00", "USD"),
            true,
        ),
        (
            "more than a trillion",
            priced("1000000000000.01", "USD"),
            false,
        ),
        (
            "ether to the wei",
            priced("0.000000000000000001", "ETH"),
            true,
        ),
        (
            "ether past the wei",
            priced("0.0000000000000000001", "ETH"),
            false,
        ),
    ]
}

#[tokio::test]
async fn the_served_schema_and_the_gateway_agree_on_every_body() {
    let gw = gateway_with(offline_eth).await;
    let spec = Served(gw.get("/openapi.json").await.body);
    let made = gw
        .post(
            "/v1/products",
            json!({"id": "prod_mug", "name": "Mug", "price": {"amount": "12.00", "currency": "USD"}}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    for (path, component, bodies) in [
        ("/v1/checkout/sessions", "CreateSession", session_bodies()),
        ("/v1/payment-links", "CreatePaymentLink", link_bodies()),
        ("/v1/products", "CreateProduct", product_bodies()),
    ] {
        for (what, mut body, taken) in bodies {
            if component != "CreateProduct" {
                body["successUrl"] = json!(SUCCESS);
            }
            assert_eq!(
                spec.body_allowed(component, &body),
                taken,
                "{component}, {what}: the schema's verdict"
            );
            let answer = gw.post(path, body).await;
            let want = if taken {
                StatusCode::CREATED
            } else {
                StatusCode::BAD_REQUEST
            };
            assert_eq!(answer.status, want, "{path}, {what}: {}", answer.body);
        }
    }
}

#[tokio::test]
async fn the_served_currencies_networks_and_tokens_are_this_gateways() {
    let gw = gateway_with(offline_eth).await;
    let spec = Served(gw.get("/openapi.json").await.body);
    let schemas = &spec.0["components"]["schemas"];
    assert_eq!(
        schemas["CreateQuote"]["properties"]["network"]["enum"],
        json!(["local"])
    );
    assert_eq!(
        schemas["CreateQuote"]["properties"]["token"]["enum"],
        json!(["ETH"])
    );
    assert_eq!(
        schemas["SettlementDestination"]["properties"]["network"]["enum"],
        json!(["local"])
    );
    let currencies = schemas["Money"]["properties"]["currency"]["enum"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(currencies.len(), tender_protocol::money::FIAT.len() + 1);
    // A tolerance (the merchant's default) in each listed currency is
    // taken; one in a currency the gateway does not know is refused, as
    // the schema says.
    for currency in currencies.iter().chain([&json!("AAA")]) {
        let settings =
            json!({"underpaymentTolerance": {"amount": {"amount": "1", "currency": currency}}});
        let allowed = spec.body_allowed("AccountSettings", &settings);
        let answer = gw.put("/v1/account/settings", settings).await;
        assert_eq!(allowed, currency != "AAA", "{currency}");
        let want = if allowed {
            StatusCode::OK
        } else {
            StatusCode::BAD_REQUEST
        };
        assert_eq!(answer.status, want, "{currency}: {}", answer.body);
    }
    // The description without a configuration (the TypeScript client's)
    // names no gateway's networks.
    let generic: Value =
        serde_json::from_str(&tender_gateway::openapi::document().unwrap()).unwrap();
    assert!(
        generic["components"]["schemas"]["CreateQuote"]["properties"]["network"]["enum"].is_null()
    );
}

#[tokio::test]
async fn the_idempotency_keys_form_is_the_gateways() {
    let gw = gateway_with(offline_eth).await;
    let spec = Served(gw.get("/openapi.json").await.body);
    let parameters = spec.0["paths"]["/v1/checkout/sessions"]["post"]["parameters"]
        .as_array()
        .unwrap();
    let header = parameters
        .iter()
        .find(|p| p["name"] == "Idempotency-Key")
        .expect("the header is documented");
    for (key, taken) in [
        ("k".to_owned(), true),
        ("~".repeat(255), true),
        ("!".repeat(256), false),
        ("two words".to_owned(), false),
        (String::new(), false),
    ] {
        assert_eq!(
            spec.allows(&header["schema"], &json!(key)),
            taken,
            "{key:?}: the schema's verdict"
        );
        let answer = gw
            .post_with_key("/v1/checkout/sessions", &key, common::session_body())
            .await;
        let want = if taken {
            StatusCode::CREATED
        } else {
            StatusCode::BAD_REQUEST
        };
        assert_eq!(answer.status, want, "{key:?}: {}", answer.body);
    }
}

/// Every body is an object, as the schemas say: serde would also take a
/// struct's fields as an array, in order, which the gateway refuses.
#[tokio::test]
async fn a_body_of_the_fields_in_an_array_is_refused() {
    let gw = gateway_with(offline_eth).await;
    let answer = gw
        .put("/v1/account/settings", json!([null, "manual"]))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert!(
        answer.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("JSON object")
    );
    let answer = gw
        .put("/v1/account/settings", json!({"strayMoney": "manual"}))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}
