//! The companion server's error type and its HTTP answers.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tender_protocol::{ErrorBody, ErrorDetail, ErrorType};

#[derive(Debug, thiserror::Error)]
pub enum ShopError {
    #[error("{message}")]
    InvalidRequest {
        message: String,
        param: Option<&'static str>,
    },
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("too many checkouts")]
    TooMany { retry_after: u64 },
    #[error("webhook rejected: {0}")]
    BadWebhook(String),
    #[error("payment platform unavailable: {0}")]
    Gateway(#[from] tender_client::Error),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl IntoResponse for ShopError {
    fn into_response(self) -> Response {
        let (status, kind, message, param) = match &self {
            ShopError::InvalidRequest { message, param } => (
                StatusCode::BAD_REQUEST,
                ErrorType::InvalidRequest,
                message.clone(),
                param.map(str::to_owned),
            ),
            ShopError::TooMany { retry_after } => {
                let body = ErrorBody {
                    error: ErrorDetail {
                        kind: ErrorType::RateLimited,
                        message: format!(
                            "Too many checkouts from this address; try again in {retry_after} s"
                        ),
                        param: None,
                    },
                };
                let headers = [(header::RETRY_AFTER, retry_after.to_string())];
                return (StatusCode::TOO_MANY_REQUESTS, headers, Json(body)).into_response();
            }
            ShopError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                ErrorType::NotFound,
                format!("No such {what}"),
                None,
            ),
            ShopError::BadWebhook(why) => (
                StatusCode::BAD_REQUEST,
                ErrorType::InvalidRequest,
                why.clone(),
                None,
            ),
            ShopError::Gateway(err) => {
                tracing::error!(error = %err, "gateway call failed");
                let client_fault = err.status().is_some_and(|s| s.is_client_error());
                let message = if client_fault {
                    "This product cannot be bought right now."
                } else {
                    "The payment service is unavailable; please try again in a moment."
                };
                (
                    StatusCode::BAD_GATEWAY,
                    ErrorType::Upstream,
                    message.to_owned(),
                    None,
                )
            }
            ShopError::Database(err) => {
                tracing::error!(error = %err, "database error");
                internal()
            }
            ShopError::Internal(err) => {
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
        "Something went wrong on our side; please try again.".to_owned(),
        None,
    )
}
