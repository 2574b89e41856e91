//! Checking a merchant's key: every merchant API request authenticates
//! once, in [`require_merchant`], with `Authorization: Bearer sk_test_...`;
//! the merchant goes into the request's extensions, where handlers take it
//! with the [`Merchant`] extractor.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tender_protocol::MerchantId;

use crate::db::Db;
use crate::error::ApiError;
use crate::state::AppState;

/// Prefix of test-mode secret keys.
pub const KEY_PREFIX: &str = "sk_test_";

/// How a key is stored and looked up: never the key itself.
pub fn hash_key(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The merchant whose live (unrevoked) key is in the `Authorization` header.
pub async fn authenticate(db: &Db, headers: &HeaderMap) -> Result<Option<MerchantId>, ApiError> {
    let Some(secret) = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|k| k.starts_with(KEY_PREFIX))
    else {
        return Ok(None);
    };
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT merchant_id FROM api_keys WHERE secret_hash = $1 AND revoked_at IS NULL",
    )
    .bind(hash_key(secret))
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(id,)| MerchantId::parse(&id)).transpose()?)
}

/// The merchant a request's API key belongs to.
#[derive(Debug, Clone)]
pub struct Merchant {
    pub id: MerchantId,
}

/// Middleware of the merchant API: a request without a live key is
/// answered 401 here; one with a key goes on with its [`Merchant`].
pub async fn require_merchant(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    match authenticate(&state.db, request.headers()).await {
        Ok(Some(id)) => {
            request.extensions_mut().insert(Merchant { id });
            next.run(request).await
        }
        Ok(None) => ApiError::Unauthenticated.into_response(),
        Err(err) => err.into_response(),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Merchant {
    type Rejection = ApiError;

    /// The merchant [`require_merchant`] authenticated; a handler outside
    /// the merchant API that asks for one gets 401.
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Merchant>()
            .cloned()
            .ok_or(ApiError::Unauthenticated)
    }
}
