//! Refunds of an order: each paid-out refund (`refund.completed`) is
//! recorded once, and the order becomes `partially_refunded`, then
//! `refunded` once what was given back covers what it cost.

use sqlx::SqliteConnection;
use tender_protocol::{OrderId, OrderStatus, Refund, Session};

use crate::db::now_seconds;
use crate::error::ShopError;
use crate::orders::status::advances;

/// Records a paid-out refund of `order`, in the caller's transaction;
/// answers the order's new status if it changed.
pub async fn apply(
    conn: &mut SqliteConnection,
    order: &OrderId,
    session: &Session,
    refund: &Refund,
) -> Result<Option<OrderStatus>, ShopError> {
    sqlx::query(
        "INSERT INTO order_refunds (refund_id, order_id, amount_minor, received_at)
         VALUES ($1, $2, $3, $4) ON CONFLICT (refund_id) DO NOTHING",
    )
    .bind(refund.id.as_str())
    .bind(order.as_str())
    .bind(refund.amount.minor().to_string())
    .bind(now_seconds())
    .execute(&mut *conn)
    .await?;
    let amounts: Vec<(String,)> =
        sqlx::query_as("SELECT amount_minor FROM order_refunds WHERE order_id = $1")
            .bind(order.as_str())
            .fetch_all(&mut *conn)
            .await?;
    let refunded: u128 = amounts
        .iter()
        .filter_map(|(minor,)| minor.parse::<u128>().ok())
        .sum();
    let target = if refunded >= session.amount_due.minor() {
        OrderStatus::Refunded
    } else {
        OrderStatus::PartiallyRefunded
    };
    let current: Option<(String,)> = sqlx::query_as("SELECT status FROM orders WHERE id = $1")
        .bind(order.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    let Some(current) = current.and_then(|(s,)| OrderStatus::parse(&s)) else {
        return Ok(None);
    };
    if !current.is_paid() || !advances(current, target) {
        return Ok(None);
    }
    sqlx::query("UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(target.as_str())
        .bind(now_seconds())
        .bind(order.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(Some(target))
}
