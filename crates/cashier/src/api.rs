//! The cashier's calls to the gateway's public API (same origin), over the
//! browser's `fetch` (no HTTP library: the bundle stays small).

use serde::Deserialize;
use serde::de::DeserializeOwned;
use tender_protocol::{CreateQuote, PublicSession, Quote, SessionId};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

const UNREACHABLE: &str = "We could not reach the payment service. Check your connection.";

/// The one part of the gateway's error body the page shows: its message.
/// (Only this is parsed: the whole error type costs bundle size for nothing.)
#[derive(Deserialize)]
struct ErrorMessage {
    error: Message,
}

#[derive(Deserialize)]
struct Message {
    message: String,
}

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
    if body.is_some() {
        let _ = request.headers().set("content-type", "application/json");
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
            .map_err(|_| "The payment service answered something unexpected.".to_owned())
    } else {
        Err(match serde_json::from_str::<ErrorMessage>(&text) {
            Ok(body) => body.error.message,
            Err(_) => format!("The payment service failed (error {}).", response.status()),
        })
    }
}

/// The session as the shopper may see it.
pub async fn session(id: &SessionId) -> Result<PublicSession, String> {
    fetch_json("GET", &format!("/v1/pay/{id}"), None).await
}

/// A fresh quote in `token` on `network`.
pub async fn quote(id: &SessionId, network: &str, token: &str) -> Result<Quote, String> {
    let body = CreateQuote {
        network: network.to_owned(),
        token: token.to_owned(),
    };
    let body = serde_json::to_string(&body).map_err(|e| e.to_string())?;
    fetch_json("POST", &format!("/v1/pay/{id}/quote"), Some(body)).await
}
