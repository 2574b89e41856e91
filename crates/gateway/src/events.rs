//! Events and the webhook outbox. An event and its delivery rows are written
//! in the caller's transaction, the same one that changes the session, so a
//! state change is never without its webhook and vice versa. Merchants read
//! events and their delivery attempts at `/v1/events`, and can ask for a
//! redelivery.

use crate::db::Conn;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use sqlx::FromRow;
use tender_protocol::{
    Delivery, DeliveryAttempt, DeliveryStatus, ErrorBody, Event, EventData, EventDetails, EventId,
    EventListParams, EventType, List, MerchantId, Redeliver, Session, WebhookEndpointId,
};

use crate::clock::{from_seconds, now_ms, now_seconds};
use crate::db;
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult, optional_json};
use crate::merchants::Merchant;
use crate::pagination::{self, Listed};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/events", get(list))
        .route("/v1/events/{id}", get(show))
        .route("/v1/events/{id}/redeliver", post(redeliver))
}

/// Records `kind` for `session` and queues one delivery per enabled endpoint
/// of the merchant subscribed to it. Call `state.announce()` after
/// commit.
pub async fn record(
    conn: &mut Conn,
    merchant: &MerchantId,
    kind: EventType,
    session: &Session,
) -> anyhow::Result<EventId> {
    let now = now_seconds();
    let event = Event {
        id: EventId::generate(),
        kind,
        created_at: from_seconds(now),
        data: EventData {
            session: session.clone(),
        },
    };
    let payload = serde_json::to_string(&event)?;
    sqlx::query(
        // Writers are serialised (BEGIN IMMEDIATE), so MAX + 1 is a sequence.
        "INSERT INTO events (id, merchant_id, type, session_id, payload, created_at, seq)
         VALUES ($1, $2, $3, $4, $5, $6, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events))",
    )
    .bind(event.id.as_str())
    .bind(merchant.as_str())
    .bind(kind.as_str())
    .bind(session.id.as_str())
    .bind(&payload)
    .bind(now)
    .execute(&mut *conn)
    .await?;

    let endpoints: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, enabled_events FROM webhook_endpoints
         WHERE merchant_id = $1 AND deleted_at IS NULL AND disabled_at IS NULL",
    )
    .bind(merchant.as_str())
    .fetch_all(&mut *conn)
    .await?;
    for (endpoint_id, enabled) in endpoints {
        let enabled: Vec<String> = serde_json::from_str(&enabled)?;
        if subscribes(&enabled, kind) {
            queue(conn, &event.id, &endpoint_id).await?;
        }
    }
    tracing::info!(event = %event.id, kind = kind.as_str(), session = %session.id, "event recorded");
    Ok(event.id)
}

/// Queues (or re-queues) the delivery of an event to an endpoint, due now.
async fn queue(conn: &mut Conn, event: &EventId, endpoint: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO deliveries (event_id, endpoint_id, status, next_attempt_ms) VALUES ($1, $2, 'pending', $3)
         ON CONFLICT (event_id, endpoint_id) DO UPDATE
         SET status = 'pending', attempts = 0, next_attempt_ms = excluded.next_attempt_ms",
    )
    .bind(event.as_str())
    .bind(endpoint)
    .bind(now_ms())
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether an endpoint's `enabled_events` include `kind`.
pub fn subscribes(enabled: &[String], kind: EventType) -> bool {
    enabled.iter().any(|e| e == "*" || e == kind.as_str())
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
    Ok(serde_json::from_str(&payload).map_err(anyhow::Error::from)?)
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
    let page = pagination::page(
        &state.db,
        Listed::Events,
        &merchant.id,
        params.limit,
        params.starting_after.as_deref(),
    )
    .await?;
    let (before, before_id) = page.cursor();
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT payload FROM events
         WHERE merchant_id = $1 AND ($2 IS NULL OR type = $2) AND ($3 IS NULL OR session_id = $3)
           AND (seq < $4 OR (seq = $4 AND id < $5))
         ORDER BY seq DESC LIMIT $6",
    )
    .bind(merchant.id.as_str())
    .bind(params.kind.as_deref())
    .bind(params.session_id.as_deref())
    .bind(before)
    .bind(before_id)
    .bind(page.fetch())
    .fetch_all(&state.db)
    .await?;
    let events = rows
        .iter()
        .map(|(payload,)| serde_json::from_str(payload))
        .collect::<Result<Vec<Event>, _>>()
        .map_err(anyhow::Error::from)?;
    Ok(ApiJson(page.finish(events)))
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
            endpoint_id: WebhookEndpointId::parse(&row.endpoint_id).map_err(anyhow::Error::from)?,
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
    let endpoints: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, enabled_events FROM webhook_endpoints
         WHERE merchant_id = $1 AND deleted_at IS NULL AND disabled_at IS NULL",
    )
    .bind(merchant.id.as_str())
    .fetch_all(&state.db)
    .await?;
    let targets: Vec<String> = match &body.endpoint_id {
        Some(wanted) => {
            if !endpoints.iter().any(|(id, _)| id == wanted.as_str()) {
                return Err(ApiError::invalid(
                    "endpointId",
                    format!("no enabled webhook endpoint {wanted}"),
                ));
            }
            vec![wanted.to_string()]
        }
        None => endpoints
            .into_iter()
            .filter(|(_, enabled)| {
                serde_json::from_str::<Vec<String>>(enabled)
                    .is_ok_and(|e| subscribes(&e, event.kind))
            })
            .map(|(id, _)| id)
            .collect(),
    };
    let mut tx = db::begin_write(&state.db).await?;
    for endpoint in &targets {
        queue(&mut tx, &event_id, endpoint).await?;
    }
    tx.commit().await?;
    state.announce();
    show(State(state), merchant, Path(id)).await
}
