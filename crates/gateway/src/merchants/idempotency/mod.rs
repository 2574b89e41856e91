//! `Idempotency-Key` on every POST of the merchant API (owns
//! `idempotency_keys`): the same key with the same request gets the first
//! answer again; with another request, 409. Two concurrent requests with one
//! key run once: the second waits for the first's answer. Keys are scoped to
//! the merchant that [`auth`](crate::merchants::auth) authenticated, and
//! kept 24 hours. A 5xx answer is not kept, so the client may retry.
//!
//! A handler that changes state keeps its answer with [`keep`] in the
//! change's own transaction, so a crash can never leave a change without
//! its answer (a retry would run it twice) or an answer without its change;
//! for the rest the middleware keeps the answer after the handler. Requests
//! of one process wait for each other in memory; on PostgreSQL, where
//! several instances share the table, a key is also claimed by a row
//! before the handler runs. On the routes of [`CLAIMED_BY_THEIR_WRITE`]
//! the key is instead claimed by the change itself: no read before it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tender_protocol::IdempotencyKey;

use crate::clock::now_seconds;
use crate::db::WriteOne;
use crate::db::{self, Batch, Conn, Db};
use crate::error::{ApiError, ApiResult, MAX_BODY_BYTES};
use crate::merchants::auth::Merchant;
use crate::state::AppState;

mod claim;

use claim::{Claim, Flight, claim};

/// How long an answer is replayed.
pub const KEEP_SECONDS: i64 = 24 * 3600;
/// Routes whose handler changes nothing but one batch that keeps its
/// answer ([`keep`], written with [`write`]): a key is claimed there by
/// that batch's own insert of the answer, with no look at the key before
/// (one round trip less for every new key). A key used before fails the
/// batch whole, nothing written, and the request is then answered as any
/// repeat is. A route added here must have no effect before its batch.
const CLAIMED_BY_THEIR_WRITE: &[&str] = &["/v1/checkout/sessions"];

/// Answered when a key's first request has not finished.
const IN_PROGRESS: &str =
    "A request with this Idempotency-Key is still in progress; retry shortly.";

/// Header on a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";

/// The key of the request being handled, for [`keep`].
struct Pending {
    scope: String,
    key: String,
    hash: String,
    kept: AtomicBool,
    /// The key is claimed by the batch that keeps the answer (see
    /// [`CLAIMED_BY_THEIR_WRITE`]).
    by_write: bool,
    /// That batch failed on the key: it was used before.
    taken: AtomicBool,
}

tokio::task_local! {
    static PENDING: Arc<Pending>;
}

/// An answer serialised before its change commits, so it can be kept with
/// the change.
pub struct Answer {
    status: StatusCode,
    body: Bytes,
}

impl Answer {
    pub fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> ApiResult<Self> {
        let body = serde_json::to_vec(value).map_err(anyhow::Error::from)?;
        Ok(Self {
            status,
            body: body.into(),
        })
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

/// Keeps `answer` as the one to replay for this request's `Idempotency-Key`
/// (if it came with one), in the caller's batch: commit it with the
/// change. (Should the change then fail, its 5xx is not kept.)
pub fn keep(batch: &mut Batch, answer: &Answer) {
    let Ok(pending) = PENDING.try_with(Arc::clone) else {
        return;
    };
    batch
        .add(if pending.by_write { CLAIM } else { STORE })
        .bind(&pending.scope)
        .bind(&pending.key)
        .bind(&pending.hash)
        .bind(now_seconds())
        .bind(i64::from(answer.status.as_u16()))
        .bind(&answer.body[..]);
    pending.kept.store(true, Ordering::Release);
}

/// Stores (or replaces) a key's answer.
const STORE: &str =
    "INSERT INTO idempotency_keys (scope, key, request_hash, created_at, status_code, response_body)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (scope, key) DO UPDATE
     SET status_code = excluded.status_code, response_body = excluded.response_body";

/// Claims a key with its answer: fails on a key used before.
const CLAIM: &str =
    "INSERT INTO idempotency_keys (scope, key, request_hash, created_at, status_code, response_body)
     VALUES ($1, $2, $3, $4, $5, $6)";

/// Writes a batch that [`keep`] added this request's answer to. Where that
/// insert is the key's claim, a key used before fails the batch: answered
/// 409 here (nothing went wrong), and as a repeat by the middleware.
pub async fn write(db: &Db, batch: Batch) -> ApiResult<()> {
    let Err(err) = db::write(db, batch).await else {
        return Ok(());
    };
    let claimed_here = PENDING.try_with(|p| p.by_write.then(|| p.clone()));
    if let Ok(Some(pending)) = claimed_here
        && used_before(&err)
    {
        pending.taken.store(true, Ordering::Release);
        return Err(ApiError::Conflict(IN_PROGRESS.into()));
    }
    Err(err.into())
}

/// Whether a write failed on a key already in `idempotency_keys`.
fn used_before(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(e)
        if e.is_unique_violation() && e.message().contains("idempotency_keys"))
}

async fn store(
    conn: &mut Conn,
    pending: &Pending,
    status: StatusCode,
    body: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(STORE)
        .bind(&pending.scope)
        .bind(&pending.key)
        .bind(&pending.hash)
        .bind(now_seconds())
        .bind(i64::from(status.as_u16()))
        .bind(body)
        .execute(conn)
        .await?;
    Ok(())
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
    let held = parts
        .extensions
        .get::<MatchedPath>()
        .filter(|route| CLAIMED_BY_THEIR_WRITE.contains(&route.as_str()))
        .and_then(|_| Flight::take(&scope, key.as_str()));
    let pending = Pending::new(scope, key.as_str().to_owned(), hash, held.is_some());
    let Some(held) = held else {
        return match claim(&state, &pending, None).await {
            Ok(Claim::Fresh(_flight)) => {
                let request = Request::from_parts(parts, Body::from(bytes));
                run(&state, pending, request, next).await
            }
            other => answer(other),
        };
    };
    // Run at once: the handler's batch claims the key.
    let request = Request::from_parts(parts.clone(), Body::from(bytes.clone()));
    let response = PENDING
        .scope(pending.clone(), next.clone().run(request))
        .await;
    if committed(&pending, &response) {
        return response;
    }
    // Nothing written: the key is looked at as for any request.
    match claim(&state, &pending, Some(held)).await {
        Ok(Claim::Fresh(_flight)) if pending.taken.load(Ordering::Acquire) => {
            // Used before, past its window since: claimed now, run anew.
            let again = Pending::new(
                pending.scope.clone(),
                pending.key.clone(),
                pending.hash.clone(),
                false,
            );
            let request = Request::from_parts(parts, Body::from(bytes));
            run(&state, again, request, next).await
        }
        Ok(Claim::Fresh(_flight)) => remembered(&state, &pending, response).await,
        other => answer(other),
    }
}

impl Pending {
    fn new(scope: String, key: String, hash: String, by_write: bool) -> Arc<Self> {
        Arc::new(Self {
            scope,
            key,
            hash,
            kept: AtomicBool::new(false),
            by_write,
            taken: AtomicBool::new(false),
        })
    }
}

/// Runs the handler for a key claimed already, and keeps its answer.
async fn run(state: &AppState, pending: Arc<Pending>, request: Request, next: Next) -> Response {
    let response = PENDING.scope(pending.clone(), next.run(request)).await;
    if committed(&pending, &response) {
        return response;
    }
    remembered(state, &pending, response).await
}

/// Whether the handler kept its answer with its change, and both were
/// committed (a kept answer whose commit then failed is a 5xx, or, where
/// it was the claim, `taken`).
fn committed(pending: &Pending, response: &Response) -> bool {
    pending.kept.load(Ordering::Acquire)
        && !pending.taken.load(Ordering::Acquire)
        && !response.status().is_server_error()
}

/// The answer to a request whose key was not fresh (or whose look failed).
fn answer(claim: Result<Claim, ApiError>) -> Response {
    match claim {
        Err(err) => err.into_response(),
        Ok(Claim::Replay(status, body)) => replay(status, body),
        Ok(Claim::Mismatch) => ApiError::Conflict(
            "This Idempotency-Key was already used with a different request.".into(),
        )
        .into_response(),
        Ok(Claim::InProgress | Claim::Fresh(_)) => {
            ApiError::Conflict(IN_PROGRESS.into()).into_response()
        }
    }
}

/// The handler's answer, kept for its key ([`remember`]).
async fn remembered(state: &AppState, pending: &Pending, response: Response) -> Response {
    match remember(state, pending, response).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

fn request_hash(method: &Method, path: &str, body: &Bytes) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method.as_str());
    hasher.update(b"\n");
    hasher.update(path);
    hasher.update(b"\n");
    hasher.update(body);
    alloy::hex::encode(hasher.finalize())
}

/// Deletes a key's record.
const RELEASE: &str = "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2";

/// Keeps the answer of a handler that did not (or releases the key after a
/// 5xx).
async fn remember(
    state: &AppState,
    pending: &Pending,
    response: Response,
) -> Result<Response, ApiError> {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|e| anyhow::anyhow!("buffering a response: {e}"))?;
    let mut tx = db::begin_write(&state.db).await?;
    if parts.status.is_server_error() {
        sqlx::query(RELEASE)
            .bind(&pending.scope)
            .bind(&pending.key)
            .execute(&mut *tx)
            .await?;
    } else {
        store(&mut tx, pending, parts.status, &bytes).await?;
    }
    tx.commit().await?;
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

/// Records created before `$1`.
pub const PRUNE: &str = "DELETE FROM idempotency_keys WHERE created_at < $1";

/// Drops the records older than the replay window.
pub async fn prune(db: &Db) -> Result<(), sqlx::Error> {
    sqlx::query(PRUNE)
        .bind(now_seconds() - KEEP_SECONDS)
        .write(db)
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
