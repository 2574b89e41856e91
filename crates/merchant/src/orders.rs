//! Orders: created at checkout with a Checkout Session, read by the success
//! page, and moved forward only by verified webhooks.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use sqlx::FromRow;
use sqlx::SqliteConnection;
use tender_protocol::{
    CheckoutRequest, CheckoutResponse, CreateSession, EventType, IdempotencyKey, Metadata, Order,
    OrderId, OrderStatus, ProductId, Session, SessionId, SessionStatus,
};

use crate::db::now_seconds;
use crate::error::ShopError;
use crate::fulfilment::Fulfilment;
use crate::state::AppState;

/// An unconfirmed order is checked with the gateway at most this often.
const RECONCILE_EVERY_SECONDS: i64 = 5;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/checkout", post(checkout))
        .route("/api/orders/{id}", get(show))
}

/// The order status an event moves an order to.
pub fn status_for(event: EventType) -> Option<OrderStatus> {
    match event {
        EventType::SessionProcessing | EventType::SessionUnderpaid => Some(OrderStatus::Processing),
        EventType::SessionPaid | EventType::SessionCompleted | EventType::SessionPaidLate => {
            Some(OrderStatus::Paid)
        }
        EventType::SessionExpired => Some(OrderStatus::Expired),
        EventType::SessionCreated => None,
    }
}

/// The order status a session's own status stands for (reconciliation).
pub fn status_for_session(status: SessionStatus) -> Option<OrderStatus> {
    match status {
        SessionStatus::Open => None,
        SessionStatus::Processing | SessionStatus::Underpaid => Some(OrderStatus::Processing),
        SessionStatus::Paid | SessionStatus::Completed => Some(OrderStatus::Paid),
        SessionStatus::Expired => Some(OrderStatus::Expired),
    }
}

fn rank(status: OrderStatus) -> u8 {
    match status {
        OrderStatus::AwaitingPayment => 0,
        OrderStatus::Processing => 1,
        OrderStatus::Expired => 2,
        OrderStatus::Paid => 3,
        OrderStatus::Fulfilled => 4,
    }
}

/// Whether an order in `current` may move to `target`: only forward, so an
/// older event arriving after a newer one changes nothing. A late payment
/// may still turn an expired order into a paid one.
pub fn advances(current: OrderStatus, target: OrderStatus) -> bool {
    rank(target) > rank(current)
}

/// Moves an order forward to `target` as `session` reports it, in the
/// caller's transaction, fulfilling it the first time it is paid. Only
/// forward: whatever reports a status (webhook or reconciliation), an order
/// is fulfilled once. Answers the new status if it changed.
pub async fn advance(
    conn: &mut SqliteConnection,
    fulfilment: &dyn Fulfilment,
    order_id: &OrderId,
    session: &Session,
    target: OrderStatus,
) -> Result<Option<OrderStatus>, ShopError> {
    let current: Option<(String,)> =
        sqlx::query_as("SELECT status FROM orders WHERE id = $1 AND session_id = $2")
            .bind(order_id.as_str())
            .bind(session.id.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    let Some(current) = current.and_then(|(s,)| OrderStatus::parse(&s)) else {
        tracing::warn!(order = %order_id, session = %session.id, "no such order for this session");
        return Ok(None);
    };
    if !advances(current, target) {
        return Ok(None);
    }
    let tx_hash = session.payments.first().map(|p| p.tx_hash.to_string());
    let mut next = target;
    if target == OrderStatus::Paid {
        fulfilment.fulfil(conn, order_id).await?;
        next = OrderStatus::Fulfilled;
    }
    sqlx::query(
        "UPDATE orders SET status = $1, tx_hash = COALESCE($2, tx_hash), updated_at = $3 WHERE id = $4",
    )
    .bind(next.as_str())
    .bind(tx_hash)
    .bind(now_seconds())
    .bind(order_id.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(Some(next))
}

fn parse_checkout(headers: &HeaderMap, body: &[u8]) -> Result<(CheckoutRequest, bool), ShopError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let invalid = |e: String| ShopError::InvalidRequest {
        message: format!("invalid checkout request: {e}"),
        param: None,
    };
    if content_type.starts_with("application/json") {
        let request = serde_json::from_slice(body).map_err(|e| invalid(e.to_string()))?;
        Ok((request, true))
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        let request = serde_urlencoded::from_bytes(body).map_err(|e| invalid(e.to_string()))?;
        Ok((request, false))
    } else {
        Err(invalid(
            "send JSON (application/json) or a form (application/x-www-form-urlencoded)".into(),
        ))
    }
}

async fn checkout(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ShopError> {
    let (request, wants_json) = parse_checkout(&headers, &body)?;
    if !(1..=100).contains(&request.quantity) {
        return Err(ShopError::InvalidRequest {
            message: "quantity must be between 1 and 100".into(),
            param: Some("quantity"),
        });
    }
    let order_id = OrderId::generate();
    let now = now_seconds();
    sqlx::query(
        "INSERT INTO orders (id, product_id, quantity, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(order_id.as_str())
    .bind(request.product_id.as_str())
    .bind(i64::from(request.quantity))
    .bind(OrderStatus::AwaitingPayment.as_str())
    .bind(now)
    .execute(&state.db)
    .await?;

    let base = state.public_url.as_str().trim_end_matches('/');
    let metadata = Metadata::new([("order_id".to_owned(), order_id.to_string())].into())
        .map_err(anyhow::Error::from)?;
    // The order id is the idempotency key: a retried call cannot make a
    // second session for one order.
    let key = IdempotencyKey::parse(order_id.as_str()).map_err(anyhow::Error::from)?;
    let session = state
        .gateway
        .create_session_idempotent(
            &CreateSession {
                product_id: Some(request.product_id.clone()),
                product_data: None,
                quantity: request.quantity,
                metadata,
                success_url: format!("{base}/success.html?order={order_id}"),
                cancel_url: Some(format!("{base}/")),
                expires_in_seconds: None,
            },
            &key,
        )
        .await?;
    sqlx::query("UPDATE orders SET session_id = $1, updated_at = $2 WHERE id = $3")
        .bind(session.id.as_str())
        .bind(now_seconds())
        .bind(order_id.as_str())
        .execute(&state.db)
        .await?;
    tracing::info!(order = %order_id, session = %session.id, "checkout started");
    if wants_json {
        Ok(axum::Json(CheckoutResponse {
            order_id,
            payment_url: session.payment_url,
        })
        .into_response())
    } else {
        Ok(Redirect::to(&session.payment_url).into_response())
    }
}

#[derive(FromRow)]
struct OrderRow {
    id: String,
    product_id: String,
    quantity: i64,
    status: String,
    tx_hash: Option<String>,
}

impl OrderRow {
    fn into_order(self) -> anyhow::Result<Order> {
        Ok(Order {
            order_id: OrderId::parse(&self.id)?,
            status: OrderStatus::parse(&self.status)
                .ok_or_else(|| anyhow::anyhow!("stored order status {:?}", self.status))?,
            product_id: ProductId::parse(&self.product_id)?,
            quantity: u32::try_from(self.quantity)?,
            tx_hash: self.tx_hash.as_deref().map(str::parse).transpose()?,
        })
    }
}

async fn find(state: &AppState, id: &OrderId) -> Result<Order, ShopError> {
    let row: Option<OrderRow> = sqlx::query_as(
        "SELECT id, product_id, quantity, status, tx_hash FROM orders WHERE id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(&state.db)
    .await?;
    Ok(row.ok_or(ShopError::NotFound("order"))?.into_order()?)
}

/// The order, as the success page polls it. An order still unconfirmed a
/// while after checkout is checked with the gateway itself (server to
/// server, authoritative), so a lost webhook never strands a paid order.
async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<Order>, ShopError> {
    let id = OrderId::parse(&id).map_err(|_| ShopError::NotFound("order"))?;
    let order = find(&state, &id).await?;
    if order.status.is_final() {
        return Ok(axum::Json(order));
    }
    if let Err(err) = reconcile(&state, &id).await {
        // The poll still answers with what is known.
        tracing::warn!(order = %id, error = %err, "reconciliation failed");
    }
    Ok(axum::Json(find(&state, &id).await?))
}

/// Asks the gateway about an unconfirmed order, at most once every
/// `RECONCILE_EVERY_SECONDS` per order, and applies what it says.
async fn reconcile(state: &AppState, id: &OrderId) -> Result<(), ShopError> {
    let now = now_seconds();
    let after = state.config.reconcile_after.as_secs() as i64;
    // Claiming the check in the row is the rate limit, shared by every
    // poller of this order.
    let claimed: Option<(String,)> = sqlx::query_as(
        "UPDATE orders SET reconciled_at = $1
         WHERE id = $2 AND session_id IS NOT NULL AND status IN ('awaiting_payment', 'processing')
           AND created_at <= $3 AND (reconciled_at IS NULL OR reconciled_at <= $4)
         RETURNING session_id",
    )
    .bind(now)
    .bind(id.as_str())
    .bind(now - after)
    .bind(now - RECONCILE_EVERY_SECONDS)
    .fetch_optional(&state.db)
    .await?;
    let Some((session_id,)) = claimed else {
        return Ok(());
    };
    let session_id = SessionId::parse(&session_id).map_err(anyhow::Error::from)?;
    let session = state.gateway.get_session(&session_id).await?;
    let Some(target) = status_for_session(session.status) else {
        return Ok(());
    };
    let mut tx = state.db.begin_with("BEGIN IMMEDIATE").await?;
    let changed = advance(&mut tx, state.fulfilment.as_ref(), id, &session, target).await?;
    tx.commit().await?;
    if let Some(next) = changed {
        tracing::info!(order = %id, status = next.as_str(), "order updated by reconciliation");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_only_move_forward() {
        use OrderStatus::*;
        assert!(advances(AwaitingPayment, Processing));
        assert!(advances(Processing, Paid));
        assert!(advances(Paid, Fulfilled));
        assert!(!advances(Paid, Processing));
        assert!(!advances(Fulfilled, Paid));
        assert!(!advances(Paid, Expired));
        assert!(advances(Expired, Paid));
    }
}
