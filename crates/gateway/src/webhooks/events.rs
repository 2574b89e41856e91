//! `/v1/events`: the merchant reads its events and how each delivery went,
//! and asks for a redelivery.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use sqlx::FromRow;
use tender_protocol::{
    Delivery, DeliveryAttempt, DeliveryStatus, ErrorBody, Event, EventDetails, EventId,
    EventListParams, EventType, List, Redeliver, WebhookEndpointId,
};

use crate::clock::from_seconds;
use crate::db;
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult, optional_json};
use crate::merchants::auth::Merchant;
use crate::pagination::{self, ListQuery, Listed};
use crate::state::AppState;
use crate::webhooks::outbox;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/events", get(list))
        .route("/v1/events/stream", get(super::stream::stream))
        .route("/v1/events/{id}", get(show))
        .route("/v1/events/{id}/redeliver", post(redeliver))
}

fn parse_id(id: &str) -> ApiResult<EventId> {
    EventId::parse(id).map_err(|_| ApiError::NotFound("event"))
}

async fn find(state: &AppState, merchant: &Merchant, id: &EventId) -> ApiResult<Event> {
    let payload: Option<String> =
        sqlx::query_scalar("SELECT payload FROM events WHERE id = $1 AND merchant_id = $2")
            .bind(id.as_str())
            .bind(merchant.id.as_str())
            .fetch_optional(&state.db)
            .await?;
    let payload = payload.ok_or(ApiError::NotFound("event"))?;
    Ok(serde_json::from_str(&payload)?)
}

/// List events, newest first, by type or session.
#[utoipa::path(get, path = "/v1/events", tag = "Events", params(EventListParams),
    responses((status = 200, body = List<Event>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn list(
    State(state): State<AppState>,
    merchant: Merchant,
    ApiQuery(params): ApiQuery<EventListParams>,
) -> ApiResult<ApiJson<List<Event>>> {
    if let Some(kind) = &params.kind
        && EventType::parse(kind).is_none()
    {
        return Err(ApiError::invalid(
            "type",
            format!("unknown event type {kind:?}"),
        ));
    }
    let query = ListQuery::new(Listed::Events, "payload")
        .filter("type", params.kind.as_deref())
        .filter("session_id", params.session_id.as_deref());
    pagination::answer(
        &state.db,
        &merchant.id,
        &query,
        &params,
        |(payload,): (String,)| Ok(serde_json::from_str(&payload)?),
    )
    .await
}

#[derive(FromRow)]
struct DeliveryRow {
    id: i64,
    endpoint_id: String,
    status: String,
    next_attempt_ms: i64,
}

#[derive(FromRow)]
struct AttemptRow {
    attempted_ms: i64,
    status_code: Option<i64>,
    latency_ms: i64,
    error: Option<String>,
}

fn from_ms(ms: i64) -> tender_protocol::Timestamp {
    from_seconds(ms.div_euclid(1000))
}

/// Retrieve an event with its deliveries and every attempt.
#[utoipa::path(get, path = "/v1/events/{id}", tag = "Events",
    params(("id" = String, Path, description = "Event id (evt_...)")),
    responses((status = 200, body = EventDetails), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn show(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<EventDetails>> {
    let id = parse_id(&id)?;
    let event = find(&state, &merchant, &id).await?;
    let rows: Vec<DeliveryRow> = sqlx::query_as(
        "SELECT id, endpoint_id, status, next_attempt_ms FROM deliveries WHERE event_id = $1 ORDER BY id",
    )
    .bind(id.as_str())
    .fetch_all(&state.db)
    .await?;
    let mut deliveries = Vec::with_capacity(rows.len());
    for row in rows {
        let attempts: Vec<AttemptRow> = sqlx::query_as(
            "SELECT attempted_ms, status_code, latency_ms, error FROM delivery_attempts
             WHERE delivery_id = $1 ORDER BY id",
        )
        .bind(row.id)
        .fetch_all(&state.db)
        .await?;
        let status = match row.status.as_str() {
            "succeeded" => DeliveryStatus::Succeeded,
            "failed" => DeliveryStatus::Failed,
            "cancelled" => DeliveryStatus::Cancelled,
            _ => DeliveryStatus::Pending,
        };
        deliveries.push(Delivery {
            endpoint_id: WebhookEndpointId::parse(&row.endpoint_id)?,
            status,
            next_attempt_at: (status == DeliveryStatus::Pending)
                .then(|| from_ms(row.next_attempt_ms)),
            attempts: attempts
                .into_iter()
                .map(|a| DeliveryAttempt {
                    attempted_at: from_ms(a.attempted_ms),
                    status_code: a.status_code.and_then(|c| u16::try_from(c).ok()),
                    latency_ms: u64::try_from(a.latency_ms).unwrap_or(0),
                    error: a.error,
                })
                .collect(),
        });
    }
    Ok(ApiJson(EventDetails { event, deliveries }))
}

/// Deliver an event again, now: to one endpoint, or to every enabled
/// endpoint subscribed to its type.
#[utoipa::path(post, path = "/v1/events/{id}/redeliver", tag = "Events",
    params(("id" = String, Path, description = "Event id (evt_...)")),
    request_body = Redeliver,
    responses((status = 200, body = EventDetails), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn redeliver(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<ApiJson<EventDetails>> {
    let body: Redeliver = optional_json(&body)?;
    let event_id = parse_id(&id)?;
    let event = find(&state, &merchant, &event_id).await?;
    let mut tx = db::begin_write(&state.db).await?;
    match &body.endpoint_id {
        Some(wanted) => {
            let enabled: Option<(String,)> = sqlx::query_as(
                "SELECT id FROM webhook_endpoints
                 WHERE id = $1 AND merchant_id = $2 AND deleted_at IS NULL AND disabled_at IS NULL",
            )
            .bind(wanted.as_str())
            .bind(merchant.id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if enabled.is_none() {
                return Err(ApiError::invalid(
                    "endpointId",
                    format!("no enabled webhook endpoint {wanted}"),
                ));
            }
            outbox::queue(&mut tx, &event_id, wanted.as_str()).await?;
        }
        None => {
            outbox::queue_to_enabled(&mut tx, &event_id, &merchant.id, Some(event.kind)).await?;
        }
    }
    tx.commit().await?;
    state.announce();
    show(State(state), merchant, Path(id)).await
}
