//! A typed client of the Tender gateway API, and webhook verification: what a
//! merchant's Rust backend links against.
//!
//! Every POST carries an `Idempotency-Key` (one per logical call, reused by
//! its retries); network errors and 5xx answers are retried with backoff.
//!
//! ```no_run
//! # async fn demo() -> Result<(), tender_client::Error> {
//! use tender_client::Client;
//! use tender_protocol::{CreateSession, Metadata, ProductId};
//!
//! let tender = Client::new("http://127.0.0.1:4000", "sk_test_...")?;
//! let session = tender
//!     .create_session(&CreateSession {
//!         product_id: Some(ProductId::parse("prod_tshirt").unwrap()),
//!         product_data: None,
//!         quantity: 1,
//!         line_items: Vec::new(),
//!         metadata: Metadata::default(),
//!         success_url: "https://shop.example/success".into(),
//!         cancel_url: None,
//!         expires_in_seconds: None,
//!         underpayment_tolerance: None,
//!         locale: None,
//!     })
//!     .await?;
//! println!("send the shopper to {}", session.payment_url);
//! # Ok(()) }
//! ```

use std::fmt;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tender_protocol::{ErrorBody, ErrorDetail, IdempotencyKey};
use url::Url;

mod resources;
mod webhook;
pub use webhook::{WebhookError, verify_webhook};

/// The scopes a shop's server needs to sell: create and read Checkout
/// Sessions, read the product library. Give it a key with only these
/// (`POST /v1/api-keys {"scopes": [...]}`); keep the standard key for
/// the merchant's own tools.
pub const SHOP_SERVER_SCOPES: [tender_protocol::Scope; 3] = [
    tender_protocol::Scope::SessionsRead,
    tender_protocol::Scope::SessionsWrite,
    tender_protocol::Scope::ProductsRead,
];

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The gateway answered with an error body.
    #[error("gateway answered {status}: {}", .detail.message)]
    Api {
        status: StatusCode,
        detail: ErrorDetail,
    },
    /// The gateway could not be reached, or answered something unreadable.
    #[error("cannot reach the gateway: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("invalid gateway URL: {0}")]
    Url(#[from] url::ParseError),
}

impl Error {
    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// How calls are retried: on network errors and 5xx answers, with
/// exponential backoff.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// Wait before the second attempt; doubled each time.
    pub backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            attempts: 3,
            backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(2),
        }
    }
}

/// A client of one gateway, authenticated with one secret key.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    api_key: String,
    retry: Retry,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("api_key", &"sk_***")
            .finish()
    }
}

/// One request: what to send, and the idempotency key its retries share.
struct Call<'a> {
    method: Method,
    path: String,
    query: Option<String>,
    body: Option<Vec<u8>>,
    idempotency_key: Option<&'a str>,
}

impl Client {
    /// A client of the gateway at `base_url` using `api_key` (`sk_test_...`).
    pub fn new(base_url: &str, api_key: &str) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("tender-client/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            base: Url::parse(base_url)?,
            api_key: api_key.to_owned(),
            retry: Retry::default(),
        })
    }

    /// The same client with another retry policy.
    pub fn with_retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    async fn send<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<T, Error> {
        let mut url = self.base.join(&call.path)?;
        url.set_query(call.query.as_deref().filter(|q| !q.is_empty()));
        // One key per logical call: a retry of a POST that did reach the
        // gateway gets the first answer instead of acting twice.
        let generated;
        let key = match (call.idempotency_key, &call.method) {
            (Some(key), _) => Some(key),
            (None, &Method::POST) => {
                generated = IdempotencyKey::generate();
                Some(generated.as_str())
            }
            (None, _) => None,
        };
        let mut backoff = self.retry.backoff;
        let mut attempt = 1;
        loop {
            let mut request = self
                .http
                .request(call.method.clone(), url.clone())
                .bearer_auth(&self.api_key);
            if let Some(key) = key {
                request = request.header(IdempotencyKey::HEADER, key);
            }
            if let Some(body) = &call.body {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            let retryable = match request.send().await {
                Ok(response) if response.status().is_server_error() => {
                    if attempt >= self.retry.attempts {
                        return Err(api_error(response).await);
                    }
                    true
                }
                Ok(response) if response.status().is_success() => {
                    return Ok(response.json().await?);
                }
                Ok(response) => return Err(api_error(response).await),
                Err(err)
                    if attempt >= self.retry.attempts
                        || !(err.is_connect() || err.is_timeout()) =>
                {
                    return Err(err.into());
                }
                Err(_) => true,
            };
            debug_assert!(retryable);
            tokio_sleep(backoff).await;
            backoff = (backoff * 2).min(self.retry.max_backoff);
            attempt += 1;
        }
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: String,
        query: Option<&impl Serialize>,
    ) -> Result<T, Error> {
        let query = query.map(|q| serde_urlencoded::to_string(q).unwrap_or_default());
        self.send(Call {
            method: Method::GET,
            path,
            query,
            body: None,
            idempotency_key: None,
        })
        .await
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: String,
        body: &impl Serialize,
        idempotency_key: Option<&str>,
    ) -> Result<T, Error> {
        let body = serde_json::to_vec(body).expect("wire types always serialize");
        self.send(Call {
            method: Method::POST,
            path,
            query: None,
            body: Some(body),
            idempotency_key,
        })
        .await
    }

    async fn put<T: DeserializeOwned>(
        &self,
        path: String,
        body: &impl Serialize,
    ) -> Result<T, Error> {
        let body = serde_json::to_vec(body).expect("wire types always serialize");
        self.send(Call {
            method: Method::PUT,
            path,
            query: None,
            body: Some(body),
            idempotency_key: None,
        })
        .await
    }

    async fn delete<T: DeserializeOwned>(&self, path: String) -> Result<T, Error> {
        self.send(Call {
            method: Method::DELETE,
            path,
            query: None,
            body: None,
            idempotency_key: None,
        })
        .await
    }
}

async fn api_error(response: reqwest::Response) -> Error {
    let status = response.status();
    let detail = match response.json::<ErrorBody>().await {
        Ok(body) => body.error,
        Err(_) => ErrorDetail {
            kind: tender_protocol::ErrorType::Api,
            message: format!("unexpected answer {status}"),
            param: None,
        },
    };
    Error::Api { status, detail }
}

async fn tokio_sleep(duration: Duration) {
    tokio::time::sleep(duration).await;
}
