//! Which scope each route of the merchant API needs: one table, checked
//! once per request by the auth middleware, so no handler can forget. A
//! route missing from it is refused to every restricted key (and a test
//! walks the OpenAPI document to keep the table complete).

use axum::http::Method;
use tender_protocol::Scope;

/// The scope `method` on the route `path` (its template, as matched) needs;
/// `None` for a route this table does not know.
pub fn required(method: &Method, path: &str) -> Option<Scope> {
    let read = method == Method::GET;
    let pick = |r: Scope, w: Scope| Some(if read { r } else { w });
    let rest = path.strip_prefix("/v1/")?;
    match rest {
        "checkout/sessions/{id}/refunds" => Some(Scope::RefundsWrite),
        "overview" => read.then_some(Scope::SessionsRead),
        "checkout/sessions" | "checkout/sessions/{id}" | "checkout/sessions/{id}/expire" => {
            pick(Scope::SessionsRead, Scope::SessionsWrite)
        }
        // A link makes sessions for its visitors: the sessions scopes.
        "payment-links"
        | "payment-links/{id}"
        | "payment-links/{id}/deactivate"
        | "payment-links/{id}/activate" => pick(Scope::SessionsRead, Scope::SessionsWrite),
        "products" | "products/{id}" | "products/{id}/archive" => {
            pick(Scope::ProductsRead, Scope::ProductsWrite)
        }
        "events" | "events/{id}" | "events/stream" => read.then_some(Scope::EventsRead),
        "events/{id}/redeliver" | "test-events" => Some(Scope::WebhooksWrite),
        "webhook-endpoints"
        | "webhook-endpoints/{id}"
        | "webhook-endpoints/{id}/enable"
        | "webhook-endpoints/{id}/disable"
        | "webhook-endpoints/{id}/test"
        | "webhook-endpoints/{id}/rotate-secret" => pick(Scope::WebhooksRead, Scope::WebhooksWrite),
        "refunds" | "refunds/{id}" | "refunds/{id}/cancel" => {
            pick(Scope::RefundsRead, Scope::RefundsWrite)
        }
        "api-keys" | "api-keys/{id}" => pick(Scope::KeysRead, Scope::KeysWrite),
        "settlement-destination" | "settlement-destination/options" => {
            pick(Scope::SettlementRead, Scope::SettlementWrite)
        }
        "account/settings" => pick(Scope::AccountRead, Scope::AccountWrite),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_need_their_own_scopes() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(
            required(&get, "/v1/checkout/sessions"),
            Some(Scope::SessionsRead)
        );
        assert_eq!(
            required(&post, "/v1/checkout/sessions/{id}/expire"),
            Some(Scope::SessionsWrite)
        );
        assert_eq!(
            required(&post, "/v1/checkout/sessions/{id}/refunds"),
            Some(Scope::RefundsWrite)
        );
        assert_eq!(
            required(&Method::DELETE, "/v1/api-keys/{id}"),
            Some(Scope::KeysWrite)
        );
        assert_eq!(
            required(&Method::PUT, "/v1/settlement-destination"),
            Some(Scope::SettlementWrite)
        );
        assert_eq!(required(&post, "/v1/events"), None);
        assert_eq!(required(&get, "/v1/unknown"), None);
    }
}
