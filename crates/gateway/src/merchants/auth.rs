//! Checking a merchant's key: every merchant API request authenticates
//! once, in [`require_merchant`], with `Authorization: Bearer sk_test_...`,
//! and is held to the scope its route needs (`scopes`); the merchant goes
//! into the request's extensions, where handlers take it with the
//! [`Merchant`] extractor.

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tender_protocol::scope::grants;
use tender_protocol::{ApiKeyId, MerchantId, Scope};

use crate::error::ApiError;
pub use crate::merchants::key_cache::Merchant;
use crate::merchants::scopes;
use crate::state::AppState;

/// Prefix of test-mode secret keys.
pub const KEY_PREFIX: &str = "sk_test_";

/// How a key is stored and looked up: never the key itself.
pub fn hash_key(secret: &str) -> String {
    alloy::hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The key in the `Authorization` header, if it and every key above it
/// (the one that created it, and so on) are unrevoked.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Merchant>, ApiError> {
    let Some(secret) = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|k| k.starts_with(KEY_PREFIX))
    else {
        return Ok(None);
    };
    let hash = hash_key(secret);
    if let Some(merchant) = state.keys.get(&hash) {
        return Ok(Some(merchant));
    }
    let version = state.keys.version();
    // The key and its ancestors; a revoked one anywhere in the chain ends
    // it (a child made while its parent was being revoked dies too).
    let chain: Vec<(String, String, String, Option<i64>)> = sqlx::query_as(
        "WITH RECURSIVE chain(id, merchant_id, scopes, revoked_at, parent_id, depth) AS (
             SELECT id, merchant_id, scopes, revoked_at, parent_id, 0
             FROM api_keys WHERE secret_hash = $1
             UNION ALL
             SELECT k.id, k.merchant_id, k.scopes, k.revoked_at, k.parent_id, c.depth + 1
             FROM api_keys k JOIN chain c ON k.id = c.parent_id
             WHERE c.depth < 64
         )
         SELECT id, merchant_id, scopes, revoked_at FROM chain ORDER BY depth",
    )
    .bind(&hash)
    .fetch_all(&state.db)
    .await?;
    let Some((key_id, merchant_id, scopes, _)) = chain.first() else {
        return Ok(None);
    };
    if chain.iter().any(|(.., revoked)| revoked.is_some()) {
        return Ok(None);
    }
    let merchant = Merchant {
        id: MerchantId::parse(merchant_id)?,
        key: Some(ApiKeyId::parse(key_id)?),
        scopes: parse_scopes(scopes)?,
    };
    state.keys.put(hash, merchant.clone(), version);
    Ok(Some(merchant))
}

/// Scopes as stored: space-separated names.
pub fn parse_scopes(stored: &str) -> anyhow::Result<Vec<Scope>> {
    stored
        .split_whitespace()
        .map(|s| Scope::parse(s).ok_or_else(|| anyhow::anyhow!("unknown stored scope {s:?}")))
        .collect()
}

/// Middleware of the merchant API: a request without a live key is
/// answered 401 here, one whose key lacks the route's scope 403; one with
/// a key that may goes on with its [`Merchant`].
pub async fn require_merchant(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let merchant = match authenticate(&state, request.headers()).await {
        Ok(Some(merchant)) => merchant,
        Ok(None) => return ApiError::Unauthenticated.into_response(),
        Err(err) => return err.into_response(),
    };
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    // A route the table does not know needs the standard key's "*".
    let needed = scopes::required(request.method(), &route).unwrap_or(Scope::All);
    if !grants(&merchant.scopes, needed) {
        return ApiError::Forbidden(needed).into_response();
    }
    request.extensions_mut().insert(merchant);
    next.run(request).await
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
