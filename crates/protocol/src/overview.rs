//! `GET /v1/overview`: a merchant's business at a glance, for the
//! dashboard's first page.

use serde::{Deserialize, Serialize};

use crate::event::EndpointStatus;
use crate::ids::WebhookEndpointId;
use crate::money::Money;
use crate::session::SessionStatus;
use crate::timestamp::Timestamp;

/// The merchant's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    /// Amounts of the sessions paid (or completed) that were created since
    /// `dayStart`, one per currency.
    pub volume_today: Vec<Money>,
    /// The same since `weekStart`.
    pub volume_this_week: Vec<Money>,
    /// How many sessions are in each status, every status listed.
    pub sessions_by_status: Vec<StatusCount>,
    /// Paid sessions whose payout has not confirmed yet, one amount per
    /// currency, and how many.
    pub payouts_pending: Vec<Money>,
    pub payouts_pending_count: u64,
    /// Endpoints that are disabled, have deliveries being retried, or
    /// whose latest finished delivery failed.
    pub endpoints_failing: Vec<FailingEndpoint>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StatusCount {
    pub status: SessionStatus,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FailingEndpoint {
    pub id: WebhookEndpointId,
    pub url: String,
    pub status: EndpointStatus,
    /// Deliveries tried and waiting for another attempt.
    pub retrying: u64,
    /// Its latest finished delivery was given up on.
    pub last_delivery_failed: bool,
}

/// Where the overview's periods begin (the reader's midnight, which only
/// the reader's browser knows).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OverviewParams {
    /// Start of "today" (RFC 3339); default midnight UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_start: Option<Timestamp>,
    /// Start of "this week" (RFC 3339); default six days before `dayStart`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub week_start: Option<Timestamp>,
}
