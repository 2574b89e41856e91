//! The gateway's one error type, and how each error answers over HTTP.

use std::borrow::Cow;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use tender_protocol::chain::InvalidHex;
use tender_protocol::ids::InvalidId;
use tender_protocol::{ErrorBody, ErrorDetail, ErrorType, Scope};

/// Largest request body accepted; larger ones are answered 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Everything a request can fail with. Client errors say what to fix;
/// internal errors are logged with their context and answered generically.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    InvalidRequest {
        message: String,
        param: Option<Cow<'static, str>>,
    },
    #[error("invalid API key")]
    Unauthenticated,
    /// The dashboard: no sign-in, or it has expired.
    #[error("not signed in")]
    SignedOut,
    /// The dashboard's sign-in: no such user, or the wrong password.
    #[error("wrong email or password")]
    WrongCredentials,
    /// A dashboard change without its sign-in's CSRF token.
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error("this API key lacks the {} scope", .0.as_str())]
    Forbidden(Scope),
    #[error("no such {0}")]
    NotFound(&'static str),
    /// 429 with `Retry-After`: `message` says which limit.
    #[error("{message}")]
    RateLimited { message: String, retry_after: u64 },
    #[error("{0}")]
    Conflict(String),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("{0}")]
    Upstream(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Encoding or decoding stored JSON (never a request body: those go through
/// [`parse_json`], which names the field) fails only on our side.
impl From<serde_json::Error> for ApiError {
    fn from(err: serde_json::Error) -> Self {
        ApiError::Internal(err.into())
    }
}

/// A malformed id or address read back from storage is our fault. (An id in
/// a request's path is answered 404 before it gets here.)
impl From<InvalidId> for ApiError {
    fn from(err: InvalidId) -> Self {
        ApiError::Internal(err.into())
    }
}

impl From<InvalidHex> for ApiError {
    fn from(err: InvalidHex) -> Self {
        ApiError::Internal(err.into())
    }
}

impl ApiError {
    pub fn invalid(param: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidRequest {
            message: message.into(),
            param: Some(Cow::Borrowed(param)),
        }
    }

    /// A bad request about a part of a list: `param` and the message are
    /// put under `place` (`quantity` of `lineItems[2]` becomes
    /// `lineItems[2].quantity`). Other errors pass unchanged.
    pub fn within(self, place: &str) -> Self {
        match self {
            Self::InvalidRequest { message, param } => Self::InvalidRequest {
                message: format!("{place}: {message}"),
                param: Some(Cow::Owned(match param {
                    Some(param) => format!("{place}.{param}"),
                    None => place.to_owned(),
                })),
            },
            other => other,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind, message, param) = match &self {
            ApiError::InvalidRequest { message, param } => (
                StatusCode::BAD_REQUEST,
                ErrorType::InvalidRequest,
                message.clone(),
                param.as_ref().map(|p| p.to_string()),
            ),
            ApiError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                ErrorType::Authentication,
                "Invalid API key: send `Authorization: Bearer sk_test_...`".to_owned(),
                None,
            ),
            ApiError::SignedOut => (
                StatusCode::UNAUTHORIZED,
                ErrorType::Authentication,
                "Not signed in, or the sign-in has expired: sign in again".to_owned(),
                None,
            ),
            ApiError::WrongCredentials => (
                StatusCode::UNAUTHORIZED,
                ErrorType::Authentication,
                "Wrong email or password".to_owned(),
                None,
            ),
            ApiError::Csrf => (
                StatusCode::FORBIDDEN,
                ErrorType::Permission,
                "This change lacks the X-CSRF-Token the dashboard was given at sign-in; reload the page"
                    .to_owned(),
                None,
            ),
            ApiError::Forbidden(scope) => (
                StatusCode::FORBIDDEN,
                ErrorType::Permission,
                format!(
                    "This API key lacks the {} scope; use a key that has it, or create one with it",
                    scope.as_str()
                ),
                None,
            ),
            ApiError::RateLimited {
                message,
                retry_after,
            } => {
                let body = ErrorBody {
                    error: ErrorDetail {
                        kind: ErrorType::RateLimited,
                        message: message.clone(),
                        param: None,
                    },
                };
                let headers = [(axum::http::header::RETRY_AFTER, retry_after.to_string())];
                return (StatusCode::TOO_MANY_REQUESTS, headers, Json(body)).into_response();
            }
            ApiError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                ErrorType::NotFound,
                format!("No such {what}"),
                None,
            ),
            ApiError::Conflict(message) => (
                StatusCode::CONFLICT,
                ErrorType::Conflict,
                message.clone(),
                None,
            ),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorType::InvalidRequest,
                format!(
                    "The request body is larger than {} KiB",
                    MAX_BODY_BYTES / 1024
                ),
                None,
            ),
            ApiError::Upstream(message) => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorType::Upstream,
                message.clone(),
                None,
            ),
            ApiError::Database(err) => {
                tracing::error!(error = %err, "database error");
                internal()
            }
            ApiError::Internal(err) => {
                tracing::error!(error = format!("{err:#}"), "internal error");
                internal()
            }
        };
        let body = ErrorBody {
            error: ErrorDetail {
                kind,
                message,
                param,
            },
        };
        (status, Json(body)).into_response()
    }
}

fn internal() -> (StatusCode, ErrorType, String, Option<String>) {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorType::Api,
        "Something went wrong on our side; it has been logged.".to_owned(),
        None,
    )
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::InvalidRequest {
            message: rejection.body_text(),
            param: None,
        }
    }
}

/// `Query` whose rejections answer in Tender's error shape.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// A JSON body whose rejections answer in Tender's error shape, naming the
/// offending field (`productData.price.amount`) as the `param`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(ApiError::InvalidRequest {
                message: "send a JSON body with Content-Type: application/json".into(),
                param: None,
            });
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::InvalidRequest {
                    message: e.body_text(),
                    param: None,
                }
            }
        })?;
        // serde would take a struct's fields as an array too (`[null, 1]`);
        // every body of this API is an object.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::InvalidRequest {
                message: "invalid JSON body: send a JSON object".into(),
                param: None,
            });
        }
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses a JSON body, naming the field an error is about.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let message = err.inner().to_string();
        // serde reports a missing or unknown field at its parent: name the field itself.
        let field = ["missing field `", "unknown field `"]
            .iter()
            .find_map(|p| message.strip_prefix(p))
            .and_then(|rest| rest.split('`').next());
        let param = match (path.as_str(), field) {
            (".", Some(field)) => Some(field.to_owned()),
            (parent, Some(field)) => Some(format!("{parent}.{field}")),
            (".", None) => None,
            (path, None) => Some(path.to_owned()),
        };
        // Drop serde's "at line 1 column 42": the param says where.
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_owned();
        ApiError::InvalidRequest {
            message: match &param {
                Some(p) => format!("{p}: {message}"),
                None => format!("invalid JSON body: {message}"),
            },
            param: param.map(Cow::Owned),
        }
    })
}

impl<T: serde::Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Parses an optional JSON body: empty means the type's default.
pub fn optional_json<T: DeserializeOwned + Default>(body: &[u8]) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    parse_json(body)
}
