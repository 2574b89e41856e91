//! The dashboard's calls: its sign-in, and the merchant API under
//! `/dashboard/api`; every change carries the sign-in's CSRF token. Errors
//! come back worded for the reader.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use tender_protocol::{ApiKey, CreateApiKey, Event, EventDetails, List, Scope, Session};
use tender_web::{FetchError, fetch_json_with, to_json};

const BASE: &str = "/dashboard/api";

/// Rows a list page shows.
pub const PAGE: u32 = 25;

/// Who is signed in.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedIn {
    pub email: String,
    pub merchant_id: String,
    pub csrf_token: String,
}

pub fn worded(err: FetchError) -> String {
    match err {
        FetchError::Unreachable => {
            "The gateway did not answer: check your connection and try again.".into()
        }
        FetchError::Unreadable => "The gateway's answer could not be read: reload the page.".into(),
        FetchError::Refused {
            message: Some(message),
            ..
        } => message,
        FetchError::Refused {
            status,
            message: None,
        } => format!("The gateway refused the request ({status})."),
    }
}

pub async fn call<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<String>,
    csrf: Option<&str>,
) -> Result<T, FetchError> {
    let url = format!("{BASE}{path}");
    fetch_json_with(
        method,
        &url,
        body,
        csrf.map(|token| ("x-csrf-token", token)),
    )
    .await
}

/// An empty JSON object, the body of a change that needs none.
#[derive(serde::Serialize)]
pub struct Nothing {}

/// A read of the merchant API, errors worded.
pub async fn read<T: DeserializeOwned>(path: &str) -> Result<T, String> {
    call("GET", path, None, None).await.map_err(worded)
}

/// A change through the merchant API, with the sign-in's CSRF token and
/// `body` as JSON; errors worded.
pub async fn change<T: DeserializeOwned>(
    me: &SignedIn,
    method: &str,
    path: &str,
    body: &impl serde::Serialize,
) -> Result<T, String> {
    let body = to_json(body).ok_or("This request could not be written.")?;
    call(method, path, Some(body), Some(&me.csrf_token))
        .await
        .map_err(worded)
}

/// The sign-in of this browser, if any.
pub async fn me() -> Result<Option<SignedIn>, String> {
    match call("GET", "/session", None, None).await {
        Ok(me) => Ok(Some(me)),
        Err(FetchError::Refused { status: 401, .. }) => Ok(None),
        Err(err) => Err(worded(err)),
    }
}

#[derive(serde::Serialize)]
struct Credentials<'a> {
    email: &'a str,
    password: &'a str,
}

pub async fn sign_in(email: &str, password: &str) -> Result<SignedIn, String> {
    let body =
        to_json(&Credentials { email, password }).ok_or("This request could not be written.")?;
    call("POST", "/session", Some(body), None)
        .await
        .map_err(worded)
}

/// Signs this browser out, or (`everywhere`) every one of the user's.
pub async fn sign_out(me: &SignedIn, everywhere: bool) -> Result<(), String> {
    let path = if everywhere { "/sessions" } else { "/session" };
    call::<()>("DELETE", path, None, Some(&me.csrf_token))
        .await
        .map_err(worded)
}

/// A page of checkout sessions, newest first: `filters` is the list's
/// query (`status=paid&createdGte=…`), `after` the last id already shown.
pub async fn sessions(filters: &str, after: Option<&str>) -> Result<List<Session>, String> {
    let mut path = format!("/v1/checkout/sessions?limit={PAGE}{filters}");
    if let Some(after) = after {
        path.push_str(&format!("&startingAfter={after}"));
    }
    call("GET", &path, None, None).await.map_err(worded)
}

/// The sessions a search names: one by its id (`cs_…`), those a
/// transaction paid (`0x…`), or those with the metadata value (an order id).
pub async fn search(query: &str) -> Result<Vec<Session>, String> {
    if query.starts_with("cs_") {
        return Ok(session(query).await?.into_iter().collect());
    }
    let value = String::from(js_sys::encode_uri_component(query));
    let filter = if query.starts_with("0x") {
        "txHash"
    } else {
        "metadataValue"
    };
    let path = format!("/v1/checkout/sessions?limit=100&{filter}={value}");
    call::<List<Session>>("GET", &path, None, None)
        .await
        .map(|list| list.data)
        .map_err(worded)
}

/// One checkout session, by its id (`None` if there is none of this
/// merchant's).
pub async fn session(id: &str) -> Result<Option<Session>, String> {
    match call("GET", &format!("/v1/checkout/sessions/{id}"), None, None).await {
        Ok(session) => Ok(Some(session)),
        Err(FetchError::Refused { status: 404, .. }) => Ok(None),
        Err(err) => Err(worded(err)),
    }
}

/// The session's events, oldest first.
pub async fn events_of(session: &str) -> Result<Vec<Event>, String> {
    let list: List<Event> = call(
        "GET",
        &format!("/v1/events?sessionId={session}&limit=100"),
        None,
        None,
    )
    .await
    .map_err(worded)?;
    let mut events = list.data;
    events.reverse();
    Ok(events)
}

/// An event with its deliveries and their attempts.
pub async fn event(id: &str) -> Result<EventDetails, String> {
    call("GET", &format!("/v1/events/{id}"), None, None)
        .await
        .map_err(worded)
}

/// Sends an event again to every endpoint subscribed to it.
pub async fn redeliver(me: &SignedIn, id: &str) -> Result<EventDetails, String> {
    call(
        "POST",
        &format!("/v1/events/{id}/redeliver"),
        Some("{}".to_owned()),
        Some(&me.csrf_token),
    )
    .await
    .map_err(worded)
}

/// The merchant's API keys, newest first (revoked ones too).
pub async fn keys() -> Result<Vec<ApiKey>, String> {
    call::<List<ApiKey>>("GET", "/v1/api-keys?limit=100", None, None)
        .await
        .map(|list| list.data)
        .map_err(worded)
}

/// A new key with `scopes` (none: a standard key); its secret is in the
/// answer, once.
pub async fn create_key(me: &SignedIn, scopes: &[Scope]) -> Result<ApiKey, String> {
    let request = CreateApiKey {
        scopes: (!scopes.is_empty()).then(|| scopes.to_vec()),
    };
    let body = to_json(&request).ok_or("This request could not be written.")?;
    call("POST", "/v1/api-keys", Some(body), Some(&me.csrf_token))
        .await
        .map_err(worded)
}

/// Revokes a key, and every key it made.
pub async fn revoke_key(me: &SignedIn, id: &str) -> Result<(), String> {
    call::<ApiKey>(
        "DELETE",
        &format!("/v1/api-keys/{id}"),
        None,
        Some(&me.csrf_token),
    )
    .await
    .map(drop)
    .map_err(worded)
}
