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
//! before the handler runs.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tender_protocol::IdempotencyKey;

use crate::clock::now_seconds;
use crate::db::WriteOne;
use crate::db::{self, Backend, Batch, Conn, Db};
use crate::error::{ApiError, ApiResult, MAX_BODY_BYTES};
use crate::merchants::auth::Merchant;
use crate::state::AppState;

/// How long an answer is replayed.
pub const KEEP_SECONDS: i64 = 24 * 3600;
/// A claim with no answer after this long is taken to have died with its
/// process, and the key is free again.
const ABANDONED_SECONDS: i64 = 60;
/// How long a concurrent duplicate waits for the first request's answer.
const WAIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(25);

/// Header on a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";

/// The key of the request being handled, for [`keep`].
struct Pending {
    scope: String,
    key: String,
    hash: String,
    kept: AtomicBool,
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
        .add(STORE)
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

/// The keys this process is running a request for.
static IN_FLIGHT: LazyLock<Mutex<HashSet<(String, String)>>> = LazyLock::new(Default::default);

/// This process's hold on a key while its request runs.
struct Flight((String, String));

impl Flight {
    fn take(scope: &str, key: &str) -> Option<Self> {
        let entry = (scope.to_owned(), key.to_owned());
        let taken = IN_FLIGHT
            .lock()
            .expect("idempotency in flight")
            .insert(entry.clone());
        // Made only when taken: dropping one releases the key.
        taken.then(|| Flight(entry))
    }
}

impl Drop for Flight {
    fn drop(&mut self) {
        IN_FLIGHT
            .lock()
            .expect("idempotency in flight")
            .remove(&self.0);
    }
}

enum Claim {
    /// This request is the first with its key: run it.
    Fresh(Flight),
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
    match claim(&state, &scope, key.as_str(), &hash).await {
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
        Ok(Claim::Fresh(_flight)) => {
            let pending = Arc::new(Pending {
                scope,
                key: key.as_str().to_owned(),
                hash,
                kept: AtomicBool::new(false),
            });
            let request = Request::from_parts(parts, Body::from(bytes));
            let response = PENDING.scope(pending.clone(), next.run(request)).await;
            // A kept answer whose commit then failed (a 5xx) is not kept.
            if pending.kept.load(Ordering::Acquire) && !response.status().is_server_error() {
                return response;
            }
            match remember(&state, &pending, response).await {
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

/// A kept key: the request's hash, the answer's status and body (none yet
/// while claimed), when it was made.
type Stored = (String, Option<i64>, Option<Vec<u8>>, i64);

async fn claim(state: &AppState, scope: &str, key: &str, hash: &str) -> Result<Claim, ApiError> {
    let started = tokio::time::Instant::now();
    loop {
        let now = now_seconds();
        // Held before reading: a request of this process with the key
        // keeps its answer before it lets go, so what we read is current.
        let mut flight = Flight::take(scope, key);
        // On PostgreSQL a key not seen before (the usual case) is claimed
        // at once, in one statement, without reading it first.
        let shared = Backend::of(&state.db) == Backend::Postgres;
        if let Some(held) = flight.take_if(|_| shared) {
            if claimed_in_database(&state.db, scope, key, hash, now).await? {
                return Ok(Claim::Fresh(held));
            }
            flight = Some(held);
        }
        let row: Option<Stored> = sqlx::query_as(
            "SELECT request_hash, status_code, response_body, created_at FROM idempotency_keys
             WHERE scope = $1 AND key = $2",
        )
        .bind(scope)
        .bind(key)
        .fetch_optional(&state.db)
        .await?;
        match row {
            Some((_, status, _, created))
                if created < now - KEEP_SECONDS
                    || (status.is_none() && created < now - ABANDONED_SECONDS) =>
            {
                // Past its window, or a claim whose process died: free.
                sqlx::query(
                    "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND created_at = $3",
                )
                .bind(scope)
                .bind(key)
                .bind(created)
                .write(&state.db)
                .await?;
                continue;
            }
            Some((stored, _, _, _)) if stored != hash => return Ok(Claim::Mismatch),
            Some((_, Some(status), body, _)) => {
                return Ok(Claim::Replay(status as u16, body.unwrap_or_default()));
            }
            Some(_) => {}
            None => {
                // One process per SQLite file: holding the key here is the
                // claim.
                if !shared && let Some(flight) = flight {
                    return Ok(Claim::Fresh(flight));
                }
                // Else running here, or (on PostgreSQL) its claim gone
                // between our two statements: look again.
            }
        }
        if started.elapsed() >= WAIT {
            return Ok(Claim::InProgress);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Claims a key this process holds on PostgreSQL, where several instances
/// share the table, with a row of no answer: false if the key has a row
/// already (claimed elsewhere, answered, or past its window).
async fn claimed_in_database(
    db: &Db,
    scope: &str,
    key: &str,
    hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (scope, key, request_hash, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (scope, key) DO NOTHING",
    )
    .bind(scope)
    .bind(key)
    .bind(hash)
    .bind(now)
    .write(db)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

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
        sqlx::query("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2")
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
