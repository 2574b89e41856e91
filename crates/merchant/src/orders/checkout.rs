//! `POST /api/checkout`: the shopper's click becomes an order (an
//! unguessable id) and a Checkout Session at the gateway; JSON answers
//! `{orderId, paymentUrl}`, a form is redirected (303) to the cashier.
//! Each client address may start `checkouts_per_minute` of them.

use axum::body::Bytes;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use governor::clock::DefaultClock;
use tender_protocol::{
    CheckoutRequest, CheckoutResponse, CreateSession, IdempotencyKey, Metadata, OrderId,
    OrderStatus,
};

use crate::db::now_seconds;
use crate::error::ShopError;
use crate::state::AppState;

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

pub async fn checkout(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ShopError> {
    if let Err(wait) = state.checkouts.check_key(&peer.ip()) {
        let wait = wait.wait_time_from(governor::clock::Clock::now(&DefaultClock::default()));
        // Whole seconds, rounded up: a client waiting that long gets in.
        let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        return Err(ShopError::TooMany {
            retry_after: retry_after.max(1),
        });
    }
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
                line_items: Vec::new(),
                metadata,
                success_url: format!("{base}/success.html?order={order_id}"),
                cancel_url: Some(format!("{base}/")),
                expires_in_seconds: None,
                underpayment_tolerance: None,
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
