//! `Idempotency-Key` on every POST of the merchant API (owns
//! `idempotency_keys`): the same key with the same request gets the first
//! answer again; with another request, 409. Two concurrent requests with one
//! key run once: the second waits for the first's answer. Keys are scoped to
//! the merchant that [`auth`](crate::merchants::auth) authenticated, and
//! kept 24 hours. A 5xx answer is not kept, so the client may retry.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tender_protocol::IdempotencyKey;

use crate::clock::now_seconds;
use crate::db::Db;
use crate::error::{ApiError, MAX_BODY_BYTES};
use crate::merchants::auth::Merchant;
use crate::state::AppState;

/// How long an answer is replayed.
pub const KEEP_SECONDS: i64 = 24 * 3600;
/// A request still "in progress" after this long is taken to have died with
/// its process, and the key is free again.
const ABANDONED_SECONDS: i64 = 60;
/// How long a concurrent duplicate waits for the first request's answer.
const WAIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(25);

/// Header on a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";

enum Claim {
    /// This request is the first with its key: run it.
    Fresh,
    /// The first answer, to send again.
    Replay(u16, Vec<u8>),
    /// The key was used with a different request.
    Mismatch,
    /// The first request has not finished within the wait.
    InProgress,
}

/// The middleware, inside authentication. Requests other than POST, or
/// without the header, pass through untouched.
pub async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let Some(raw) = request.headers().get(IdempotencyKey::HEADER) else {
        return next.run(request).await;
    };
    let Some(key) = raw
        .to_str()
        .ok()
        .and_then(|v| IdempotencyKey::parse(v).ok())
    else {
        return ApiError::invalid(
            "Idempotency-Key",
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
        )
        .into_response();
    };
    let Some(merchant) = request.extensions().get::<Merchant>() else {
        // Only the merchant API is wrapped, always inside authentication.
        return ApiError::Unauthenticated.into_response();
    };
    let scope = merchant.id.to_string();
    let path = request.uri().path().to_owned();
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return ApiError::PayloadTooLarge.into_response();
    };
    let hash = request_hash(
        &parts.method,
        parts.uri.path_and_query().map_or(&path, |p| p.as_str()),
        &bytes,
    );
    match claim(&state, &scope, &key, &hash).await {
        Err(err) => err.into_response(),
        Ok(Claim::Replay(status, body)) => replay(status, body),
        Ok(Claim::Mismatch) => ApiError::Conflict(
            "This Idempotency-Key was already used with a different request.".into(),
        )
        .into_response(),
        Ok(Claim::InProgress) => ApiError::Conflict(
            "A request with this Idempotency-Key is still in progress; retry shortly.".into(),
        )
        .into_response(),
        Ok(Claim::Fresh) => {
            let response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            match remember(&state, &scope, &key, response).await {
                Ok(response) => response,
                Err(err) => err.into_response(),
            }
        }
    }
}

fn request_hash(method: &Method, path: &str, body: &Bytes) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method.as_str());
    hasher.update(b"\n");
    hasher.update(path);
    hasher.update(b"\n");
    hasher.update(body);
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn claim(
    state: &AppState,
    scope: &str,
    key: &IdempotencyKey,
    hash: &str,
) -> Result<Claim, ApiError> {
    let started = tokio::time::Instant::now();
    loop {
        let now = now_seconds();
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2
               AND (created_at < $3 OR (status_code IS NULL AND created_at < $4))",
        )
        .bind(scope)
        .bind(key.as_str())
        .bind(now - KEEP_SECONDS)
        .bind(now - ABANDONED_SECONDS)
        .execute(&state.db)
        .await?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (scope, key, request_hash, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (scope, key) DO NOTHING",
        )
        .bind(scope)
        .bind(key.as_str())
        .bind(hash)
        .bind(now)
        .execute(&state.db)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(Claim::Fresh);
        }
        let row: Option<(String, Option<i64>, Option<Vec<u8>>)> = sqlx::query_as(
            "SELECT request_hash, status_code, response_body FROM idempotency_keys
             WHERE scope = $1 AND key = $2",
        )
        .bind(scope)
        .bind(key.as_str())
        .fetch_optional(&state.db)
        .await?;
        match row {
            Some((stored, _, _)) if stored != hash => return Ok(Claim::Mismatch),
            Some((_, Some(status), body)) => {
                return Ok(Claim::Replay(status as u16, body.unwrap_or_default()));
            }
            _ if started.elapsed() >= WAIT => return Ok(Claim::InProgress),
            // In progress (or released between our two statements): wait.
            _ => tokio::time::sleep(POLL).await,
        }
    }
}

/// Stores the answer for replay (or releases the key after a 5xx).
async fn remember(
    state: &AppState,
    scope: &str,
    key: &IdempotencyKey,
    response: Response,
) -> Result<Response, ApiError> {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|e| anyhow::anyhow!("buffering a response: {e}"))?;
    if parts.status.is_server_error() {
        sqlx::query("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2")
            .bind(scope)
            .bind(key.as_str())
            .execute(&state.db)
            .await?;
    } else {
        sqlx::query(
            "UPDATE idempotency_keys SET status_code = $1, response_body = $2 WHERE scope = $3 AND key = $4",
        )
        .bind(i64::from(parts.status.as_u16()))
        .bind(bytes.as_ref())
        .bind(scope)
        .bind(key.as_str())
        .execute(&state.db)
        .await?;
    }
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

/// Drops the records older than the replay window.
pub async fn prune(db: &Db) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
        .bind(now_seconds() - KEEP_SECONDS)
        .execute(db)
        .await?;
    Ok(())
}

fn replay(status: u16, body: Vec<u8>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    response
}
