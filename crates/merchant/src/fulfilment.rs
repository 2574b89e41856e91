//! What the shop does once an order is paid. Runs inside the webhook's
//! transaction, at most once per order.

use std::future::Future;
use std::pin::Pin;

use sqlx::SqliteConnection;
use tender_protocol::OrderId;

/// A boxed future, so fulfilments can live behind `dyn`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Fulfils a paid order. The caller calls it once per order (a unique
/// constraint decides), inside the transaction that marks the order paid, so
/// a failure rolls the whole webhook back for a retry.
pub trait Fulfilment: Send + Sync + 'static {
    fn fulfil<'a>(
        &'a self,
        conn: &'a mut SqliteConnection,
        order: &'a OrderId,
    ) -> BoxFuture<'a, anyhow::Result<()>>;
}

/// The demo shop's fulfilment: records a shipment.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordShipment;

impl Fulfilment for RecordShipment {
    fn fulfil<'a>(
        &'a self,
        conn: &'a mut SqliteConnection,
        order: &'a OrderId,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            sqlx::query("INSERT INTO shipments (order_id, created_at) VALUES ($1, $2)")
                .bind(order.as_str())
                .bind(crate::db::now_seconds())
                .execute(conn)
                .await?;
            tracing::info!(order = %order, "shipment recorded");
            Ok(())
        })
    }
}
