//! The widget's two calls to the merchant's companion server.

use tender_protocol::{CartLine, CheckoutRequest, CheckoutResponse, Order, OrderId};
use tender_web::{FetchError, fetch_json};

use crate::words::{t, tf};

/// In words for the shopper (the shop's own message, when it gave one).
fn explain(error: FetchError) -> String {
    match error {
        FetchError::Unreachable => t("error.unreachable"),
        FetchError::Unreadable => t("error.unreadable"),
        FetchError::Refused {
            message: Some(message),
            ..
        } => message,
        FetchError::Refused { status, .. } => tf("error.failed", &[("status", &status)]),
    }
}

/// Creates an order for `items` and its Checkout Session; answers where to
/// pay.
pub async fn checkout(base: &str, items: &[CartLine]) -> Result<CheckoutResponse, String> {
    let body = match items {
        [one] => CheckoutRequest {
            product_id: Some(one.product_id.clone()),
            quantity: one.quantity,
            items: Vec::new(),
        },
        cart => CheckoutRequest {
            product_id: None,
            quantity: 1,
            items: cart.to_vec(),
        },
    };
    let body = tender_web::to_json(&body).ok_or_else(|| t("error.unwritable"))?;
    fetch_json("POST", &format!("{base}/api/checkout"), Some(body))
        .await
        .map_err(explain)
}

/// The order's current state.
pub async fn order(base: &str, id: &OrderId) -> Result<Order, String> {
    fetch_json("GET", &format!("{base}/api/orders/{id}"), None)
        .await
        .map_err(explain)
}
