//! Where a merchant wants its webhooks, and the secret they are signed with.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use sqlx::FromRow;
use tender_protocol::{
    CreateWebhookEndpoint, EventType, List, WebhookEndpoint, WebhookEndpointId, WebhookSecret,
};

use crate::clock::{from_seconds, now_seconds};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::merchants::Merchant;
use crate::state::AppState;
use crate::validate;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/webhook-endpoints", post(create).get(list))
}

async fn create(
    State(state): State<AppState>,
    merchant: Merchant,
    ApiJson(body): ApiJson<CreateWebhookEndpoint>,
) -> ApiResult<(StatusCode, ApiJson<WebhookEndpoint>)> {
    validate::url("url", &body.url)?;
    if body.enabled_events.is_empty() {
        return Err(ApiError::invalid(
            "enabledEvents",
            "enabledEvents needs at least one event type, or \"*\"",
        ));
    }
    if let Some(unknown) = body
        .enabled_events
        .iter()
        .find(|e| *e != "*" && EventType::parse(e).is_none())
    {
        return Err(ApiError::invalid(
            "enabledEvents",
            format!("unknown event type {unknown:?}"),
        ));
    }
    let id = WebhookEndpointId::generate();
    let secret = WebhookSecret::generate();
    let now = now_seconds();
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, merchant_id, url, secret, enabled_events, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.as_str())
    .bind(merchant.id.as_str())
    .bind(&body.url)
    .bind(secret.expose())
    .bind(serde_json::to_string(&body.enabled_events).map_err(anyhow::Error::from)?)
    .bind(now)
    .execute(&state.db)
    .await?;
    let endpoint = WebhookEndpoint {
        id,
        url: body.url,
        enabled_events: body.enabled_events,
        secret: Some(secret.expose()),
        created_at: from_seconds(now),
    };
    Ok((StatusCode::CREATED, ApiJson(endpoint)))
}

#[derive(FromRow)]
struct EndpointRow {
    id: String,
    url: String,
    enabled_events: String,
    created_at: i64,
}

async fn list(
    State(state): State<AppState>,
    merchant: Merchant,
) -> ApiResult<ApiJson<List<WebhookEndpoint>>> {
    let rows: Vec<EndpointRow> = sqlx::query_as(
        "SELECT id, url, enabled_events, created_at FROM webhook_endpoints
         WHERE merchant_id = $1 AND deleted_at IS NULL ORDER BY created_at, id",
    )
    .bind(merchant.id.as_str())
    .fetch_all(&state.db)
    .await?;
    let data = rows
        .into_iter()
        .map(|row| {
            Ok(WebhookEndpoint {
                id: WebhookEndpointId::parse(&row.id)?,
                url: row.url,
                enabled_events: serde_json::from_str(&row.enabled_events)?,
                secret: None,
                created_at: from_seconds(row.created_at),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(ApiJson(List {
        data,
        has_more: false,
    }))
}
