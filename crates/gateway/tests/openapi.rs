//! `/openapi.json` documents every endpoint, and real answers match the
//! schemas it gives for them.

mod common;

use axum::http::StatusCode;
use common::{Receiver, gateway_with, offline_eth, patched, session_body, until};
use serde_json::{Value, json};

const ENDPOINTS: &[(&str, &str)] = &[
    ("post", "/v1/checkout/sessions"),
    ("get", "/v1/checkout/sessions"),
    ("get", "/v1/checkout/sessions/{id}"),
    ("post", "/v1/checkout/sessions/{id}/expire"),
    ("post", "/v1/products"),
    ("get", "/v1/products"),
    ("get", "/v1/products/{id}"),
    ("post", "/v1/products/{id}/archive"),
    ("post", "/v1/api-keys"),
    ("get", "/v1/api-keys"),
    ("delete", "/v1/api-keys/{id}"),
    ("post", "/v1/webhook-endpoints"),
    ("get", "/v1/webhook-endpoints"),
    ("get", "/v1/webhook-endpoints/{id}"),
    ("delete", "/v1/webhook-endpoints/{id}"),
    ("post", "/v1/webhook-endpoints/{id}/rotate-secret"),
    ("get", "/v1/events"),
    ("get", "/v1/events/{id}"),
    ("post", "/v1/events/{id}/redeliver"),
    ("get", "/v1/pay/{id}"),
    ("post", "/v1/pay/{id}/quote"),
];

struct Spec(Value);

impl Spec {
    /// Fails the test with every schema violation of `body`.
    fn check(&self, method: &str, path: &str, status: StatusCode, body: &Value) {
        let schema = &self.0["paths"][path][method]["responses"][status.as_str()]["content"]["application/json"]
            ["schema"];
        assert!(
            !schema.is_null(),
            "{method} {path} documents no {status} JSON answer"
        );
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.0["components"],
            "allOf": [schema],
        });
        let validator = jsonschema::validator_for(&root)
            .unwrap_or_else(|e| panic!("{method} {path}: bad schema: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {path} {status} does not match its schema:\n{}\n{body:#}",
            errors.join("\n")
        );
    }
}

#[tokio::test]
async fn every_endpoint_is_documented_and_answers_match_their_schemas() {
    let gw = gateway_with(common::offline_eth).await;
    let spec = gw.get("/openapi.json").await;
    assert_eq!(spec.status, StatusCode::OK);
    assert!(spec.body["openapi"].as_str().unwrap().starts_with("3."));
    for (method, path) in ENDPOINTS {
        assert!(
            spec.body["paths"][path][method].is_object(),
            "{method} {path} is not in /openapi.json"
        );
    }
    let spec = Spec(spec.body);
    let check = |method: &str, path: &str, answer: &common::Answer| {
        spec.check(method, path, answer.status, &answer.body)
    };

    let product = gw.post("/v1/products", json!({"id": "prod_cap", "name": "Cap", "description": "Blue", "price": {"amount": "9.50", "currency": "USD"}})).await;
    check("post", "/v1/products", &product);
    check("get", "/v1/products", &gw.get("/v1/products").await);
    check(
        "get",
        "/v1/products/{id}",
        &gw.get("/v1/products/prod_cap").await,
    );
    check(
        "get",
        "/v1/products/{id}",
        &gw.get("/v1/products/prod_none").await,
    );
    check(
        "post",
        "/v1/products/{id}/archive",
        &gw.post("/v1/products/prod_cap/archive", json!({})).await,
    );

    let receiver = Receiver::start(|_| StatusCode::OK).await;
    let endpoint = gw
        .post("/v1/webhook-endpoints", json!({"url": receiver.url}))
        .await;
    check("post", "/v1/webhook-endpoints", &endpoint);
    let endpoint_id = endpoint.body["id"].as_str().unwrap().to_owned();
    check(
        "get",
        "/v1/webhook-endpoints",
        &gw.get("/v1/webhook-endpoints").await,
    );
    check(
        "get",
        "/v1/webhook-endpoints/{id}",
        &gw.get(&format!("/v1/webhook-endpoints/{endpoint_id}"))
            .await,
    );
    check(
        "post",
        "/v1/webhook-endpoints/{id}/rotate-secret",
        &gw.post(
            &format!("/v1/webhook-endpoints/{endpoint_id}/rotate-secret"),
            json!({}),
        )
        .await,
    );

    let created = gw.post("/v1/checkout/sessions", session_body()).await;
    check("post", "/v1/checkout/sessions", &created);
    let id = created.body["id"].as_str().unwrap().to_owned();
    check(
        "post",
        "/v1/checkout/sessions",
        &gw.post("/v1/checkout/sessions", json!({"quantity": 0}))
            .await,
    );
    check(
        "get",
        "/v1/checkout/sessions",
        &gw.get("/v1/checkout/sessions?limit=5").await,
    );
    check(
        "get",
        "/v1/checkout/sessions/{id}",
        &gw.get(&format!("/v1/checkout/sessions/{id}")).await,
    );
    let unauthenticated = gw
        .send(gw.http.get(format!("{}/v1/checkout/sessions/{id}", gw.url)))
        .await;
    check("get", "/v1/checkout/sessions/{id}", &unauthenticated);

    let public = gw
        .send(gw.http.get(format!("{}/v1/pay/{id}", gw.url)))
        .await;
    check("get", "/v1/pay/{id}", &public);
    let quote = gw
        .send(
            gw.http
                .post(format!("{}/v1/pay/{id}/quote", gw.url))
                .json(&json!({"network": "local", "token": "ETH"})),
        )
        .await;
    assert_eq!(quote.status, StatusCode::CREATED, "{}", quote.body);
    check("post", "/v1/pay/{id}/quote", &quote);
    let with_quote = gw
        .send(gw.http.get(format!("{}/v1/pay/{id}", gw.url)))
        .await;
    check("get", "/v1/pay/{id}", &with_quote);
    let bad_quote = gw
        .send(
            gw.http
                .post(format!("{}/v1/pay/{id}/quote", gw.url))
                .json(&json!({"network": "mars", "token": "ETH"})),
        )
        .await;
    check("post", "/v1/pay/{id}/quote", &bad_quote);

    check(
        "post",
        "/v1/checkout/sessions/{id}/expire",
        &gw.post(&format!("/v1/checkout/sessions/{id}/expire"), json!({}))
            .await,
    );
    check(
        "post",
        "/v1/checkout/sessions/{id}/expire",
        &gw.post(&format!("/v1/checkout/sessions/{id}/expire"), json!({}))
            .await,
    );

    until(
        "the events to be delivered",
        std::time::Duration::from_secs(10),
        async || receiver.count() >= 2,
    )
    .await;
    let events = gw.get("/v1/events").await;
    check("get", "/v1/events", &events);
    let event_id = events.body["data"][0]["id"].as_str().unwrap().to_owned();
    check(
        "get",
        "/v1/events/{id}",
        &gw.get(&format!("/v1/events/{event_id}")).await,
    );
    check(
        "post",
        "/v1/events/{id}/redeliver",
        &gw.post(&format!("/v1/events/{event_id}/redeliver"), json!({}))
            .await,
    );

    let key = gw.post("/v1/api-keys", json!({})).await;
    check("post", "/v1/api-keys", &key);
    check("get", "/v1/api-keys", &gw.get("/v1/api-keys").await);
    check(
        "delete",
        "/v1/api-keys/{id}",
        &gw.delete(&format!(
            "/v1/api-keys/{}",
            key.body["id"].as_str().unwrap()
        ))
        .await,
    );
    check(
        "delete",
        "/v1/webhook-endpoints/{id}",
        &gw.delete(&format!("/v1/webhook-endpoints/{endpoint_id}"))
            .await,
    );
}

/// The TypeScript client is generated from a committed copy of the
/// description; a change to the API without regenerating it fails here.
#[test]
fn the_typescript_clients_description_is_the_gateways() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../clients/typescript/openapi.json"
    );
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let current = format!("{}\n", tender_gateway::openapi::document().unwrap());
    assert!(
        committed == current,
        "clients/typescript/openapi.json is stale: run cargo xtask client"
    );
}

/// Generated clients name a method per operation: every operation has an
/// id of its own, and list filters are query parameters (not path ones,
/// which a client would put in the URL's path).
#[test]
fn operation_ids_are_unique_and_filters_are_query_parameters() {
    let spec: Value = serde_json::from_str(&tender_gateway::openapi::document().unwrap()).unwrap();
    let mut ids = std::collections::BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap_or_default();
            assert!(!id.is_empty(), "{method} {path} has no operationId");
            assert!(ids.insert(id.to_owned()), "{id} is used twice");
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                if parameter["in"] == "path" {
                    let name = parameter["name"].as_str().unwrap();
                    assert!(
                        path.contains(&format!("{{{name}}}")),
                        "{method} {path}: {name} is not in the path"
                    );
                }
            }
        }
    }
    assert!(ids.contains("createCheckoutSessions"), "{ids:?}");
    assert!(ids.contains("listCheckoutSessions"), "{ids:?}");
}

/// A receiver can be generated too: every event type is a webhook, a POST
/// of the `Event` with the three Standard Webhooks headers.
#[test]
fn every_event_type_is_a_documented_webhook() {
    let spec: Value = serde_json::from_str(&tender_gateway::openapi::document().unwrap()).unwrap();
    let hooks = spec["webhooks"].as_object().unwrap();
    assert_eq!(hooks.len(), tender_protocol::EventType::ALL.len());
    for kind in tender_protocol::EventType::ALL {
        let post = &hooks[kind.as_str()]["post"];
        assert_eq!(
            post["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Event",
            "{}",
            kind.as_str()
        );
        let headers: Vec<&str> = post["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["in"] == "header" && p["required"] == true)
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            headers,
            ["webhook-id", "webhook-timestamp", "webhook-signature"]
        );
    }
    assert!(spec["components"]["schemas"]["Event"].is_object());
}

/// The spec's limits are the gateway's: a value at a stated bound is
/// taken, one past it (or outside the stated form) refused, for each free
/// text and URL a merchant sends.
#[tokio::test]
async fn what_the_schema_allows_is_taken_and_what_it_forbids_is_refused() {
    use tender_protocol::limits::{MAX_NAME_CHARS, MAX_TEXT_CHARS, MAX_URL_CHARS};
    let spec: Value = serde_json::from_str(&tender_gateway::openapi::document().unwrap()).unwrap();
    let schemas = &spec["components"]["schemas"];
    let product = &schemas["CreateProduct"]["properties"];
    assert_eq!(product["name"]["maxLength"], MAX_NAME_CHARS);
    assert_eq!(product["description"]["maxLength"], MAX_TEXT_CHARS);
    for url in [
        &product["imageUrl"],
        &schemas["CreateSession"]["oneOf"][0]["properties"]["successUrl"],
        &schemas["CreateSession"]["oneOf"][0]["properties"]["cancelUrl"],
        &schemas["CreatePaymentLink"]["oneOf"][0]["properties"]["successUrl"],
        &schemas["CreateWebhookEndpoint"]["properties"]["url"],
    ] {
        assert_eq!(url["maxLength"], MAX_URL_CHARS, "{url}");
        assert_eq!(url["format"], "uri", "{url}");
    }

    let gw = gateway_with(|_| {}).await;
    let make = async |name: String, description: String, image: String| {
        gw.post(
            "/v1/products",
            json!({"name": name, "description": description, "imageUrl": image,
                   "price": {"amount": "1.00", "currency": "USD"}}),
        )
        .await
        .status
    };
    // "é" is one character and two bytes: lengths are characters.
    let url_of = |chars: usize| {
        let head = "https://shop.example/";
        format!("{head}{}", "é".repeat(chars - head.len()))
    };
    let ok = || ("Mug".to_owned(), "d".to_owned(), url_of(40));
    let at_bounds = make(
        "n".repeat(MAX_NAME_CHARS),
        "d".repeat(MAX_TEXT_CHARS),
        url_of(MAX_URL_CHARS),
    )
    .await;
    assert_eq!(at_bounds, StatusCode::CREATED);
    for (name, description, image) in [
        ("n".repeat(MAX_NAME_CHARS + 1), ok().1, ok().2),
        ("   ".to_owned(), ok().1, ok().2),
        (ok().0, "d".repeat(MAX_TEXT_CHARS + 1), ok().2),
        (ok().0, ok().1, url_of(MAX_URL_CHARS + 1)),
        (ok().0, ok().1, "ftp://shop.example/mug.png".to_owned()),
    ] {
        let refused = make(name.clone(), description.clone(), image.clone()).await;
        assert_eq!(
            refused,
            StatusCode::BAD_REQUEST,
            "{} / {} / {}",
            name.len(),
            description.len(),
            image.len()
        );
    }
}

/// The spec's enums are the gateway's: every event type it lists for a
/// made-up event or an endpoint's subscription is taken, and any other
/// (or none) refused.
#[tokio::test]
async fn the_event_type_enums_are_exactly_what_the_gateway_takes() {
    let spec: Value = serde_json::from_str(&tender_gateway::openapi::document().unwrap()).unwrap();
    let schemas = &spec["components"]["schemas"];
    let names = |schema: &Value| -> Vec<String> {
        schema["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let triggerable = names(&schemas["TriggerEvent"]["properties"]["type"]);
    let subscribable =
        names(&schemas["CreateWebhookEndpoint"]["properties"]["enabledEvents"]["items"]);
    assert_eq!(
        schemas["CreateWebhookEndpoint"]["properties"]["enabledEvents"]["minItems"],
        1
    );

    let gw = gateway_with(|_| {}).await;
    for kind in &triggerable {
        let made = gw.post("/v1/test-events", json!({"type": kind})).await;
        assert_eq!(made.status, StatusCode::CREATED, "{kind}: {:?}", made.body);
    }
    for kind in tender_protocol::EventType::ALL.map(|k| k.as_str()) {
        if !triggerable.iter().any(|t| t == kind) {
            let refused = gw.post("/v1/test-events", json!({"type": kind})).await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{kind}");
        }
    }
    // Each endpoint is removed once made: a merchant may have only so many.
    let subscribe = async |events: Value| {
        let made = gw
            .post(
                "/v1/webhook-endpoints",
                json!({"url": "http://127.0.0.1:9/hook", "enabledEvents": events}),
            )
            .await;
        if let Some(id) = made.body["id"].as_str() {
            gw.delete(&format!("/v1/webhook-endpoints/{id}")).await;
        }
        made.status
    };
    assert_eq!(subscribe(json!(subscribable)).await, StatusCode::CREATED);
    for kind in &subscribable {
        assert_eq!(
            subscribe(json!([kind])).await,
            StatusCode::CREATED,
            "{kind}"
        );
    }
    assert_eq!(subscribe(json!([])).await, StatusCode::BAD_REQUEST);
    assert_eq!(
        subscribe(json!(["session.nothing"])).await,
        StatusCode::BAD_REQUEST
    );
}

/// The spec's numeric bounds are the gateway's: a session's quantity and
/// lifetime at each stated bound are taken, one past it refused.
#[tokio::test]
async fn a_sessions_quantity_and_lifetime_bounds_are_the_gateways() {
    use tender_protocol::limits::{EXPIRY_SECONDS, MAX_QUANTITY};
    let spec: Value = serde_json::from_str(&tender_gateway::openapi::document().unwrap()).unwrap();
    let create = &spec["components"]["schemas"]["CreateSession"]["oneOf"][0]["properties"];
    assert_eq!(create["quantity"]["minimum"], 1);
    assert_eq!(create["quantity"]["maximum"], MAX_QUANTITY);
    assert_eq!(
        create["expiresInSeconds"]["minimum"],
        *EXPIRY_SECONDS.start()
    );
    assert_eq!(create["expiresInSeconds"]["maximum"], *EXPIRY_SECONDS.end());
    let link = &spec["components"]["schemas"]["CreatePaymentLink"]["oneOf"][0]["properties"];
    assert_eq!(link["quantity"]["maximum"], MAX_QUANTITY);

    let gw = gateway_with(offline_eth).await;
    let create = async |patch: Value| {
        gw.post("/v1/checkout/sessions", patched(session_body(), patch))
            .await
            .status
    };
    for (patch, taken) in [
        (json!({"quantity": 1}), true),
        (json!({"quantity": MAX_QUANTITY}), true),
        (json!({"quantity": 0}), false),
        (json!({"quantity": MAX_QUANTITY + 1}), false),
        (json!({"expiresInSeconds": EXPIRY_SECONDS.start()}), true),
        (json!({"expiresInSeconds": EXPIRY_SECONDS.end()}), true),
        (
            json!({"expiresInSeconds": EXPIRY_SECONDS.start() - 1}),
            false,
        ),
        (json!({"expiresInSeconds": EXPIRY_SECONDS.end() + 1}), false),
    ] {
        let want = if taken {
            StatusCode::CREATED
        } else {
            StatusCode::BAD_REQUEST
        };
        assert_eq!(create(patch.clone()).await, want, "{patch}");
    }
}
