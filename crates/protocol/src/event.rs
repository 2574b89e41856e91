//! Webhook events: what happened to a session, with the full session.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ids::{EventId, WebhookEndpointId};
use crate::session::Session;

/// Every event type a webhook endpoint can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
}

impl EventType {
    pub const ALL: [EventType; 7] = [
        Self::SessionCreated,
        Self::SessionProcessing,
        Self::SessionUnderpaid,
        Self::SessionPaid,
        Self::SessionCompleted,
        Self::SessionExpired,
        Self::SessionPaidLate,
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
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// The `data` of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventData {
    pub session: Session,
}

/// The body of every webhook delivery: `{id, type, createdAt, data: {session}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: EventId,
    #[serde(rename = "type")]
    pub kind: EventType,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub data: EventData,
}

/// `POST /v1/webhook-endpoints`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateWebhookEndpoint {
    pub url: String,
    /// Event types to send, or `["*"]` (the default) for all.
    #[serde(default = "all_events")]
    pub enabled_events: Vec<String>,
}

fn all_events() -> Vec<String> {
    vec!["*".to_owned()]
}

/// A webhook endpoint. `secret` is present only in the answer that created it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEndpoint {
    pub id: WebhookEndpointId,
    pub url: String,
    pub enabled_events: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

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
