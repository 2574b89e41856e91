//! Where an order stands: the status each event or session status means,
//! and the one way an order moves (forward only, fulfilled once).

use sqlx::SqliteConnection;
use tender_protocol::{Event, EventType, OrderId, OrderStatus, Session, SessionStatus};

use crate::db::now_seconds;
use crate::error::ShopError;
use crate::fulfilment::Fulfilment;

/// Whether the session's money covers what it asked for: the one condition
/// for shipping, whatever an event is called.
fn covered(session: &Session) -> bool {
    session.amount_received.currency() == session.amount_due.currency()
        && session.amount_received.minor() >= session.amount_due.minor()
}

/// The order status an event moves an order to. A paid event (`paid`,
/// `paid_late`, `completed`) pays the order only if the session's
/// `amountReceived` covers its `amountDue`.
pub fn status_for(event: &Event) -> Option<OrderStatus> {
    match event.kind {
        EventType::SessionProcessing | EventType::SessionUnderpaid => Some(OrderStatus::Processing),
        EventType::SessionPaid | EventType::SessionCompleted | EventType::SessionPaidLate => {
            let session = event.data.session.as_ref()?;
            covered(session).then_some(OrderStatus::Paid)
        }
        EventType::SessionExpired => Some(OrderStatus::Expired),
        // A reorg took a confirmed payment back: the session's own status
        // events say where it now stands; a fulfilled order needs a person.
        EventType::SessionCreated
        | EventType::SessionPaymentReorged
        | EventType::SessionUnallocatedFunds
        | EventType::SessionSettlementFailed
        | EventType::RefundCreated
        | EventType::RefundClaimed
        | EventType::RefundCompleted
        | EventType::RefundFailed
        | EventType::SettlementDestinationUpdated
        | EventType::WebhookEndpointTest => None,
    }
}

/// The order status a session's own status stands for (reconciliation), by
/// the same rule as the events.
pub fn status_for_session(session: &Session) -> Option<OrderStatus> {
    match session.status {
        SessionStatus::Open => None,
        SessionStatus::Processing | SessionStatus::Underpaid => Some(OrderStatus::Processing),
        SessionStatus::Paid | SessionStatus::Completed => {
            covered(session).then_some(OrderStatus::Paid)
        }
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
        OrderStatus::PartiallyRefunded => 5,
        OrderStatus::Refunded => 6,
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
