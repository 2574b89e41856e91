//! One-time invitations to a merchant's dashboard (owns
//! `dashboard_invites`). A signed-in user invites an email and gets a link
//! to pass on; whoever opens it chooses a password and is signed in as a
//! new user of that merchant. The link works once, for seven days; only
//! its hash is kept, and its token travels in the URL's fragment, which
//! browsers send to no server and no `Referer`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use tender_protocol::ids::random_token;
use tender_protocol::{MerchantId, Timestamp};

use crate::clock::{from_seconds, now_seconds};
use crate::dashboard::sign_ins::{self, changing_user};
use crate::dashboard::users;
use crate::db::{self, WriteOne};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::merchants::auth::hash_key;
use crate::state::AppState;

/// How long an invitation can be accepted.
const LIFETIME_SECONDS: i64 = 7 * 86_400;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInvite {
    email: String,
}

/// An invitation made: the link is in this answer only.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Invited {
    pub email: String,
    pub url: String,
    pub expires_at: Timestamp,
}

/// What an invitation's page shows before it is accepted.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Invitation {
    pub email: String,
    pub merchant_name: String,
    pub expires_at: Timestamp,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acceptance {
    password: String,
}

/// `POST /dashboard/api/invites`: invites `email` to the signed-in user's
/// merchant.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewInvite>,
) -> ApiResult<Json<Invited>> {
    let inviter = changing_user(&state, &headers).await?;
    let email = users::check_email(&body.email)?;
    let taken: Option<String> =
        sqlx::query_scalar("SELECT id FROM dashboard_users WHERE email = $1")
            .bind(&email)
            .fetch_optional(&state.db)
            .await?;
    if taken.is_some() {
        return Err(ApiError::Conflict(format!(
            "{email} already has a dashboard account"
        )));
    }
    let token = random_token(32);
    let now = now_seconds();
    let expires_at = now + LIFETIME_SECONDS;
    sqlx::query(
        "INSERT INTO dashboard_invites (token_hash, merchant_id, email, invited_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(hash_key(&token))
    .bind(inviter.merchant_id.as_str())
    .bind(&email)
    .bind(inviter.user_id.as_str())
    .bind(now)
    .bind(expires_at)
    .write(&state.db)
    .await?;
    tracing::info!(merchant = %inviter.merchant_id, by = %inviter.user_id, "dashboard invitation made");
    let base = state.public_url.as_str().trim_end_matches('/');
    Ok(Json(Invited {
        email,
        url: format!("{base}/dashboard/#invite={token}"),
        expires_at: from_seconds(expires_at),
    }))
}

/// The open invitation `token` names.
async fn open(state: &AppState, token: &str) -> ApiResult<(String, MerchantId, String, i64)> {
    let found: Option<(String, String, String, i64)> = sqlx::query_as(
        "SELECT i.email, i.merchant_id, m.name, i.expires_at
         FROM dashboard_invites i JOIN merchants m ON m.id = i.merchant_id
         WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.expires_at > $2",
    )
    .bind(hash_key(token))
    .bind(now_seconds())
    .fetch_optional(&state.db)
    .await?;
    let (email, merchant, name, expires_at) = found.ok_or(ApiError::NotFound("invitation"))?;
    Ok((email, MerchantId::parse(&merchant)?, name, expires_at))
}

/// `GET /dashboard/api/invites/{token}`: the invitation, if still open.
pub async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<Json<Invitation>> {
    let (email, _, merchant_name, expires_at) = open(&state, &token).await?;
    Ok(Json(Invitation {
        email,
        merchant_name,
        expires_at: from_seconds(expires_at),
    }))
}

/// `POST /dashboard/api/invites/{token}`: accepts it with a password; the
/// new user is signed in. A second acceptance finds nothing.
pub async fn accept(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ApiJson(body): ApiJson<Acceptance>,
) -> ApiResult<Response> {
    let (email, merchant, _, _) = open(&state, &token).await?;
    let hash = users::hash_in_turn(&body.password).await?;
    let mut tx = db::begin_write(&state.db).await?;
    // Taken once: of two acceptances at once, one finds it gone.
    let taken = sqlx::query(
        "UPDATE dashboard_invites SET accepted_at = $1
         WHERE token_hash = $2 AND accepted_at IS NULL AND expires_at > $1",
    )
    .bind(now_seconds())
    .bind(hash_key(&token))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if taken != 1 {
        return Err(ApiError::NotFound("invitation"));
    }
    let user = users::insert(&mut tx, &merchant, &email, &hash).await?;
    tx.commit().await?;
    tracing::info!(merchant = %merchant, user = %user, "dashboard invitation accepted");
    sign_ins::start(&state, user, merchant, email).await
}
