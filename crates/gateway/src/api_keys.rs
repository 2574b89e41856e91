//! `/v1/api-keys`: a merchant's secret keys — several at once, each shown
//! once at creation, each revocable.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, post};
use sqlx::FromRow;
use tender_protocol::{ApiKey, ApiKeyId, List, ListParams};

use crate::clock::{from_seconds, now_seconds};
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult};
use crate::merchants::{self, Merchant};
use crate::pagination::{self, Listed};
use crate::state::AppState;

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
    let (id, secret, created_at) = merchants::create_key(&mut conn, &merchant.id).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(ApiKey {
            id,
            redacted: merchants::redact(&secret),
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
    let page = pagination::page(
        &state.db,
        Listed::ApiKeys,
        &merchant.id,
        params.limit,
        params.starting_after.as_deref(),
    )
    .await?;
    let (before, before_id) = page.cursor();
    let rows: Vec<KeyRow> = sqlx::query_as(
        "SELECT id, redacted, created_at, revoked_at FROM api_keys
         WHERE merchant_id = $1 AND (created_at < $2 OR (created_at = $2 AND id < $3))
         ORDER BY created_at DESC, id DESC LIMIT $4",
    )
    .bind(merchant.id.as_str())
    .bind(before)
    .bind(before_id)
    .bind(page.fetch())
    .fetch_all(&state.db)
    .await?;
    let keys = rows
        .into_iter()
        .map(KeyRow::into_key)
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(ApiJson(page.finish(keys)))
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
