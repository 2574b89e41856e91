//! Merchant accounts and their API keys. Keys are shown once and stored as
//! SHA-256 hashes; a request authenticates with `Authorization: Bearer sk_test_...`.

use crate::db::Conn;
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};
use tender_protocol::ids::random_token;
use tender_protocol::{ApiKeyId, MerchantId};

use crate::clock::now_seconds;
use crate::db::Db;
use crate::error::ApiError;
use crate::state::AppState;

/// Prefix of test-mode secret keys.
pub const KEY_PREFIX: &str = "sk_test_";

/// A newly created merchant and its first key (the only time the key is seen).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewMerchant {
    pub merchant_id: MerchantId,
    pub api_key: String,
}

fn hash_key(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// `sk_test_…abcd`: enough to recognise a key, useless to use it.
pub fn redact(secret: &str) -> String {
    let tail = &secret[secret.len().saturating_sub(4)..];
    format!("{KEY_PREFIX}…{tail}")
}

/// Creates a new API key for `merchant`; returns its id and secret.
pub async fn create_key(
    conn: &mut Conn,
    merchant: &MerchantId,
) -> Result<(ApiKeyId, String, i64), sqlx::Error> {
    let id = ApiKeyId::generate();
    let secret = format!("{KEY_PREFIX}{}", random_token(32));
    let now = now_seconds();
    sqlx::query(
        "INSERT INTO api_keys (id, merchant_id, secret_hash, redacted, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id.as_str())
    .bind(merchant.as_str())
    .bind(hash_key(&secret))
    .bind(redact(&secret))
    .bind(now)
    .execute(conn)
    .await?;
    Ok((id, secret, now))
}

/// Creates a merchant account with one API key.
pub async fn create(db: &Db, name: &str) -> Result<NewMerchant, sqlx::Error> {
    let merchant_id = MerchantId::generate();
    let mut tx = db.begin().await?;
    sqlx::query("INSERT INTO merchants (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(merchant_id.as_str())
        .bind(name)
        .bind(now_seconds())
        .execute(&mut *tx)
        .await?;
    let (_, api_key, _) = create_key(&mut tx, &merchant_id).await?;
    tx.commit().await?;
    Ok(NewMerchant {
        merchant_id,
        api_key,
    })
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
    row.map(|(id,)| {
        MerchantId::parse(&id).map_err(|e| anyhow::anyhow!("stored merchant id {id:?}: {e}").into())
    })
    .transpose()
}

/// The merchant a request's API key belongs to.
#[derive(Debug, Clone)]
pub struct Merchant {
    pub id: MerchantId,
}

impl FromRequestParts<AppState> for Merchant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let id = authenticate(&state.db, &parts.headers)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        Ok(Merchant { id })
    }
}

/// The merchant's display name, shown to shoppers on the cashier.
pub async fn name(db: &Db, id: &MerchantId) -> Result<String, sqlx::Error> {
    let (name,): (String,) = sqlx::query_as("SELECT name FROM merchants WHERE id = $1")
        .bind(id.as_str())
        .fetch_one(db)
        .await?;
    Ok(name)
}
