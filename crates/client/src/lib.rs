//! A typed client of the Tender gateway API, and webhook verification: what a
//! merchant's Rust backend links against.
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
//!         metadata: Metadata::default(),
//!         success_url: "https://shop.example/success".into(),
//!         cancel_url: None,
//!         expires_in_seconds: None,
//!     })
//!     .await?;
//! println!("send the shopper to {}", session.payment_url);
//! # Ok(()) }
//! ```

use std::fmt;

use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tender_protocol::ids::random_token;
use tender_protocol::{
    CreateProduct, CreateSession, CreateWebhookEndpoint, ErrorBody, ErrorDetail, List, Product,
    Session, SessionId, WebhookEndpoint,
};
use url::Url;

mod webhook;
pub use webhook::{WebhookError, verify_webhook};

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

/// A client of one gateway, authenticated with one secret key.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    api_key: String,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("api_key", &"sk_***")
            .finish()
    }
}

impl Client {
    /// A client of the gateway at `base_url` using `api_key` (`sk_test_...`).
    pub fn new(base_url: &str, api_key: &str) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .user_agent(concat!("tender-client/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            base: Url::parse(base_url)?,
            api_key: api_key.to_owned(),
        })
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<T, Error> {
        let url = self.base.join(path)?;
        let mut request = self
            .http
            .request(method.clone(), url)
            .bearer_auth(&self.api_key);
        if method == Method::POST {
            // One key per logical call, so a retried request never acts twice.
            request = request.header("Idempotency-Key", random_token(24));
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status();
        if status.is_success() {
            return Ok(response.json().await?);
        }
        let detail = match response.json::<ErrorBody>().await {
            Ok(body) => body.error,
            Err(_) => ErrorDetail {
                kind: tender_protocol::ErrorType::Api,
                message: format!("unexpected answer {status}"),
                param: None,
            },
        };
        Err(Error::Api { status, detail })
    }

    /// `POST /v1/checkout/sessions`.
    pub async fn create_session(&self, body: &CreateSession) -> Result<Session, Error> {
        self.call(Method::POST, "v1/checkout/sessions", Some(body))
            .await
    }

    /// `GET /v1/checkout/sessions/{id}`: the authoritative state of a session.
    pub async fn get_session(&self, id: &SessionId) -> Result<Session, Error> {
        self.call(
            Method::GET,
            &format!("v1/checkout/sessions/{id}"),
            None::<&()>,
        )
        .await
    }

    /// `POST /v1/products`.
    pub async fn create_product(&self, body: &CreateProduct) -> Result<Product, Error> {
        self.call(Method::POST, "v1/products", Some(body)).await
    }

    /// `GET /v1/products`.
    pub async fn list_products(&self) -> Result<List<Product>, Error> {
        self.call(Method::GET, "v1/products", None::<&()>).await
    }

    /// `POST /v1/webhook-endpoints`; the answer carries the signing secret,
    /// shown this once.
    pub async fn create_webhook_endpoint(
        &self,
        body: &CreateWebhookEndpoint,
    ) -> Result<WebhookEndpoint, Error> {
        self.call(Method::POST, "v1/webhook-endpoints", Some(body))
            .await
    }
}
