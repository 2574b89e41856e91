//! A merchant's secret keys (owns `api_keys`) and `/v1/api-keys`: several
//! at once, each shown once at creation, stored as a SHA-256 hash, each
//! with its scopes (at most its creator's) and revocable with every key it
//! created.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, post};
use sqlx::FromRow;
use tender_protocol::ids::random_token;
use tender_protocol::scope::grants;
use tender_protocol::{ApiKey, ApiKeyId, CreateApiKey, List, ListParams, MerchantId, Scope};

use crate::clock::{from_seconds, now_seconds};
use crate::db::{self, Conn};
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult, optional_json};
use crate::merchants::auth::{KEY_PREFIX, Merchant, hash_key, parse_scopes};
use crate::pagination::{self, ListQuery, Listed};
use crate::state::AppState;

/// `sk_test_…abcd`: enough to recognise a key, useless to use it.
pub fn redact(secret: &str) -> String {
    let tail = &secret[secret.len().saturating_sub(4)..];
    format!("{KEY_PREFIX}…{tail}")
}

/// Scopes as stored: space-separated names.
fn store_scopes(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A key about to be made: whose, what it may do, and which key made it.
pub struct NewKey<'a> {
    pub merchant: &'a MerchantId,
    pub scopes: &'a [Scope],
    pub parent: Option<&'a ApiKeyId>,
}

/// Creates a new API key; returns it with its secret, in the caller's
/// transaction.
pub async fn create_key(conn: &mut Conn, new: NewKey<'_>) -> Result<ApiKey, sqlx::Error> {
    let id = ApiKeyId::generate();
    let secret = format!("{KEY_PREFIX}{}", random_token(32));
    let now = now_seconds();
    sqlx::query(
        "INSERT INTO api_keys (id, merchant_id, secret_hash, redacted, created_at, scopes, parent_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.as_str())
    .bind(new.merchant.as_str())
    .bind(hash_key(&secret))
    .bind(redact(&secret))
    .bind(now)
    .bind(store_scopes(new.scopes))
    .bind(new.parent.map(ApiKeyId::as_str))
    .execute(conn)
    .await?;
    Ok(ApiKey {
        id,
        redacted: redact(&secret),
        secret: Some(secret),
        scopes: new.scopes.to_vec(),
        created_by: new.parent.cloned(),
        created_at: from_seconds(now),
        revoked_at: None,
    })
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/api-keys", post(create).get(list))
        .route("/v1/api-keys/{id}", delete(revoke))
}

/// The scopes a key asked for, if its creator may give them: a standard
/// key may give any; a restricted one only scopes it has itself.
fn allowed_scopes(creator: &Merchant, asked: Option<Vec<Scope>>) -> ApiResult<Vec<Scope>> {
    let Some(mut asked) = asked else {
        return Ok(creator.scopes.clone());
    };
    asked.sort();
    asked.dedup();
    if asked.is_empty() {
        return Err(ApiError::invalid(
            "scopes",
            "scopes needs at least one scope",
        ));
    }
    if let Some(beyond) = asked.iter().find(|s| !grants(&creator.scopes, **s)) {
        return Err(ApiError::invalid(
            "scopes",
            format!(
                "a key can only give scopes it has itself; this one lacks {}",
                beyond.as_str()
            ),
        ));
    }
    Ok(asked)
}

/// Create an API key; its secret is in this answer only. Without `scopes`
/// it may do what the key creating it may; with them, only those, which
/// must be among the creating key's.
#[utoipa::path(post, path = "/v1/api-keys", tag = "API keys",
    request_body(content = CreateApiKey, description = "Optional"),
    responses((status = 201, body = ApiKey), (status = 400, body = tender_protocol::ErrorBody),
              (status = 401, body = tender_protocol::ErrorBody), (status = 403, body = tender_protocol::ErrorBody)),
    security(("api_key" = [])))]
pub async fn create(
    State(state): State<AppState>,
    merchant: Merchant,
    body: Bytes,
) -> ApiResult<(StatusCode, ApiJson<ApiKey>)> {
    let request: CreateApiKey = optional_json(&body)?;
    let scopes = allowed_scopes(&merchant, request.scopes)?;
    let mut tx = db::begin_write(&state.db).await?;
    let key = create_key(
        &mut tx,
        NewKey {
            merchant: &merchant.id,
            scopes: &scopes,
            parent: merchant.key.as_ref(),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(key = %key.id, parent = ?merchant.key, scopes = store_scopes(&scopes), "API key created");
    Ok((StatusCode::CREATED, ApiJson(key)))
}

const KEY_COLUMNS: &str = "id, redacted, scopes, parent_id, created_at, revoked_at";

#[derive(FromRow)]
struct KeyRow {
    id: String,
    redacted: String,
    scopes: String,
    parent_id: Option<String>,
    created_at: i64,
    revoked_at: Option<i64>,
}

impl KeyRow {
    fn into_key(self) -> anyhow::Result<ApiKey> {
        Ok(ApiKey {
            id: ApiKeyId::parse(&self.id)?,
            secret: None,
            redacted: self.redacted,
            scopes: parse_scopes(&self.scopes)?,
            created_by: self.parent_id.as_deref().map(ApiKeyId::parse).transpose()?,
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
    let query = ListQuery::new(Listed::ApiKeys, KEY_COLUMNS);
    pagination::answer(&state.db, &merchant.id, &query, &params, KeyRow::into_key).await
}

/// Revoke an API key: requests with it, and with every key it created
/// (and they created), fail from now on.
#[utoipa::path(delete, path = "/v1/api-keys/{id}", tag = "API keys",
    params(("id" = String, Path, description = "API key id")),
    responses((status = 200, body = ApiKey), (status = 404, body = tender_protocol::ErrorBody)),
    security(("api_key" = [])))]
pub async fn revoke(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<ApiKey>> {
    let mut tx = db::begin_write(&state.db).await?;
    let revoked = sqlx::query(
        "WITH RECURSIVE tree(id) AS (
             SELECT id FROM api_keys WHERE id = $1 AND merchant_id = $2
             UNION
             SELECT k.id FROM api_keys k JOIN tree t ON k.parent_id = t.id
         )
         UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3)
         WHERE id IN (SELECT id FROM tree)",
    )
    .bind(&id)
    .bind(merchant.id.as_str())
    .bind(now_seconds())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if revoked == 0 {
        return Err(ApiError::NotFound("API key"));
    }
    let row: KeyRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {KEY_COLUMNS} FROM api_keys WHERE id = $1"
    )))
    .bind(&id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    state.keys.forget_all();
    let key = row.into_key()?;
    tracing::info!(key = %key.id, merchant = %merchant.id, with_descendants = revoked - 1, "API key revoked");
    Ok(ApiJson(key))
}
