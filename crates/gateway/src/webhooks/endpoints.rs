//! Where a merchant wants its webhooks (owns `webhook_endpoints`): added
//! with their events, listed, disabled by a `410 Gone` and enabled again,
//! tested, deleted. Their signing secrets are kept by `secrets`; rotating
//! keeps the old one signing too for a grace period, so receivers can
//! switch without missing a delivery.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use sqlx::FromRow;
use tender_protocol::{
    CreateWebhookEndpoint, DeliveryCounts, EndpointStatus, ErrorBody, Event, EventType, List,
    ListParams, RotateSecret, WebhookEndpoint, WebhookEndpointId,
};

use crate::clock::{from_seconds, now_seconds};
use crate::db::{self, Conn};
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult, optional_json};
use crate::merchants::auth::Merchant;
use crate::pagination::{self, ListQuery, Listed};
use crate::state::AppState;
use crate::validate;
use crate::webhooks::{health, outbox, secrets, targets};

/// Default time an old secret keeps signing after a rotation.
pub const DEFAULT_GRACE_SECONDS: u32 = 24 * 3600;
const MAX_GRACE_SECONDS: u32 = 7 * 24 * 3600;

/// Tells the dispatcher's cache that an endpoint changed.
fn changed(state: &AppState) {
    state
        .endpoints_changed
        .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/webhook-endpoints", post(create).get(list))
        .route("/v1/webhook-endpoints/{id}", get(show).delete(remove))
        .route("/v1/webhook-endpoints/{id}/enable", post(enable))
        .route(
            "/v1/webhook-endpoints/{id}/disable",
            post(disable_by_merchant),
        )
        .route("/v1/webhook-endpoints/{id}/test", post(send_test))
        .route(
            "/v1/webhook-endpoints/{id}/rotate-secret",
            post(rotate_secret),
        )
}

fn check_events(enabled: &[String]) -> Result<(), ApiError> {
    if enabled.is_empty() {
        return Err(ApiError::invalid(
            "enabledEvents",
            "enabledEvents needs at least one event type, or \"*\"",
        ));
    }
    match enabled
        .iter()
        .find(|e| *e != "*" && EventType::parse(e).is_none())
    {
        Some(unknown) => Err(ApiError::invalid(
            "enabledEvents",
            format!("unknown event type {unknown:?}"),
        )),
        None => Ok(()),
    }
}

/// Add a webhook endpoint; its signing secret is in this answer only.
#[utoipa::path(post, path = "/v1/webhook-endpoints", tag = "Webhook endpoints",
    request_body = CreateWebhookEndpoint,
    responses((status = 201, body = WebhookEndpoint), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn create(
    State(state): State<AppState>,
    merchant: Merchant,
    ApiJson(body): ApiJson<CreateWebhookEndpoint>,
) -> ApiResult<(StatusCode, ApiJson<WebhookEndpoint>)> {
    let url = validate::url("url", &body.url)?;
    check_events(&body.enabled_events)?;
    targets::check_url(&state.config.target_policy(), &url, true)
        .await
        .map_err(|refused| ApiError::invalid("url", refused.to_string()))?;
    let id = WebhookEndpointId::generate();
    let mut tx = db::begin_write(&state.db).await?;
    // Counted, then added to: one new endpoint of a merchant at a time.
    db::lock_merchant(&mut tx, merchant.id.as_str()).await?;
    let (count,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM webhook_endpoints WHERE merchant_id = $1 AND deleted_at IS NULL",
    )
    .bind(merchant.id.as_str())
    .fetch_one(&mut *tx)
    .await?;
    let most = state.config.limits.endpoints_per_merchant;
    if count >= i64::from(most) {
        return Err(ApiError::invalid(
            "url",
            format!("a merchant may have at most {most} webhook endpoints; delete one first"),
        ));
    }
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, merchant_id, url, enabled_events, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id.as_str())
    .bind(merchant.id.as_str())
    .bind(&body.url)
    .bind(serde_json::to_string(&body.enabled_events)?)
    .bind(now_seconds())
    .execute(&mut *tx)
    .await?;
    let secret = secrets::add(&state, &mut tx, &id).await?;
    tx.commit().await?;
    changed(&state);
    let mut endpoint = find(&state, &merchant, &id).await?;
    endpoint.secret = Some(secret.expose());
    Ok((StatusCode::CREATED, ApiJson(endpoint)))
}

const ENDPOINT_COLUMNS: &str = "id, url, enabled_events, created_at, disabled_at";

#[derive(FromRow)]
struct EndpointRow {
    id: String,
    url: String,
    enabled_events: String,
    created_at: i64,
    disabled_at: Option<i64>,
}

impl EndpointRow {
    fn into_endpoint(self) -> anyhow::Result<WebhookEndpoint> {
        Ok(WebhookEndpoint {
            id: WebhookEndpointId::parse(&self.id)?,
            url: self.url,
            enabled_events: serde_json::from_str(&self.enabled_events)?,
            status: if self.disabled_at.is_some() {
                EndpointStatus::Disabled
            } else {
                EndpointStatus::Enabled
            },
            secret: None,
            created_at: from_seconds(self.created_at),
            deliveries: DeliveryCounts::default(),
        })
    }
}

async fn find(
    state: &AppState,
    merchant: &Merchant,
    id: &WebhookEndpointId,
) -> ApiResult<WebhookEndpoint> {
    let row: Option<EndpointRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints
         WHERE id = $1 AND merchant_id = $2 AND deleted_at IS NULL"
    )))
    .bind(id.as_str())
    .bind(merchant.id.as_str())
    .fetch_optional(&state.db)
    .await?;
    let mut endpoint = row
        .ok_or(ApiError::NotFound("webhook endpoint"))?
        .into_endpoint()?;
    health::count(&state.db, std::slice::from_mut(&mut endpoint)).await?;
    Ok(endpoint)
}

fn parse_id(id: &str) -> ApiResult<WebhookEndpointId> {
    WebhookEndpointId::parse(id).map_err(|_| ApiError::NotFound("webhook endpoint"))
}

/// List webhook endpoints, newest first (secrets are never listed).
#[utoipa::path(get, path = "/v1/webhook-endpoints", tag = "Webhook endpoints", params(ListParams),
    responses((status = 200, body = List<WebhookEndpoint>), (status = 401, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn list(
    State(state): State<AppState>,
    merchant: Merchant,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<ApiJson<List<WebhookEndpoint>>> {
    let query = ListQuery::new(Listed::WebhookEndpoints, ENDPOINT_COLUMNS);
    let ApiJson(mut page) = pagination::answer(
        &state.db,
        &merchant.id,
        &query,
        &params,
        EndpointRow::into_endpoint,
    )
    .await?;
    health::count(&state.db, &mut page.data).await?;
    Ok(ApiJson(page))
}

/// Retrieve a webhook endpoint.
#[utoipa::path(get, path = "/v1/webhook-endpoints/{id}", tag = "Webhook endpoints",
    params(("id" = String, Path, description = "Endpoint id (we_...)")),
    responses((status = 200, body = WebhookEndpoint), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn show(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<WebhookEndpoint>> {
    Ok(ApiJson(find(&state, &merchant, &parse_id(&id)?).await?))
}

/// Delete a webhook endpoint; its pending deliveries are cancelled.
#[utoipa::path(delete, path = "/v1/webhook-endpoints/{id}", tag = "Webhook endpoints",
    params(("id" = String, Path, description = "Endpoint id (we_...)")),
    responses((status = 200, body = WebhookEndpoint), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<WebhookEndpoint>> {
    let id = parse_id(&id)?;
    let endpoint = find(&state, &merchant, &id).await?;
    let mut tx = db::begin_write(&state.db).await?;
    sqlx::query("UPDATE webhook_endpoints SET deleted_at = $1 WHERE id = $2")
        .bind(now_seconds())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
    outbox::end_pending(&mut tx, id.as_str(), "cancelled").await?;
    tx.commit().await?;
    changed(&state);
    Ok(ApiJson(endpoint))
}

/// Enable an endpoint again, after the merchant disabled it or the gateway
/// did (it answered `410 Gone`). Events of the time it was disabled were not
/// queued for it, and deliveries failed by a `410` stay failed: resend them
/// with `POST /v1/events/{id}/redeliver`.
#[utoipa::path(post, path = "/v1/webhook-endpoints/{id}/enable", tag = "Webhook endpoints",
    params(("id" = String, Path, description = "Endpoint id (we_...)")),
    responses((status = 200, body = WebhookEndpoint), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn enable(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<WebhookEndpoint>> {
    switch(&state, &merchant, &id, None).await
}

/// Disable an endpoint: no event is queued for it, and nothing sent to it,
/// until it is enabled again; what was already queued waits for that.
#[utoipa::path(post, path = "/v1/webhook-endpoints/{id}/disable", tag = "Webhook endpoints",
    params(("id" = String, Path, description = "Endpoint id (we_...)")),
    responses((status = 200, body = WebhookEndpoint), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn disable_by_merchant(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<WebhookEndpoint>> {
    switch(&state, &merchant, &id, Some(now_seconds())).await
}

/// Sets when the endpoint was disabled (`None`: enabled).
async fn switch(
    state: &AppState,
    merchant: &Merchant,
    id: &str,
    disabled_at: Option<i64>,
) -> ApiResult<ApiJson<WebhookEndpoint>> {
    let id = parse_id(id)?;
    find(state, merchant, &id).await?;
    let mut tx = db::begin_write(&state.db).await?;
    sqlx::query("UPDATE webhook_endpoints SET disabled_at = $1 WHERE id = $2")
        .bind(disabled_at)
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    changed(state);
    if disabled_at.is_none() {
        state.announce();
    }
    Ok(ApiJson(find(state, merchant, &id).await?))
}

/// Send the endpoint a `webhook_endpoint.test` event, signed like any
/// other; see how it went with `GET /v1/events/{id}`.
#[utoipa::path(post, path = "/v1/webhook-endpoints/{id}/test", tag = "Webhook endpoints",
    params(("id" = String, Path, description = "Endpoint id (we_...)")),
    responses((status = 202, body = Event), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn send_test(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, ApiJson<Event>)> {
    let id = parse_id(&id)?;
    let endpoint = find(&state, &merchant, &id).await?;
    if endpoint.status == EndpointStatus::Disabled {
        return Err(ApiError::Conflict(
            "the endpoint is disabled; enable it first".into(),
        ));
    }
    let mut tx = db::begin_write(&state.db).await?;
    let event = outbox::record_test(&mut tx, &merchant.id, id.as_str()).await?;
    let (payload,): (String,) = sqlx::query_as("SELECT payload FROM events WHERE id = $1")
        .bind(event.as_str())
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    changed(&state);
    state.announce();
    Ok((
        StatusCode::ACCEPTED,
        ApiJson(serde_json::from_str(&payload)?),
    ))
}

/// Roll the signing secret. The new one is in this answer only; the old one
/// keeps signing too (each delivery carries both signatures) for
/// `graceSeconds` (default 24 hours).
#[utoipa::path(post, path = "/v1/webhook-endpoints/{id}/rotate-secret", tag = "Webhook endpoints",
    params(("id" = String, Path, description = "Endpoint id (we_...)")),
    request_body = RotateSecret,
    responses((status = 200, body = WebhookEndpoint), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<ApiJson<WebhookEndpoint>> {
    // The body is optional: no body rotates with the default grace period.
    let request: RotateSecret = optional_json(&body)?;
    let grace = request.grace_seconds.unwrap_or(DEFAULT_GRACE_SECONDS);
    if grace > MAX_GRACE_SECONDS {
        return Err(ApiError::invalid(
            "graceSeconds",
            format!("graceSeconds must be at most {MAX_GRACE_SECONDS} (7 days)"),
        ));
    }
    let id = parse_id(&id)?;
    let mut endpoint = find(&state, &merchant, &id).await?;
    let mut tx = db::begin_write(&state.db).await?;
    sqlx::query(
        "UPDATE webhook_endpoint_secrets SET expires_at = $1 WHERE endpoint_id = $2 AND expires_at IS NULL",
    )
    .bind(now_seconds() + i64::from(grace))
    .bind(id.as_str())
    .execute(&mut *tx)
    .await?;
    let secret = secrets::add(&state, &mut tx, &id).await?;
    tx.commit().await?;
    changed(&state);
    tracing::info!(endpoint = %id, grace, "webhook secret rotated");
    endpoint.secret = Some(secret.expose());
    Ok(ApiJson(endpoint))
}

/// Disables the endpoints that answered 410 Gone, each once, and fails
/// what is queued for them, in one transaction; the dispatcher's cache is
/// told. The merchant can add them again.
pub async fn disable_gone(state: &AppState, endpoints: &[&str]) -> Result<(), sqlx::Error> {
    let mut gone = endpoints.to_vec();
    gone.sort_unstable();
    gone.dedup();
    if gone.is_empty() {
        return Ok(());
    }
    let mut tx = db::begin_write(&state.db).await?;
    for endpoint in gone {
        disable(&mut tx, endpoint).await?;
    }
    tx.commit().await?;
    changed(state);
    Ok(())
}

/// Disables an endpoint and fails what is queued for it, in the caller's
/// transaction.
async fn disable(conn: &mut Conn, endpoint: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE webhook_endpoints SET disabled_at = $1 WHERE id = $2")
        .bind(now_seconds())
        .bind(endpoint)
        .execute(&mut *conn)
        .await?;
    outbox::end_pending(conn, endpoint, "failed").await
}
