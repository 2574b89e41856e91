//! Signed-in browsers of the dashboard (owns `dashboard_sign_ins`). Signing
//! in sets a cookie (`HttpOnly`, `SameSite=Strict`, `Secure` outside dev,
//! kept as a SHA-256 hash) and answers a CSRF token, which every change
//! made with that cookie must carry in `X-CSRF-Token`. Signing out ends
//! this browser's sign-in, or every one of the user's.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tender_protocol::ids::random_token;
use tender_protocol::{MerchantId, Scope, UserId};

use crate::clock::now_seconds;
use crate::dashboard::users::{self, Checked};
use crate::db::{self, WriteOne};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::merchants::auth::{Merchant, hash_key};
use crate::state::AppState;

/// The sign-in cookie's name.
pub const COOKIE_NAME: &str = "tender_dashboard";
/// The header a change carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a sign-in lasts.
const LIFETIME_SECONDS: i64 = 12 * 3600;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    email: String,
    password: String,
}

/// Who is signed in, and the token their changes must carry.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedIn {
    pub user_id: UserId,
    pub email: String,
    pub merchant_id: MerchantId,
    pub csrf_token: String,
}

/// A request's sign-in, found by its cookie.
struct Current {
    token_hash: String,
    signed_in: SignedIn,
}

/// `POST /dashboard/api/session`: signs in.
pub async fn sign_in(
    State(state): State<AppState>,
    ApiJson(credentials): ApiJson<Credentials>,
) -> ApiResult<Response> {
    let (user, merchant) = match users::check(&state.db, &credentials.email, &credentials.password)
        .await?
    {
        Checked::Right { user, merchant } => (user, merchant),
        Checked::Wrong => return Err(ApiError::WrongCredentials),
        Checked::Locked { seconds } => {
            return Err(ApiError::RateLimited {
                message: format!(
                    "Too many wrong passwords for this account: it is locked; try again in {seconds} s"
                ),
                retry_after: seconds.max(1) as u64,
            });
        }
    };
    start(
        &state,
        user,
        merchant,
        credentials.email.trim().to_lowercase(),
    )
    .await
}

/// Signs `user` in: a new sign-in, its cookie set by the answer.
pub async fn start(
    state: &AppState,
    user: UserId,
    merchant: MerchantId,
    email: String,
) -> ApiResult<Response> {
    let token = random_token(32);
    let csrf_token = random_token(32);
    let now = now_seconds();
    // The user's expired sign-ins go as a new one comes: the table holds
    // live ones only, a few per user.
    let mut batch = db::Batch::new();
    batch
        .add("DELETE FROM dashboard_sign_ins WHERE user_id = $1 AND expires_at <= $2")
        .bind(user.as_str())
        .bind(now);
    batch
        .add(
            "INSERT INTO dashboard_sign_ins (token_hash, user_id, csrf_token, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(hash_key(&token))
        .bind(user.as_str())
        .bind(csrf_token.as_str())
        .bind(now)
        .bind(now + LIFETIME_SECONDS);
    db::write(&state.db, batch).await?;
    tracing::info!(user = %user, merchant = %merchant, "dashboard sign-in");
    let signed_in = SignedIn {
        user_id: user,
        email,
        merchant_id: merchant,
        csrf_token,
    };
    let cookie = cookie(state, &token, LIFETIME_SECONDS);
    Ok(([(SET_COOKIE, cookie)], Json(signed_in)).into_response())
}

/// `GET /dashboard/api/session`: who is signed in (and their CSRF token).
pub async fn me(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Json<SignedIn>> {
    let current = current(&state, &headers)
        .await?
        .ok_or(ApiError::SignedOut)?;
    Ok(Json(current.signed_in))
}

/// The signed-in user a change comes from, its CSRF token checked.
pub async fn changing_user(state: &AppState, headers: &HeaderMap) -> ApiResult<SignedIn> {
    let current = current(state, headers).await?.ok_or(ApiError::SignedOut)?;
    check_csrf(&current.signed_in, headers)?;
    Ok(current.signed_in)
}

/// `DELETE /dashboard/api/session`: signs this browser out.
pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let current = current(&state, &headers)
        .await?
        .ok_or(ApiError::SignedOut)?;
    check_csrf(&current.signed_in, &headers)?;
    sqlx::query("DELETE FROM dashboard_sign_ins WHERE token_hash = $1")
        .bind(&current.token_hash)
        .write(&state.db)
        .await?;
    Ok(signed_out(&state))
}

/// `DELETE /dashboard/api/sessions`: signs the user out in every browser.
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let current = current(&state, &headers)
        .await?
        .ok_or(ApiError::SignedOut)?;
    check_csrf(&current.signed_in, &headers)?;
    let ended = sqlx::query("DELETE FROM dashboard_sign_ins WHERE user_id = $1")
        .bind(current.signed_in.user_id.as_str())
        .write(&state.db)
        .await?
        .rows_affected();
    tracing::info!(user = %current.signed_in.user_id, ended, "dashboard signed out everywhere");
    Ok(signed_out(&state))
}

fn signed_out(state: &AppState) -> Response {
    (StatusCode::NO_CONTENT, [(SET_COOKIE, cookie(state, "", 0))]).into_response()
}

/// Middleware of the merchant API under `/dashboard/api`: the cookie's
/// user acts as its merchant, as a key with every scope would; a change
/// without the sign-in's CSRF token is refused.
pub async fn require_user(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let current = match current(&state, request.headers()).await {
        Ok(Some(current)) => current,
        Ok(None) => return ApiError::SignedOut.into_response(),
        Err(err) => return err.into_response(),
    };
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe && let Err(err) = check_csrf(&current.signed_in, request.headers()) {
        return err.into_response();
    }
    request.extensions_mut().insert(Merchant {
        id: current.signed_in.merchant_id,
        key: None,
        scopes: vec![Scope::All],
    });
    next.run(request).await
}

/// The unexpired sign-in whose cookie `headers` carry.
async fn current(state: &AppState, headers: &HeaderMap) -> Result<Option<Current>, ApiError> {
    let Some(token) = cookie_value(headers) else {
        return Ok(None);
    };
    let token_hash = hash_key(token);
    let found: Option<(String, String, String, String)> = sqlx::query_as(
        "SELECT u.id, u.email, u.merchant_id, s.csrf_token
         FROM dashboard_sign_ins s JOIN dashboard_users u ON u.id = s.user_id
         WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(&token_hash)
    .bind(now_seconds())
    .fetch_optional(&state.db)
    .await?;
    let Some((user, email, merchant, csrf_token)) = found else {
        return Ok(None);
    };
    Ok(Some(Current {
        token_hash,
        signed_in: SignedIn {
            user_id: UserId::parse(&user)?,
            email,
            merchant_id: MerchantId::parse(&merchant)?,
            csrf_token,
        },
    }))
}

fn cookie_value(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE_NAME && !value.is_empty())
        .map(|(_, value)| value)
}

/// Compares every byte, so the time taken says nothing of where a guess
/// went wrong.
fn check_csrf(signed_in: &SignedIn, headers: &HeaderMap) -> Result<(), ApiError> {
    let sent = headers
        .get(CSRF_HEADER)
        .map(HeaderValue::as_bytes)
        .unwrap_or_default();
    let expected = signed_in.csrf_token.as_bytes();
    let same = sent.len() == expected.len()
        && sent
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same { Ok(()) } else { Err(ApiError::Csrf) }
}

fn cookie(state: &AppState, value: &str, max_age: i64) -> String {
    cookie_text(value, max_age, !state.config.dev)
}

/// `Secure` outside dev, where the gateway is served over https.
fn cookie_text(value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{COOKIE_NAME}={value}; Path=/dashboard; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_secure_outside_dev_and_never_readable_by_scripts() {
        let cookie = cookie_text("abc", 60, true);
        assert_eq!(
            cookie,
            "tender_dashboard=abc; Path=/dashboard; Max-Age=60; HttpOnly; SameSite=Strict; Secure"
        );
        assert!(!cookie_text("abc", 60, false).contains("Secure"));
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(
            COOKIE,
            HeaderValue::from_static("a=1; tender_dashboard=tok; b=2"),
        );
        assert_eq!(cookie_value(&headers), Some("tok"));
        headers.clear();
        headers.append(COOKIE, HeaderValue::from_static("tender_dashboard=; x=y"));
        assert_eq!(cookie_value(&headers), None);
    }
}
