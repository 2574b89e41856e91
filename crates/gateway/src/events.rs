//! Events and the webhook outbox. An event and its delivery rows are written
//! in the caller's transaction, the same one that changes the session, so a
//! state change is never without its webhook and vice versa.

use sqlx::SqliteConnection;
use tender_protocol::{Event, EventData, EventId, EventType, MerchantId, Session};

use crate::clock::{now_ms, now_seconds};

/// Records `kind` for `session` and queues one delivery per endpoint of the
/// merchant subscribed to it. Call `state.outbox.notify_one()` after commit.
pub async fn record(
    conn: &mut SqliteConnection,
    merchant: &MerchantId,
    kind: EventType,
    session: &Session,
) -> anyhow::Result<EventId> {
    let event = Event {
        id: EventId::generate(),
        kind,
        created_at: crate::clock::from_seconds(now_seconds()),
        data: EventData {
            session: session.clone(),
        },
    };
    let payload = serde_json::to_string(&event)?;
    sqlx::query(
        "INSERT INTO events (id, merchant_id, type, session_id, payload, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(event.id.as_str())
    .bind(merchant.as_str())
    .bind(kind.as_str())
    .bind(session.id.as_str())
    .bind(&payload)
    .bind(now_seconds())
    .execute(&mut *conn)
    .await?;

    let endpoints: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, enabled_events FROM webhook_endpoints
         WHERE merchant_id = $1 AND deleted_at IS NULL",
    )
    .bind(merchant.as_str())
    .fetch_all(&mut *conn)
    .await?;
    for (endpoint_id, enabled) in endpoints {
        let enabled: Vec<String> = serde_json::from_str(&enabled)?;
        if !subscribes(&enabled, kind) {
            continue;
        }
        sqlx::query(
            "INSERT INTO deliveries (event_id, endpoint_id, status, next_attempt_ms)
             VALUES ($1, $2, 'pending', $3)",
        )
        .bind(event.id.as_str())
        .bind(&endpoint_id)
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
    }
    tracing::info!(event = %event.id, kind = kind.as_str(), session = %session.id, "event recorded");
    Ok(event.id)
}

/// Whether an endpoint's `enabled_events` include `kind`.
pub fn subscribes(enabled: &[String], kind: EventType) -> bool {
    enabled.iter().any(|e| e == "*" || e == kind.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_and_exact_types_subscribe() {
        let all = vec!["*".to_owned()];
        let paid = vec!["session.paid".to_owned()];
        assert!(subscribes(&all, EventType::SessionCreated));
        assert!(subscribes(&paid, EventType::SessionPaid));
        assert!(!subscribes(&paid, EventType::SessionCreated));
    }
}
