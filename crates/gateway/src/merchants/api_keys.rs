//! A merchant's secret keys (owns `api_keys`) and `/v1/api-keys`: several
//! at once, each shown once at creation, stored as a SHA-256 hash, each
//! revocable.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, post};
use sqlx::FromRow;
use tender_protocol::ids::random_token;
use tender_protocol::{ApiKey, ApiKeyId, List, ListParams, MerchantId};

use crate::clock::{from_seconds, now_seconds};
use crate::db::Conn;
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult};
use crate::merchants::auth::{KEY_PREFIX, Merchant, hash_key};
use crate::pagination::{self, ListQuery, Listed};
use crate::state::AppState;

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

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/api-keys", post(create).get(list))
        .route("/v1/api-keys/{id}", delete(revoke))
}

/// Create an API key; its secret is in this answer only.
#[utoipa::path(post, path = "/v1/api-keys", tag = "API keys",
    responses((status = 201, body = ApiKey), (status = 401, body = tender_protocol::ErrorBody)),
    security(("api_key" = [])))]
pub async fn create(
    State(state): State<AppState>,
    merchant: Merchant,
) -> ApiResult<(StatusCode, ApiJson<ApiKey>)> {
    let mut conn = state.db.acquire().await?;
    let (id, secret, created_at) = create_key(&mut conn, &merchant.id).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(ApiKey {
            id,
            redacted: redact(&secret),
            secret: Some(secret),
            created_at: from_seconds(created_at),
            revoked_at: None,
        }),
    ))
}

#[derive(FromRow)]
struct KeyRow {
    id: String,
    redacted: String,
    created_at: i64,
    revoked_at: Option<i64>,
}

impl KeyRow {
    fn into_key(self) -> anyhow::Result<ApiKey> {
        Ok(ApiKey {
            id: ApiKeyId::parse(&self.id)?,
            secret: None,
            redacted: self.redacted,
            created_at: from_seconds(self.created_at),
            revoked_at: self.revoked_at.map(from_seconds),
        })
    }
}

/// List API keys, revoked ones included, newest first.
#[utoipa::path(get, path = "/v1/api-keys", tag = "API keys", params(ListParams),
    responses((status = 200, body = List<ApiKey>), (status = 401, body = tender_protocol::ErrorBody)),
    security(("api_key" = [])))]
pub async fn list(
    State(state): State<AppState>,
    merchant: Merchant,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<ApiJson<List<ApiKey>>> {
    let query = ListQuery::new(Listed::ApiKeys, "id, redacted, created_at, revoked_at");
    pagination::answer(&state.db, &merchant.id, &query, &params, KeyRow::into_key).await
}

/// Revoke an API key: requests with it fail from now on.
#[utoipa::path(delete, path = "/v1/api-keys/{id}", tag = "API keys",
    params(("id" = String, Path, description = "API key id")),
    responses((status = 200, body = ApiKey), (status = 404, body = tender_protocol::ErrorBody)),
    security(("api_key" = [])))]
pub async fn revoke(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<ApiKey>> {
    let row: Option<KeyRow> = sqlx::query_as(
        "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1)
         WHERE id = $2 AND merchant_id = $3
         RETURNING id, redacted, created_at, revoked_at",
    )
    .bind(now_seconds())
    .bind(&id)
    .bind(merchant.id.as_str())
    .fetch_optional(&state.db)
    .await?;
    let key = row.ok_or(ApiError::NotFound("API key"))?.into_key()?;
    tracing::info!(key = %key.id, merchant = %merchant.id, "API key revoked");
    Ok(ApiJson(key))
}
