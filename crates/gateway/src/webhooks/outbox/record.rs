//! Recording events: an event, its number in the merchant's sequence and
//! its deliveries, written in the caller's transaction as one batch.

use tender_protocol::{
    Event, EventData, EventId, EventType, MerchantId, Refund, Session, SettlementDestination,
};

use crate::clock::{from_seconds, now_ms, now_seconds};
use crate::db::{Batch, Conn};

/// Records `kind` for `session` and queues one delivery per enabled endpoint
/// of the merchant subscribed to it. Call `state.announce()` after commit.
pub async fn record(
    conn: &mut Conn,
    merchant: &MerchantId,
    kind: EventType,
    session: &Session,
) -> anyhow::Result<EventId> {
    run(conn, |batch| record_in(batch, merchant, kind, session)).await
}

/// [`record`], as statements added to the caller's batch.
pub fn record_in(
    batch: &mut Batch,
    merchant: &MerchantId,
    kind: EventType,
    session: &Session,
) -> anyhow::Result<EventId> {
    record_data(batch, merchant, kind, of_session(session), To::Subscribed)
}

/// The data of a `session.*` event.
fn of_session(session: &Session) -> EventData {
    EventData {
        session: Some(session.clone()),
        ..EventData::default()
    }
}

/// Records a `refund.*` event: the session with the refund.
pub async fn record_refund(
    conn: &mut Conn,
    merchant: &MerchantId,
    kind: EventType,
    session: &Session,
    refund: &Refund,
) -> anyhow::Result<EventId> {
    let data = EventData {
        session: Some(session.clone()),
        refund: Some(refund.clone()),
        ..EventData::default()
    };
    run(conn, |batch| {
        record_data(batch, merchant, kind, data, To::Subscribed)
    })
    .await
}

/// Records `settlement_destination.updated` and queues it to every enabled
/// endpoint of the merchant, whatever each subscribes to: a payout address
/// changed by a leaked key must not go unnoticed.
pub async fn record_destination_change(
    conn: &mut Conn,
    merchant: &MerchantId,
    destination: &SettlementDestination,
) -> anyhow::Result<EventId> {
    let data = EventData {
        settlement_destination: Some(destination.clone()),
        ..EventData::default()
    };
    let kind = EventType::SettlementDestinationUpdated;
    run(conn, |batch| {
        record_data(batch, merchant, kind, data, To::Every)
    })
    .await
}

/// Records a `webhook_endpoint.test` event and queues it to `endpoint` only.
pub async fn record_test(
    conn: &mut Conn,
    merchant: &MerchantId,
    endpoint: &str,
) -> anyhow::Result<EventId> {
    let kind = EventType::WebhookEndpointTest;
    run(conn, |batch| {
        record_data(
            batch,
            merchant,
            kind,
            EventData::default(),
            To::One(endpoint),
        )
    })
    .await
}

/// Records a made-up `kind` event of `session` (which does not exist),
/// marked `test`, for the endpoints subscribed to `kind` and the stream.
pub async fn record_made_up(
    conn: &mut Conn,
    merchant: &MerchantId,
    kind: EventType,
    session: &Session,
) -> anyhow::Result<EventId> {
    run(conn, |batch| {
        record_data(
            batch,
            merchant,
            kind,
            of_session(session),
            To::SubscribedAsTest,
        )
    })
    .await
}

/// Which of the merchant's endpoints an event goes to.
enum To<'a> {
    /// The enabled ones subscribed to its type.
    Subscribed,
    /// The same, for a made-up event marked `test`.
    SubscribedAsTest,
    /// Every enabled one.
    Every,
    One(&'a str),
}

/// Adds statements to a new batch and runs it.
async fn run<T>(
    conn: &mut Conn,
    add: impl FnOnce(&mut Batch) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let mut batch = Batch::new();
    let out = add(&mut batch)?;
    batch.run(conn).await?;
    Ok(out)
}

/// The event (numbered as it is inserted) and its deliveries: two
/// statements, sent together.
fn record_data(
    batch: &mut Batch,
    merchant: &MerchantId,
    kind: EventType,
    data: EventData,
    to: To<'_>,
) -> anyhow::Result<EventId> {
    let now = now_seconds();
    // Events of no session keep '' in events.session_id (NOT NULL since
    // the first migration); no session id is empty, so none matches it. A
    // test event's session does not exist.
    let session_id = data
        .session
        .as_ref()
        .filter(|_| !matches!(to, To::SubscribedAsTest))
        .map(|s| s.id.as_str().to_owned())
        .unwrap_or_default();
    let test = matches!(to, To::SubscribedAsTest);
    let event = Event {
        id: EventId::generate(),
        kind,
        created_at: from_seconds(now),
        data,
        test,
    };
    let payload = serde_json::to_string(&event)?;
    // Numbered from the merchant's counter, moved on just before: on
    // SQLite by the statement before (the one writer needs no lock to keep
    // the order), on PostgreSQL by a trigger that overwrites the number,
    // the merchant's row then locked until commit, so its events are
    // numbered in commit order. Taken as late as it can be. (A trigger on
    // SQLite made the insert a statement SQLite journals, in case it fails
    // half-way: every page it changed was copied first.)
    batch
        .add_on_sqlite("UPDATE merchants SET event_seq = event_seq + 1 WHERE id = $1")
        .bind(merchant.as_str());
    batch.locks_here();
    batch
        .add(
            "INSERT INTO events (id, merchant_id, type, session_id, payload, created_at, seq)
             VALUES ($1, $2, $3, $4, $5, $6, (SELECT event_seq FROM merchants WHERE id = $2))",
        )
        .bind(event.id.as_str())
        .bind(merchant.as_str())
        .bind(kind.as_str())
        .bind(session_id.clone())
        .bind(payload)
        .bind(now);
    match to {
        To::Subscribed | To::SubscribedAsTest => {
            queue_to_enabled_in(batch, &event.id, merchant, Some(kind));
        }
        To::Every => queue_to_enabled_in(batch, &event.id, merchant, None),
        To::One(endpoint) => {
            batch
                .add(QUEUE)
                .bind(event.id.as_str().to_owned())
                .bind(endpoint.to_owned())
                .bind(now_ms());
        }
    }
    tracing::debug!(event = %event.id, kind = kind.as_str(), session = %session_id, "event recorded");
    Ok(event.id)
}

/// Queues (or re-queues) an event to every enabled endpoint of the
/// merchant, or only to those subscribed to `kind`, due now, in one
/// statement: the one place the subscription rule lives. `enabled_events`
/// is a JSON array of names, so a name is found with its quotes around it.
pub async fn queue_to_enabled(
    conn: &mut Conn,
    event: &EventId,
    merchant: &MerchantId,
    kind: Option<EventType>,
) -> Result<(), sqlx::Error> {
    let mut batch = Batch::new();
    queue_to_enabled_in(&mut batch, event, merchant, kind);
    batch.run(conn).await
}

fn queue_to_enabled_in(
    batch: &mut Batch,
    event: &EventId,
    merchant: &MerchantId,
    kind: Option<EventType>,
) {
    let pattern = kind.map(|k| format!("%\"{}\"%", k.as_str().replace('_', "\\_")));
    batch
        .add(
            "INSERT INTO deliveries (event_id, endpoint_id, status, next_attempt_ms)
             SELECT $1, id, 'pending', $2 FROM webhook_endpoints
             WHERE merchant_id = $3 AND deleted_at IS NULL AND disabled_at IS NULL
               AND ($4 IS NULL OR enabled_events LIKE '%\"*\"%' OR enabled_events LIKE $4 ESCAPE '\\')
             ON CONFLICT (event_id, endpoint_id) DO UPDATE
             SET status = 'pending', attempts = 0, next_attempt_ms = excluded.next_attempt_ms",
        )
        .bind(event.as_str().to_owned())
        .bind(now_ms())
        .bind(merchant.as_str().to_owned())
        .bind(pattern);
}

/// Queues (or re-queues) a delivery; `$1` event, `$2` endpoint, `$3` due.
const QUEUE: &str =
    "INSERT INTO deliveries (event_id, endpoint_id, status, next_attempt_ms) VALUES ($1, $2, 'pending', $3)
     ON CONFLICT (event_id, endpoint_id) DO UPDATE
     SET status = 'pending', attempts = 0, next_attempt_ms = excluded.next_attempt_ms";

/// Queues (or re-queues) the delivery of an event to an endpoint, due now.
pub async fn queue(conn: &mut Conn, event: &EventId, endpoint: &str) -> Result<(), sqlx::Error> {
    sqlx::query(QUEUE)
        .bind(event.as_str())
        .bind(endpoint)
        .bind(now_ms())
        .execute(conn)
        .await?;
    Ok(())
}
