//! `POST /api/checkout`: the shopper's click (one product, or a cart of
//! `items`) becomes an order (an unguessable id) and a Checkout Session at
//! the gateway; JSON answers
//! `{orderId, paymentUrl}`, a form is redirected (303) to the cashier.
//! Each client address may start `checkouts_per_minute` of them.

use axum::body::Bytes;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use governor::clock::DefaultClock;
use tender_protocol::{
    CartItem, CartLine, CheckoutRequest, CheckoutResponse, CreateSession, IdempotencyKey, Metadata,
    OrderId, OrderStatus,
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

/// The most products one checkout may hold (the gateway's own limit).
const MAX_LINES: usize = tender_protocol::MAX_LINE_ITEMS;

/// The lines a request asks for, each with 1 to 100 of its product.
fn cart(request: &CheckoutRequest) -> Result<Vec<CartLine>, ShopError> {
    let invalid = |message: String, param: &'static str| ShopError::InvalidRequest {
        message,
        param: Some(param),
    };
    let lines = request.lines().ok_or_else(|| {
        invalid(
            "give productId (and quantity) or items, not both".into(),
            "productId",
        )
    })?;
    if lines.is_empty() || lines.len() > MAX_LINES {
        return Err(invalid(
            format!("a checkout holds 1 to {MAX_LINES} items"),
            "items",
        ));
    }
    let param = if request.items.is_empty() {
        "quantity"
    } else {
        "items"
    };
    match lines.iter().find(|l| !(1..=100).contains(&l.quantity)) {
        Some(line) => Err(invalid(
            format!(
                "quantity must be between 1 and 100 ({} has {})",
                line.product_id, line.quantity
            ),
            param,
        )),
        None => Ok(lines),
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
    let lines = cart(&request)?;
    let order_id = OrderId::generate();
    let now = now_seconds();
    sqlx::query(
        "INSERT INTO orders (id, product_id, quantity, items, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(order_id.as_str())
    .bind(lines[0].product_id.as_str())
    .bind(i64::from(lines[0].quantity))
    .bind(serde_json::to_string(&lines).map_err(anyhow::Error::from)?)
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
                product_id: None,
                product_data: None,
                quantity: 1,
                line_items: lines
                    .iter()
                    .map(|line| CartItem {
                        product_id: Some(line.product_id.clone()),
                        product_data: None,
                        quantity: line.quantity,
                    })
                    .collect(),
                metadata,
                success_url: format!("{base}/success.html?order={order_id}"),
                cancel_url: Some(format!("{base}/")),
                expires_in_seconds: None,
                underpayment_tolerance: None,
                locale: None,
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
