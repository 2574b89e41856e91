//! `GET /openapi.json`: the API's OpenAPI 3.1 description, generated from
//! the handlers' annotations and the wire types.

use axum::routing::get;
use axum::{Json, Router};
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

/// The description as pretty JSON: what the TypeScript client is
/// generated from (`clients/typescript/openapi.json`, with a final newline).
pub fn document() -> serde_json::Result<String> {
    ApiDoc::openapi().to_pretty_json()
}

pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
}
