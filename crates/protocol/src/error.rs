//! The error body every Tender API answers with:
//! `{"error": {"type": "invalid_request", "message": "...", "param": "successUrl"}}`.

use serde::{Deserialize, Serialize};

/// The kind of failure, which decides the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    /// 400/422: the request is malformed or a field is invalid.
    InvalidRequest,
    /// 401: missing, wrong or revoked API key.
    Authentication,
    /// 403: the API key lacks the scope the request needs.
    Permission,
    /// 404: no such resource (for this merchant).
    NotFound,
    /// 409: conflicts with the resource's state or an earlier idempotent request.
    Conflict,
    /// 429: too many requests.
    RateLimited,
    /// 502/503: an upstream (chain, price feed, gateway) is unavailable.
    Upstream,
    /// 500: our fault; the message is generic and the details are in our logs.
    Api,
}

/// What went wrong, for the developer reading it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    #[serde(rename = "type")]
    pub kind: ErrorType,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
}

/// The JSON body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}
