//! Orders: created at checkout with a Checkout Session (`checkout`), moved
//! forward only (`status`) by verified webhooks or by asking the gateway
//! (`reconciliation`), and read here by the success page's polls.

pub mod checkout;
pub mod reconciliation;
pub mod refunds;
pub mod status;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use sqlx::FromRow;
use tender_protocol::{CartLine, Order, OrderId, OrderStatus, ProductId};

use crate::error::ShopError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/checkout", post(checkout::checkout))
        .route("/api/orders/{id}", get(show))
}

#[derive(FromRow)]
struct OrderRow {
    id: String,
    product_id: String,
    quantity: i64,
    items: Option<String>,
    status: String,
    tx_hash: Option<String>,
}

impl OrderRow {
    fn into_order(self) -> anyhow::Result<Order> {
        let product_id = ProductId::parse(&self.product_id)?;
        let quantity = u32::try_from(self.quantity)?;
        let items = match &self.items {
            Some(json) => serde_json::from_str(json)?,
            None => vec![CartLine {
                product_id: product_id.clone(),
                quantity,
            }],
        };
        Ok(Order {
            order_id: OrderId::parse(&self.id)?,
            status: OrderStatus::parse(&self.status)
                .ok_or_else(|| anyhow::anyhow!("stored order status {:?}", self.status))?,
            product_id,
            quantity,
            items,
            tx_hash: self.tx_hash.as_deref().map(str::parse).transpose()?,
        })
    }
}

pub async fn find(state: &AppState, id: &OrderId) -> Result<Order, ShopError> {
    let row: Option<OrderRow> = sqlx::query_as(
        "SELECT id, product_id, quantity, items, status, tx_hash FROM orders WHERE id = $1",
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
    if let Err(err) = reconciliation::reconcile(&state, &id).await {
        // The poll still answers with what is known.
        tracing::warn!(order = %id, error = %err, "reconciliation failed");
    }
    Ok(axum::Json(find(&state, &id).await?))
}
