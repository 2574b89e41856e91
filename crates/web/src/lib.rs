//! What Tender's browser bundles share: JSON over the browser's `fetch`,
//! with no HTTP library, so the bundles stay small. Each bundle words the
//! errors for its own reader.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// Why a call did not give the expected JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// The network failed: nothing answered.
    Unreachable,
    /// A success answer that is not the expected JSON.
    Unreadable,
    /// An error answer, with the message of its `{"error": {"message"}}`
    /// body when it has one.
    Refused {
        status: u16,
        message: Option<String>,
    },
}

/// The one part of a Tender error body a page shows: its message. (Only
/// this is parsed: the whole error type costs bundle size for nothing.)
#[derive(Deserialize)]
struct ErrorMessage {
    error: Message,
}

#[derive(Deserialize)]
struct Message {
    message: String,
}

/// Sends `body` (JSON) with `method` to `url` and reads a JSON answer.
pub async fn fetch_json<T: DeserializeOwned>(
    method: &str,
    url: &str,
    body: Option<String>,
) -> Result<T, FetchError> {
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(body) = &body {
        init.set_body(&JsValue::from_str(body));
    }
    let request =
        Request::new_with_str_and_init(url, &init).map_err(|_| FetchError::Unreachable)?;
    let headers = request.headers();
    let _ = headers.set("accept", "application/json");
    if body.is_some() {
        let _ = headers.set("content-type", "application/json");
    }
    let window = web_sys::window().ok_or(FetchError::Unreachable)?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| FetchError::Unreachable)?
        .unchecked_into();
    let text = JsFuture::from(response.text().map_err(|_| FetchError::Unreachable)?)
        .await
        .map_err(|_| FetchError::Unreachable)?
        .as_string()
        .unwrap_or_default();
    if response.ok() {
        serde_json::from_str(&text).map_err(|_| FetchError::Unreadable)
    } else {
        Err(FetchError::Refused {
            status: response.status(),
            message: serde_json::from_str::<ErrorMessage>(&text)
                .ok()
                .map(|b| b.error.message),
        })
    }
}
