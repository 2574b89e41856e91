//! Webhook events: what happened to a session, with the full session.

use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ids::{EventId, WebhookEndpointId};
use crate::refund::Refund;
use crate::session::{Session, SessionStatus, SettlementDestination};

/// Every event type a webhook endpoint can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EventType {
    #[serde(rename = "session.created")]
    SessionCreated,
    #[serde(rename = "session.processing")]
    SessionProcessing,
    #[serde(rename = "session.underpaid")]
    SessionUnderpaid,
    #[serde(rename = "session.paid")]
    SessionPaid,
    #[serde(rename = "session.completed")]
    SessionCompleted,
    #[serde(rename = "session.expired")]
    SessionExpired,
    #[serde(rename = "session.paid_late")]
    SessionPaidLate,
    /// A confirmed payment was taken off the chain by a reorg deeper than
    /// the network's confirmations: it is marked `reorged` and no longer
    /// counts.
    #[serde(rename = "session.payment_reorged")]
    SessionPaymentReorged,
    /// Money arrived that pays nothing (dust or a short payment after
    /// expiry, money after completion): the session's `amountUnallocated`
    /// holds it for a refund.
    #[serde(rename = "session.unallocated_funds")]
    SessionUnallocatedFunds,
    /// The payout to the merchant failed after its last attempt: the money
    /// is still in the gateway's treasury; the operator must look.
    #[serde(rename = "session.settlement_failed")]
    SessionSettlementFailed,
    /// A refund was created; `data.refund` has its claim details.
    #[serde(rename = "refund.created")]
    RefundCreated,
    /// The shopper named an address; the payout is on its way.
    #[serde(rename = "refund.claimed")]
    RefundClaimed,
    /// The refund is paid out (`data.refund.txHash`).
    #[serde(rename = "refund.completed")]
    RefundCompleted,
    /// The payout could not be made; the money is still held.
    #[serde(rename = "refund.failed")]
    RefundFailed,
    /// Where payouts go was changed (`data.settlementDestination`); sent to
    /// every endpoint whatever it subscribes to. If nobody at the merchant
    /// changed it, a key has leaked: revoke it.
    #[serde(rename = "settlement_destination.updated")]
    SettlementDestinationUpdated,
    /// Sent on request to one endpoint (`POST /v1/webhook-endpoints/{id}/test`)
    /// to try it; `data` is empty.
    #[serde(rename = "webhook_endpoint.test")]
    WebhookEndpointTest,
}

impl EventType {
    pub const ALL: [EventType; 16] = [
        Self::SessionCreated,
        Self::SessionProcessing,
        Self::SessionUnderpaid,
        Self::SessionPaid,
        Self::SessionCompleted,
        Self::SessionExpired,
        Self::SessionPaidLate,
        Self::SessionPaymentReorged,
        Self::SessionUnallocatedFunds,
        Self::SessionSettlementFailed,
        Self::RefundCreated,
        Self::RefundClaimed,
        Self::RefundCompleted,
        Self::RefundFailed,
        Self::SettlementDestinationUpdated,
        Self::WebhookEndpointTest,
    ];

    /// The types `POST /v1/test-events` makes up: a session's, each with a
    /// session in the state it says.
    pub const TRIGGERABLE: [EventType; 7] = [
        Self::SessionCreated,
        Self::SessionProcessing,
        Self::SessionUnderpaid,
        Self::SessionPaid,
        Self::SessionPaidLate,
        Self::SessionCompleted,
        Self::SessionExpired,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SessionCreated => "session.created",
            Self::SessionProcessing => "session.processing",
            Self::SessionUnderpaid => "session.underpaid",
            Self::SessionPaid => "session.paid",
            Self::SessionCompleted => "session.completed",
            Self::SessionExpired => "session.expired",
            Self::SessionPaidLate => "session.paid_late",
            Self::SessionPaymentReorged => "session.payment_reorged",
            Self::SessionUnallocatedFunds => "session.unallocated_funds",
            Self::SessionSettlementFailed => "session.settlement_failed",
            Self::RefundCreated => "refund.created",
            Self::RefundClaimed => "refund.claimed",
            Self::RefundCompleted => "refund.completed",
            Self::RefundFailed => "refund.failed",
            Self::SettlementDestinationUpdated => "settlement_destination.updated",
            Self::WebhookEndpointTest => "webhook_endpoint.test",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// The event a session's move into `status` emits. Moving back to
    /// `open` (a reorg dropped the only payment) emits nothing: nothing the
    /// merchant acts on has happened.
    pub const fn for_status(status: SessionStatus) -> Option<Self> {
        match status {
            SessionStatus::Open => None,
            SessionStatus::Processing => Some(Self::SessionProcessing),
            SessionStatus::Underpaid => Some(Self::SessionUnderpaid),
            SessionStatus::Paid => Some(Self::SessionPaid),
            SessionStatus::Completed => Some(Self::SessionCompleted),
            SessionStatus::Expired => Some(Self::SessionExpired),
        }
    }
}

/// The `data` of an event: the session of `session.*` and `refund.*`, the
/// refund of `refund.*`, the new destination of
/// `settlement_destination.updated`; nothing for `webhook_endpoint.test`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EventData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<Session>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<Refund>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settlement_destination: Option<SettlementDestination>,
}

/// The body of every webhook delivery: `{id, type, createdAt, data: {session}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: EventId,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub created_at: Timestamp,
    pub data: EventData,
    /// Made up by `POST /v1/test-events` (`tender trigger`): its session
    /// does not exist and nothing was paid. Fulfil nothing for it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub test: bool,
}

/// `POST /v1/test-events`: a made-up event of a session type, to try a
/// receiver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TriggerEvent {
    /// A `session.*` event type (`EventType::TRIGGERABLE`).
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", schema(schema_with = forms::triggerable))]
    pub kind: String,
}

/// `POST /v1/webhook-endpoints`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateWebhookEndpoint {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::forms::webhook_url))]
    pub url: String,
    /// Event types to send, or `["*"]` (the default) for all.
    #[serde(default = "all_events")]
    #[cfg_attr(feature = "openapi", schema(schema_with = forms::enabled_events))]
    pub enabled_events: Vec<String>,
}

fn all_events() -> Vec<String> {
    vec!["*".to_owned()]
}

/// Whether an endpoint receives deliveries. The gateway disables one that
/// answers `410 Gone`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EndpointStatus {
    Enabled,
    Disabled,
}

/// A webhook endpoint. `secret` is present only in the answers that create
/// it or rotate its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookEndpoint {
    pub id: WebhookEndpointId,
    pub url: String,
    pub enabled_events: Vec<String>,
    pub status: EndpointStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub created_at: Timestamp,
    /// How its deliveries went, over those kept (`retention_days`).
    #[serde(default)]
    pub deliveries: DeliveryCounts,
}

/// An endpoint's deliveries by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DeliveryCounts {
    /// Answered with a 2xx.
    pub succeeded: u64,
    /// Tried and refused or unanswered, to be tried again.
    pub retrying: u64,
    /// Given up (after the last attempt, or the endpoint answered 410).
    pub failed: u64,
}

impl DeliveryCounts {
    /// Succeeded deliveries per hundred tried, if any was.
    pub fn success_percent(self) -> Option<u64> {
        let tried = self.succeeded + self.retrying + self.failed;
        (tried > 0).then(|| self.succeeded * 100 / tried)
    }
}

/// `POST /v1/webhook-endpoints/{id}/rotate-secret`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RotateSecret {
    /// How long the old secret keeps signing too, in seconds (0 to 7 days;
    /// default 24 hours).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_seconds: Option<u32>,
}

/// Where a delivery of an event to one endpoint stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Succeeded,
    Failed,
    Cancelled,
}

/// One attempt to deliver an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DeliveryAttempt {
    pub attempted_at: Timestamp,
    /// The endpoint's HTTP status, if it answered.
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    /// Why the attempt failed, if it did.
    pub error: Option<String>,
}

/// An event's delivery to one endpoint, with its attempts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub endpoint_id: WebhookEndpointId,
    pub status: DeliveryStatus,
    #[serde(default)]
    pub next_attempt_at: Option<Timestamp>,
    pub attempts: Vec<DeliveryAttempt>,
}

/// `GET /v1/events/{id}`: the event and how its deliveries went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EventDetails {
    pub event: Event,
    pub deliveries: Vec<Delivery>,
}

/// `POST /v1/events/{id}/redeliver`: to one endpoint, or (without
/// `endpointId`) to every endpoint subscribed to the event's type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({})))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Redeliver {
    /// One endpoint (enabled, of this merchant) to send it to again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_id: Option<WebhookEndpointId>,
}

/// Filters of `GET /v1/events`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventListParams {
    /// Only events of this type, e.g. `session.paid`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Only events of this session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 100))]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starting_after: Option<String>,
}

/// The OpenAPI forms of event types: the enums of `TriggerEvent.type` and
/// `CreateWebhookEndpoint.enabledEvents`, from [`EventType`] itself.
#[cfg(feature = "openapi")]
mod forms {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};

    use super::EventType;

    /// One of `types`, by name.
    fn event_types(types: impl IntoIterator<Item = &'static str>) -> ObjectBuilder {
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::String))
            .enum_values(Some(types))
    }

    /// The type of a made-up event: one of [`EventType::TRIGGERABLE`].
    pub fn triggerable() -> Schema {
        Schema::Object(event_types(EventType::TRIGGERABLE.map(EventType::as_str)).build())
    }

    /// What an endpoint receives: at least one event type, or `"*"` for all.
    pub fn enabled_events() -> Schema {
        let names = std::iter::once("*").chain(EventType::ALL.map(EventType::as_str));
        Schema::Array(
            ArrayBuilder::new()
                .items(event_types(names))
                .min_items(Some(1))
                .build(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_but_open_has_its_own_event() {
        let events: Vec<_> = SessionStatus::ALL
            .into_iter()
            .filter_map(EventType::for_status)
            .collect();
        assert_eq!(events.len(), SessionStatus::ALL.len() - 1);
        assert_eq!(EventType::for_status(SessionStatus::Open), None);
        assert_eq!(
            EventType::for_status(SessionStatus::Paid),
            Some(EventType::SessionPaid)
        );
    }

    #[test]
    fn event_type_names_round_trip() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                format!("\"{}\"", t.as_str())
            );
        }
    }
}
