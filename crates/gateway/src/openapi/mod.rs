//! `GET /openapi.json`: the API's OpenAPI 3.1 description, generated from
//! the handlers' annotations and the wire types, with what they cannot
//! say added (`forms`).

mod forms;

use std::sync::Arc;

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};
use tender_protocol::EventType;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::cashier::{api as pay, live};
use crate::checkout::{links, overview, products, sessions};
use crate::merchants::{api_keys, settings};
use crate::refunds::{api as refunds, claims};
use crate::settlement::destination as settlement;
use crate::state::AppState;
use crate::webhooks::{endpoints as webhook_endpoints, events, stream, trigger};

/// The whole API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tender gateway API",
        version = "1",
        description = "Crypto Checkout Sessions, products, API keys, webhook endpoints and events. \
                       Merchant endpoints take `Authorization: Bearer sk_test_...`; every POST honours \
                       `Idempotency-Key`. Amounts are decimal strings, never floats."
    ),
    paths(
        sessions::create, sessions::list, sessions::show, sessions::expire, overview::show,
        products::create, products::list, products::show, products::archive,
        links::create, links::list, links::show, links::deactivate, links::activate,
        api_keys::create, api_keys::list, api_keys::revoke,
        webhook_endpoints::create, webhook_endpoints::list, webhook_endpoints::show,
        webhook_endpoints::remove, webhook_endpoints::rotate_secret, webhook_endpoints::enable, webhook_endpoints::disable_by_merchant, webhook_endpoints::send_test,
        events::list, events::show, events::redeliver, stream::stream, trigger::trigger,
        pay::show, pay::quote, live::events,
        settlement::show, settlement::update, settlement::options,
        refunds::create, refunds::list, refunds::show, refunds::cancel,
        settings::show, settings::update,
        claims::show, claims::claim,
    ),
    components(schemas(tender_protocol::Event)),
    modifiers(&BearerKey, &OperationIds),
)]
pub struct ApiDoc;

/// Operation ids unique across the API, which generated clients name
/// their methods after: the handler's name (`show`, `list`, …, which
/// repeat from one resource to the next) then the path's own words
/// (`showCheckoutSessions` for `GET /v1/checkout/sessions/{id}`).
struct OperationIds;

/// `["rotate_secret", "webhook-endpoints"]` as `rotateSecretWebhookEndpoints`.
fn camel(words: &[&str]) -> String {
    let mut out = String::new();
    for word in words.iter().flat_map(|w| w.split(['_', '-'])) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            if out.is_empty() {
                out.extend(first.to_lowercase());
            } else {
                out.extend(first.to_uppercase());
            }
            out.push_str(chars.as_str());
        }
    }
    out
}

impl Modify for OperationIds {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let words: Vec<&str> = path
                .split('/')
                .filter(|w| !w.is_empty() && *w != "v1" && !w.starts_with('{'))
                .collect();
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let handler = operation.operation_id.clone().unwrap_or_default();
                let mut parts = vec![handler.as_str()];
                // `expire` on `…/expire` once, not twice.
                parts.extend(words.iter().filter(|w| w.replace('-', "_") != handler));
                operation.operation_id = Some(camel(&parts));
            }
        }
    }
}

struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("sk_test_...")
                    .build(),
            ),
        );
    }
}

/// The description of any gateway: utoipa's, with the product forms and
/// the `Idempotency-Key` header stated, plus the webhooks a merchant's
/// server receives (OpenAPI 3.1 `webhooks`, which utoipa does not model),
/// so a receiver can be generated too.
pub fn spec() -> Value {
    let mut spec = serde_json::to_value(ApiDoc::openapi()).expect("the description serialises");
    if let Some(schemas) = spec["components"]["schemas"].as_object_mut() {
        forms::products(schemas);
        forms::above_zero(schemas);
    }
    forms::idempotency_key(&mut spec["paths"]);
    spec["webhooks"] = webhooks();
    spec
}

/// [`spec`] as this gateway serves it: the networks and tokens it is
/// configured with stated as enums.
pub fn served(config: &crate::config::Config) -> Value {
    let mut spec = spec();
    if let Some(schemas) = spec["components"]["schemas"].as_object_mut() {
        forms::configured(schemas, config);
    }
    spec
}

/// One webhook per event type: a POST of the `Event`, signed as Standard
/// Webhooks sign (the three headers), acknowledged by any 2xx.
fn webhooks() -> Value {
    let header = |name: &str, description: &str| {
        json!({"name": name, "in": "header", "required": true,
               "description": description, "schema": {"type": "string"}})
    };
    let headers = [
        header(
            "webhook-id",
            "The event's id, the same on every attempt: apply each one once.",
        ),
        header(
            "webhook-timestamp",
            "Unix seconds when this attempt was signed; refuse one more than 5 minutes away.",
        ),
        header(
            "webhook-signature",
            "`v1,<base64 HMAC-SHA256>` of `{id}.{timestamp}.{body}` with the endpoint's \
             secret; several, space-separated, while a secret is rotated.",
        ),
    ];
    let hooks: Map<String, Value> = EventType::ALL
        .iter()
        .map(|kind| {
            let name = kind.as_str();
            let words: Vec<&str> = name.split('.').chain(["event"]).collect();
            let hook = json!({"post": {
                "operationId": camel(&words),
                "summary": format!("`{name}`, sent to the endpoints that subscribe to it"),
                "parameters": headers,
                "requestBody": {"required": true, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Event"}}}},
                "responses": {"2XX": {"description": "Received: any 2xx acknowledges the delivery; anything else is retried with backoff."}}
            }});
            (name.to_owned(), hook)
        })
        .collect();
    Value::Object(hooks)
}

/// The description as pretty JSON: what the TypeScript client is
/// generated from (`clients/typescript/openapi.json`, with a final newline).
pub fn document() -> serde_json::Result<String> {
    serde_json::to_string_pretty(&spec())
}

pub fn router(state: &AppState) -> Router<AppState> {
    // Built once: the configuration does not change while the gateway runs.
    let served = Arc::new(served(&state.config));
    Router::new().route(
        "/openapi.json",
        get(move || async move { Json(Value::clone(&served)) }),
    )
}
