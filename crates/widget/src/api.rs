//! The widget's two calls to the merchant's companion server, over the
//! browser's `fetch` (no HTTP library, to keep the bundle small).

use serde::Deserialize;
use serde::de::DeserializeOwned;
use tender_protocol::{CheckoutRequest, CheckoutResponse, Order, OrderId, ProductId};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// The one part of an error body the widget shows: its message. (Only this
/// is parsed: the whole error type costs bundle size for nothing.)
#[derive(Deserialize)]
struct ErrorMessage {
    error: Message,
}

#[derive(Deserialize)]
struct Message {
    message: String,
}

/// Shown when the network itself failed.
const UNREACHABLE: &str = "We could not reach the shop. Check your connection and try again.";

async fn fetch_json<T: DeserializeOwned>(
    method: &str,
    url: &str,
    body: Option<String>,
) -> Result<T, String> {
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(body) = &body {
        init.set_body(&JsValue::from_str(body));
    }
    let request = Request::new_with_str_and_init(url, &init).map_err(|_| UNREACHABLE.to_owned())?;
    let headers = request.headers();
    let _ = headers.set("accept", "application/json");
    if body.is_some() {
        let _ = headers.set("content-type", "application/json");
    }
    let window = web_sys::window().ok_or(UNREACHABLE)?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| UNREACHABLE.to_owned())?
        .unchecked_into();
    let text = JsFuture::from(response.text().map_err(|_| UNREACHABLE.to_owned())?)
        .await
        .map_err(|_| UNREACHABLE.to_owned())?
        .as_string()
        .unwrap_or_default();
    if response.ok() {
        serde_json::from_str(&text)
            .map_err(|_| "The shop answered something unexpected.".to_owned())
    } else {
        Err(match serde_json::from_str::<ErrorMessage>(&text) {
            Ok(body) => body.error.message,
            Err(_) => format!(
                "The shop could not start the payment (error {}).",
                response.status()
            ),
        })
    }
}

/// Creates an order and its Checkout Session; answers where to pay.
pub async fn checkout(
    base: &str,
    product_id: &ProductId,
    quantity: u32,
) -> Result<CheckoutResponse, String> {
    let body = CheckoutRequest {
        product_id: product_id.clone(),
        quantity,
    };
    let body = serde_json::to_string(&body).map_err(|e| e.to_string())?;
    fetch_json("POST", &format!("{base}/api/checkout"), Some(body)).await
}

/// The order's current state.
pub async fn order(base: &str, id: &OrderId) -> Result<Order, String> {
    fetch_json("GET", &format!("{base}/api/orders/{id}"), None).await
}
