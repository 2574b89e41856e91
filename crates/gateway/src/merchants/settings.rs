//! A merchant's defaults (owns `merchant_settings`): the underpayment
//! tolerance of its sessions and what happens to money that pays nothing.
//! `GET|PUT /v1/account/settings`.

use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use tender_protocol::{AccountSettings, ErrorBody, MerchantId, Tolerance};

use crate::clock::now_seconds;
use crate::config::Config;
use crate::db::WriteOne;
use crate::db::{Conn, Db};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::merchants::auth::Merchant;
use crate::merchants::key_cache::{MOST_CACHED, TRUST_FOR};
use crate::state::AppState;

pub use tender_protocol::limits::MAX_TOLERANCE_BPS;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/account/settings", get(show).put(update))
}

/// A merchant's settings; the defaults until it sets them.
pub async fn of(db: &Db, merchant: &MerchantId) -> anyhow::Result<AccountSettings> {
    let mut conn = db.acquire().await?;
    of_in(&mut conn, merchant).await
}

/// [`of`], as read less than [`TRUST_FOR`] ago: a session's creation needs
/// them, and a busy merchant creates many a second. A change made in this
/// process is seen at once; one made by another instance within
/// [`TRUST_FOR`].
pub async fn recent(state: &AppState, merchant: &MerchantId) -> anyhow::Result<AccountSettings> {
    let cache = &state.settings;
    let version = cache.version.load(Ordering::Acquire);
    if let Some((settings, read_at)) = cache.lock().get(merchant.as_str())
        && read_at.elapsed() < TRUST_FOR
    {
        return Ok(settings.clone());
    }
    let settings = of(&state.db, merchant).await?;
    let mut entries = cache.lock();
    // An answer read before a change of this process is not kept after it.
    if cache.version.load(Ordering::Acquire) == version {
        if entries.len() >= MOST_CACHED {
            entries.clear();
        }
        entries.insert(
            merchant.as_str().to_owned(),
            (settings.clone(), Instant::now()),
        );
    }
    Ok(settings)
}

/// [`of`], in the caller's transaction.
pub async fn of_in(conn: &mut Conn, merchant: &MerchantId) -> anyhow::Result<AccountSettings> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT settings FROM merchant_settings WHERE merchant_id = $1")
            .bind(merchant.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    Ok(match row {
        Some((json,)) => serde_json::from_str(&json)?,
        None => AccountSettings::default(),
    })
}

/// A tolerance the gateway takes: at most 10%, and a positive amount in a
/// fiat currency or one of this gateway's tokens.
pub fn check(config: &Config, param: &'static str, tolerance: &Tolerance) -> ApiResult<()> {
    if tolerance.bps.is_some_and(|bps| bps > MAX_TOLERANCE_BPS) {
        return Err(ApiError::invalid(
            param,
            format!("{param}.bps must be at most {MAX_TOLERANCE_BPS} (10%)"),
        ));
    }
    if tolerance.amount.is_some_and(|a| a.minor() == 0) {
        return Err(ApiError::invalid(
            param,
            format!("{param}.amount must be above zero"),
        ));
    }
    // In a currency the gateway can price: fiat, or one of its tokens.
    match tolerance.amount {
        Some(amount) => crate::validate::price(config, param, amount),
        None => Ok(()),
    }
}

/// The merchant's settings.
#[utoipa::path(get, path = "/v1/account/settings", tag = "Account",
    responses((status = 200, body = AccountSettings), (status = 401, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn show(
    State(state): State<AppState>,
    merchant: Merchant,
) -> ApiResult<ApiJson<AccountSettings>> {
    Ok(ApiJson(of(&state.db, &merchant.id).await?))
}

/// Set the merchant's defaults (the whole object).
#[utoipa::path(put, path = "/v1/account/settings", tag = "Account",
    request_body = AccountSettings,
    responses((status = 200, body = AccountSettings), (status = 400, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn update(
    State(state): State<AppState>,
    merchant: Merchant,
    ApiJson(body): ApiJson<AccountSettings>,
) -> ApiResult<ApiJson<AccountSettings>> {
    if let Some(tolerance) = &body.underpayment_tolerance {
        check(&state.config, "underpaymentTolerance", tolerance)?;
    }
    sqlx::query(
        "INSERT INTO merchant_settings (merchant_id, settings, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (merchant_id) DO UPDATE SET settings = excluded.settings,
                                                 updated_at = excluded.updated_at",
    )
    .bind(merchant.id.as_str())
    .bind(serde_json::to_string(&body)?)
    .bind(now_seconds())
    .write(&state.db)
    .await?;
    state.settings.forget_all();
    Ok(ApiJson(body))
}
