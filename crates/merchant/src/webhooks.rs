//! `POST /webhooks/tender`: verify the raw body, apply each event once, and
//! fulfil a paid order exactly once.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use tender_client::verify_webhook;
use tender_protocol::webhooks::HEADER_ID;
use tender_protocol::{Event, EventType, OrderId};

use crate::db::now_seconds;
use crate::error::ShopError;
use crate::orders::refunds;
use crate::orders::status::{advance, status_for};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/webhooks/tender", post(receive))
}

async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ShopError> {
    let event = verify_webhook(&state.config.webhook_secret, &headers, &body).map_err(|e| {
        tracing::warn!(error = %e, "webhook rejected");
        ShopError::BadWebhook(e.to_string())
    })?;
    // The id header is covered by the signature, so it is the sender's.
    let webhook_id = headers
        .get(HEADER_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    apply(&state, &webhook_id, &event).await?;
    Ok(StatusCode::OK)
}

/// Applies one verified event, once per webhook id, in one transaction.
/// Events of no session change no order.
async fn apply(state: &AppState, webhook_id: &str, event: &Event) -> Result<(), ShopError> {
    if let Some(destination) = &event.data.settlement_destination {
        tracing::warn!(
            network = %destination.network,
            token = %destination.token,
            address = %destination.address,
            "the shop's payout address was changed: if nobody here changed it, revoke the API keys now"
        );
    }
    let Some(session) = &event.data.session else {
        tracing::info!(event = event.kind.as_str(), "event acknowledged");
        return Ok(());
    };
    // Made up by `tender trigger`: nothing was sold or paid.
    if event.test {
        tracing::info!(event = event.kind.as_str(), "test event acknowledged");
        return Ok(());
    }
    let order_id = session
        .metadata
        .get("order_id")
        .and_then(|id| OrderId::parse(id).ok());
    let mut tx = state.db.begin_with("BEGIN IMMEDIATE").await?;
    let first_time = sqlx::query(
        "INSERT INTO webhook_events (id, type, order_id, received_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(webhook_id)
    .bind(event.kind.as_str())
    .bind(order_id.as_ref().map(OrderId::as_str))
    .bind(now_seconds())
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !first_time {
        tracing::info!(webhook = webhook_id, "duplicate webhook ignored");
        return Ok(());
    }
    if event.kind == EventType::SessionPaymentReorged {
        tracing::warn!(
            order = order_id.as_ref().map(OrderId::as_str),
            session = %session.id,
            "a confirmed payment was reorged off the chain: check this order before shipping"
        );
    }
    if let (Some(order_id), EventType::RefundCompleted, Some(refund)) =
        (&order_id, event.kind, &event.data.refund)
    {
        let changed = refunds::apply(&mut tx, order_id, session, refund).await?;
        tx.commit().await?;
        if let Some(next) = changed {
            tracing::info!(order = %order_id, status = next.as_str(), "order refunded");
        }
        return Ok(());
    }
    let (Some(order_id), Some(target)) = (order_id, status_for(event)) else {
        tx.commit().await?;
        return Ok(());
    };
    let changed = advance(
        &mut tx,
        state.fulfilment.as_ref(),
        &order_id,
        session,
        target,
    )
    .await?;
    tx.commit().await?;
    if let Some(next) = changed {
        tracing::info!(order = %order_id, event = event.kind.as_str(), status = next.as_str(), "order updated");
    }
    Ok(())
}
