//! What Tender's browser bundles (the widget, the cashier, the dashboard) share: JSON
//! calls over gloo-net, with errors typed so each bundle words them for its
//! own reader, leaving the page for another (`go_to`), and waiting between
//! polls (`sleep`), and the shopper's language (`i18n`) and locale's way
//! of writing amounts and times (`intl`).

pub mod i18n;
pub mod intl;
mod json;

use std::future::Future;
use std::pin::Pin;

use gloo_net::http::{Request, RequestBuilder};
pub use json::{from_json, to_json};
use serde::Deserialize;
use serde::de::DeserializeOwned;

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

/// Sends `body` (JSON) with `method` (`GET`, `POST`, `PUT` or `DELETE`)
/// to `url` and reads a JSON answer.
pub async fn fetch_json<T: DeserializeOwned>(
    method: &str,
    url: &str,
    body: Option<String>,
) -> Result<T, FetchError> {
    fetch_json_with(method, url, body, None).await
}

/// [`fetch_json`] with one more request header (the dashboard's CSRF
/// token); an answer without a body (`204`) reads as JSON `null`.
pub async fn fetch_json_with<T: DeserializeOwned>(
    method: &str,
    url: &str,
    body: Option<String>,
    header: Option<(&str, &str)>,
) -> Result<T, FetchError> {
    let text = fetch_text(method, url, body, header).await?;
    from_json(if text.is_empty() { "null" } else { &text }).ok_or(FetchError::Unreadable)
}

/// The body of a success answer to a JSON call. Not generic, and boxed,
/// so every bundle carries the HTTP code once, whatever types its calls
/// read and however many places call it.
pub fn fetch_text<'a>(
    method: &'a str,
    url: &'a str,
    body: Option<String>,
    header: Option<(&'a str, &'a str)>,
) -> Pin<Box<dyn Future<Output = Result<String, FetchError>> + 'a>> {
    Box::pin(fetch_text_inline(method, url, body, header))
}

async fn fetch_text_inline(
    method: &str,
    url: &str,
    body: Option<String>,
    header: Option<(&str, &str)>,
) -> Result<String, FetchError> {
    let mut builder: RequestBuilder = match method {
        "POST" => Request::post(url),
        "PUT" => Request::put(url),
        "DELETE" => Request::delete(url),
        _ => Request::get(url),
    }
    .header("accept", "application/json");
    if let Some((name, value)) = header {
        builder = builder.header(name, value);
    }
    let request = match body {
        Some(body) => builder
            .header("content-type", "application/json")
            .body(body),
        None => builder.build(),
    }
    .map_err(|_| FetchError::Unreachable)?;
    let response = request.send().await.map_err(|_| FetchError::Unreachable)?;
    let text = response.text().await.map_err(|_| FetchError::Unreachable)?;
    if response.ok() {
        Ok(text)
    } else {
        Err(FetchError::Refused {
            status: response.status(),
            message: from_json::<ErrorMessage>(&text).map(|b| b.error.message),
        })
    }
}

/// Sends the browser to `url` (`window.location.href = url`).
pub fn go_to(url: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(url);
    }
}

/// Waits `duration` on the page's clock (`setTimeout`), between polls.
pub async fn sleep(duration: std::time::Duration) {
    let ms = i32::try_from(duration.as_millis()).unwrap_or(i32::MAX);
    let timer = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(timer).await;
}
