//! The merchant's Checkout Sessions API: create one, read it back, list
//! them, expire one.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use tender_protocol::{
    CreateSession, ErrorBody, List, Metadata, PaymentLinkId, Session, SessionId, SessionListParams,
    SessionStatus, Timestamp,
};

use crate::checkout::lifecycle::{self, Change, NewSession};
use tender_protocol::locale::LANGUAGES;

use crate::checkout::{cart, view};
use crate::db;
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult};
use crate::merchants::auth::Merchant;
use crate::merchants::idempotency::{self, Answer};
use crate::merchants::settings;
use crate::pagination::{self, ListQuery, Listed};
use crate::state::AppState;
use crate::validate;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/checkout/sessions", post(create).get(list))
        .route("/v1/checkout/sessions/{id}", get(show))
        .route("/v1/checkout/sessions/{id}/expire", post(expire))
}

const MIN_EXPIRY_SECONDS: u32 = *tender_protocol::limits::EXPIRY_SECONDS.start();
const MAX_EXPIRY_SECONDS: u32 = *tender_protocol::limits::EXPIRY_SECONDS.end();

/// Create a Checkout Session.
#[utoipa::path(post, path = "/v1/checkout/sessions", tag = "Checkout Sessions",
    request_body = CreateSession,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: same key and body, same answer")),
    responses((status = 201, body = Session), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn create(
    State(state): State<AppState>,
    merchant: Merchant,
    ApiJson(body): ApiJson<CreateSession>,
) -> ApiResult<Answer> {
    // The session, its event and deliveries, and the key's answer: one
    // batch, sent (on SQLite) with the others of the moment.
    let (mut batch, session) = prepare(&state, &merchant, &body, None).await?;
    let answer = Answer::json(StatusCode::CREATED, &session)?;
    idempotency::keep(&mut batch, &answer);
    idempotency::write(&state.db, batch).await?;
    state.announce();
    tracing::info!(session = %session.id, merchant = %merchant.id, amount = %session.amount_due, "session created");
    Ok(answer)
}

/// A new session checked and built, with the batch that stores it (and
/// records `session.created`) for the caller to add to and write; `link`
/// is the payment link it is made for.
pub async fn prepare(
    state: &AppState,
    merchant: &Merchant,
    body: &CreateSession,
    link: Option<&PaymentLinkId>,
) -> ApiResult<(db::Batch, Session)> {
    let cart = cart::of(state, merchant, body).await?;
    validate::url("successUrl", &body.success_url)?;
    validate::optional_url("cancelUrl", body.cancel_url.as_deref())?;
    if let Some(locale) = &body.locale
        && !LANGUAGES.contains(&locale.as_str())
    {
        return Err(ApiError::invalid(
            "locale",
            format!("locale must be one of {}", LANGUAGES.join(", ")),
        ));
    }
    let lifetime = match body.expires_in_seconds {
        None => state.config.session_ttl_seconds as i64,
        Some(s) if (MIN_EXPIRY_SECONDS..=MAX_EXPIRY_SECONDS).contains(&s) => i64::from(s),
        Some(_) => {
            return Err(ApiError::invalid(
                "expiresInSeconds",
                format!(
                    "expiresInSeconds must be between {MIN_EXPIRY_SECONDS} and {MAX_EXPIRY_SECONDS}"
                ),
            ));
        }
    };
    let tolerance = match &body.underpayment_tolerance {
        Some(tolerance) => {
            settings::check(&state.config, "underpaymentTolerance", tolerance)?;
            if tolerance
                .amount
                .is_some_and(|a| a.currency() != cart.total.currency())
            {
                return Err(ApiError::invalid(
                    "underpaymentTolerance",
                    "underpaymentTolerance.amount must be in the session's currency",
                ));
            }
            *tolerance
        }
        None => settings::recent(state, &merchant.id)
            .await?
            .underpayment_tolerance
            .unwrap_or_default(),
    };
    let new = NewSession {
        merchant: &merchant.id,
        amount_due: cart.total,
        line_items: &cart.items,
        metadata: &body.metadata,
        success_url: &body.success_url,
        cancel_url: body.cancel_url.as_deref(),
        expires_at: state.clock.now() + lifetime,
        tolerance_minor: tolerance.of(cart.total),
        payment_link: link,
        locale: body.locale.as_deref(),
    };
    let mut batch = db::Batch::new();
    // Each statement writes rows the others only name (on PostgreSQL
    // the event's number comes from a trigger, which locks the merchant).
    batch.as_one_statement_locking(merchant.id.as_str());
    let session = lifecycle::create(state, &mut batch, &new)?;
    Ok((batch, session))
}

/// Retrieve a Checkout Session: the authoritative state of a payment.
#[utoipa::path(get, path = "/v1/checkout/sessions/{id}", tag = "Checkout Sessions",
    params(("id" = String, Path, description = "Session id (cs_...)")),
    responses((status = 200, body = Session), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn show(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Session>> {
    Ok(ApiJson(owned(&state, &merchant, &id).await?))
}

/// A session of this merchant, or 404.
async fn owned(state: &AppState, merchant: &Merchant, id: &str) -> ApiResult<Session> {
    let id = SessionId::parse(id).map_err(|_| ApiError::NotFound("checkout session"))?;
    let mut conn = state.db.acquire().await?;
    match view::load(state, &mut conn, &id).await? {
        Some(loaded) if loaded.merchant_id == merchant.id => Ok(loaded.session),
        _ => Err(ApiError::NotFound("checkout session")),
    }
}

/// List Checkout Sessions, newest first.
#[utoipa::path(get, path = "/v1/checkout/sessions", tag = "Checkout Sessions",
    params(SessionListParams),
    responses((status = 200, body = List<Session>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn list(
    State(state): State<AppState>,
    merchant: Merchant,
    ApiQuery(params): ApiQuery<SessionListParams>,
) -> ApiResult<ApiJson<List<Session>>> {
    let tx_hash = params.tx_hash.as_deref().map(tx_hash).transpose()?;
    let metadata = params
        .metadata_value
        .as_deref()
        .map(metadata_pattern)
        .transpose()?;
    let query = ListQuery::new(Listed::Sessions, "id")
        .filter("status", params.status.map(SessionStatus::as_str))
        .matching(PAID_BY_TX, tx_hash.as_deref())
        .matching("metadata LIKE ? ESCAPE '\\'", metadata.as_deref())
        .between(
            "created_at",
            params.created_gte.map(Timestamp::unix),
            params.created_lt.map(Timestamp::unix),
        );
    let page: List<(String,)> = pagination::fetch(&state.db, &merchant.id, &query, &params).await?;
    let ids = page
        .data
        .iter()
        .map(|(id,)| SessionId::parse(id))
        .collect::<Result<Vec<_>, _>>()?;
    let mut conn = state.db.acquire().await?;
    let sessions = view::load_many(&state, &mut conn, &ids).await?;
    Ok(ApiJson(List {
        data: sessions.into_iter().map(|loaded| loaded.session).collect(),
        has_more: page.has_more,
    }))
}

/// The list's `txHash` filter: sessions a payment in the transaction `?`
/// went to (through `payments_by_tx`).
pub const PAID_BY_TX: &str = "id IN (SELECT session_id FROM payments WHERE tx_hash = ?)";

/// A transaction hash as payments keep it: `0x` and 64 lowercase hex digits.
fn tx_hash(text: &str) -> ApiResult<String> {
    let hash = text.trim().to_ascii_lowercase();
    let hex = hash.strip_prefix("0x").unwrap_or_default();
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(hash)
    } else {
        Err(ApiError::invalid(
            "txHash",
            "txHash must be 0x followed by 64 hex digits",
        ))
    }
}

/// A `LIKE` pattern matching stored metadata (JSON) with `value` as one of
/// its strings: the value as JSON writes it, quotes included, with `LIKE`'s
/// own characters escaped.
fn metadata_pattern(value: &str) -> ApiResult<String> {
    // No stored value is longer, or holds a NUL (which PostgreSQL's text
    // cannot).
    if value.chars().count() > Metadata::MAX_VALUE_CHARS || value.contains('\0') {
        return Err(ApiError::invalid(
            "metadataValue",
            "metadataValue must be at most 500 characters, without NUL",
        ));
    }
    let json = serde_json::Value::from(value).to_string();
    let mut pattern = String::from("%");
    for c in json.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    Ok(pattern)
}

/// Expire an open Checkout Session now, so it can no longer be paid.
#[utoipa::path(post, path = "/v1/checkout/sessions/{id}/expire", tag = "Checkout Sessions",
    params(("id" = String, Path, description = "Session id (cs_...)")),
    responses((status = 200, body = Session), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn expire(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Session>> {
    let session = owned(&state, &merchant, &id).await?;
    let mut tx = db::begin_write(&state.db).await?;
    // Expired now: money mined after this moment is late.
    let change = Change {
        expires_at: Some(state.clock.now().min(session.expires_at.unix())),
        ..Change::to(&[SessionStatus::Open], SessionStatus::Expired)
    };
    let expired = lifecycle::apply(&state, &mut tx, &session.id, change).await?;
    let Some(expired) = expired else {
        return Err(ApiError::Conflict(format!(
            "only an open session can be expired; this one is {}",
            session.status.as_str()
        )));
    };
    tx.commit().await?;
    state.announce();
    Ok(ApiJson(expired))
}
