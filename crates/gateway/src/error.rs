//! The gateway's one error type, and how each error answers over HTTP.

use axum::Json;
use axum::extract::FromRequest;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tender_protocol::{ErrorBody, ErrorDetail, ErrorType};

/// Everything a request can fail with. Client errors say what to fix;
/// internal errors are logged with their context and answered generically.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    InvalidRequest {
        message: String,
        param: Option<&'static str>,
    },
    #[error("invalid API key")]
    Unauthenticated,
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Upstream(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn invalid(param: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidRequest {
            message: message.into(),
            param: Some(param),
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
                param.map(str::to_owned),
            ),
            ApiError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                ErrorType::Authentication,
                "Invalid API key: send `Authorization: Bearer sk_test_...`".to_owned(),
                None,
            ),
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

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        // serde's message names the field and what was wrong with it; no
        // internal detail can leak from parsing the client's own body.
        ApiError::InvalidRequest {
            message: rejection.body_text(),
            param: None,
        }
    }
}

/// `Json` whose rejections answer in Tender's error shape.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl<T: serde::Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
