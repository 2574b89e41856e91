//! Reconciliation: an order still unconfirmed a while after checkout is
//! checked with the gateway itself (server to server, authoritative), so a
//! lost webhook never strands a paid order.

use tender_protocol::{OrderId, SessionId};

use crate::db::now_seconds;
use crate::error::ShopError;
use crate::orders::status::{advance, status_for_session};
use crate::state::AppState;

/// An unconfirmed order is checked with the gateway at most this often.
const RECONCILE_EVERY_SECONDS: i64 = 5;

/// Asks the gateway about an unconfirmed order, at most once every
/// `RECONCILE_EVERY_SECONDS` per order, and applies what it says.
pub async fn reconcile(state: &AppState, id: &OrderId) -> Result<(), ShopError> {
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
    let Some(target) = status_for_session(&session) else {
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
