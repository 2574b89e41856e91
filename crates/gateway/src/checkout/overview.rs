//! `GET /v1/overview`: the merchant's figures at a glance: volume today and
//! this week by currency, sessions by status, payouts pending and the
//! webhook endpoints in trouble. Reads only, through the
//! `sessions_by_merchant_status` index.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use tender_protocol::{
    Currency, EndpointStatus, ErrorBody, FailingEndpoint, Money, Overview, OverviewParams,
    SessionStatus, StatusCount, WebhookEndpointId,
};

use crate::clock::now_seconds;
use crate::error::{ApiJson, ApiQuery, ApiResult};
use crate::merchants::auth::Merchant;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/overview", get(show))
}

const DAY: i64 = 86_400;

/// The amounts of a merchant's sessions paid since `$2`.
pub const PAID_SINCE: &str = "SELECT amount_due_minor, currency, created_at FROM sessions
     WHERE merchant_id = $1 AND status IN ('paid', 'completed') AND created_at >= $2";

/// Each of a merchant's endpoints: disabled or not, deliveries being
/// retried, and its latest failed and succeeded delivery (0: none). The
/// settled ones name `status <> 'pending'`, which is what lets SQLite use
/// their index (it holds settled deliveries only).
pub const ENDPOINT_HEALTH: &str = "SELECT w.id, w.url, w.disabled_at,
        (SELECT COUNT(*) FROM deliveries d
         WHERE d.endpoint_id = w.id AND d.status = 'pending' AND d.attempts > 0) AS retrying,
        COALESCE((SELECT MAX(d.id) FROM deliveries d
         WHERE d.endpoint_id = w.id AND d.status <> 'pending' AND d.status = 'failed'), 0) AS last_failed,
        COALESCE((SELECT MAX(d.id) FROM deliveries d
         WHERE d.endpoint_id = w.id AND d.status <> 'pending' AND d.status = 'succeeded'), 0) AS last_succeeded
     FROM webhook_endpoints w
     WHERE w.merchant_id = $1 AND w.deleted_at IS NULL
     ORDER BY w.created_at DESC, w.id DESC";

#[derive(sqlx::FromRow)]
struct EndpointHealth {
    id: String,
    url: String,
    disabled_at: Option<i64>,
    retrying: i64,
    last_failed: i64,
    last_succeeded: i64,
}

/// A merchant's sessions counted by status.
pub const BY_STATUS: &str =
    "SELECT status, COUNT(*) FROM sessions WHERE merchant_id = $1 GROUP BY status";

/// The merchant's figures: paid volume today and this week (by currency),
/// sessions by status, payouts pending, failing webhook endpoints.
#[utoipa::path(get, path = "/v1/overview", tag = "Checkout Sessions", params(OverviewParams),
    responses((status = 200, body = Overview), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn show(
    State(state): State<AppState>,
    merchant: Merchant,
    ApiQuery(params): ApiQuery<OverviewParams>,
) -> ApiResult<ApiJson<Overview>> {
    let day = params
        .day_start
        .map_or_else(|| now_seconds().div_euclid(DAY) * DAY, |t| t.unix());
    let week = params.week_start.map_or(day - 6 * DAY, |t| t.unix());
    let db = &state.db;
    let merchant = merchant.id.as_str();

    let paid: Vec<(String, String, i64)> = sqlx::query_as(PAID_SINCE)
        .bind(merchant)
        .bind(day.min(week))
        .fetch_all(db)
        .await?;
    let volume_today = totals(paid.iter().filter(|p| p.2 >= day))?;
    let volume_this_week = totals(paid.iter().filter(|p| p.2 >= week))?;

    let counted: Vec<(String, i64)> = sqlx::query_as(BY_STATUS)
        .bind(merchant)
        .fetch_all(db)
        .await?;
    let sessions_by_status = SessionStatus::ALL
        .into_iter()
        .map(|status| StatusCount {
            status,
            count: counted
                .iter()
                .find(|(s, _)| s == status.as_str())
                .map_or(0, |(_, n)| u64::try_from(*n).unwrap_or_default()),
        })
        .collect();

    let unsettled: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT amount_due_minor, currency, created_at FROM sessions
         WHERE merchant_id = $1 AND status = 'paid'",
    )
    .bind(merchant)
    .fetch_all(db)
    .await?;

    let failing: Vec<EndpointHealth> = sqlx::query_as(ENDPOINT_HEALTH)
        .bind(merchant)
        .fetch_all(db)
        .await?;
    let endpoints_failing = failing
        .into_iter()
        .filter(|e| e.disabled_at.is_some() || e.retrying > 0 || e.last_failed > e.last_succeeded)
        .map(|e| {
            Ok(FailingEndpoint {
                id: WebhookEndpointId::parse(&e.id)?,
                url: e.url,
                status: if e.disabled_at.is_some() {
                    EndpointStatus::Disabled
                } else {
                    EndpointStatus::Enabled
                },
                retrying: u64::try_from(e.retrying).unwrap_or_default(),
                last_delivery_failed: e.last_failed > e.last_succeeded,
            })
        })
        .collect::<anyhow::Result<_>>()?;

    Ok(ApiJson(Overview {
        volume_today,
        volume_this_week,
        sessions_by_status,
        payouts_pending_count: unsettled.len() as u64,
        payouts_pending: totals(unsettled.iter())?,
        endpoints_failing,
    }))
}

/// Sums amounts (minor units as stored, and their currency) per currency.
fn totals<'a>(rows: impl Iterator<Item = &'a (String, String, i64)>) -> anyhow::Result<Vec<Money>> {
    let mut sums: BTreeMap<Currency, u128> = BTreeMap::new();
    for (minor, currency, _) in rows {
        let minor: u128 = minor.parse()?;
        let sum = sums.entry(currency.parse()?).or_default();
        *sum = sum
            .checked_add(minor)
            .ok_or_else(|| anyhow::anyhow!("volume overflows"))?;
    }
    Ok(sums
        .into_iter()
        .map(|(currency, minor)| Money::from_minor(minor, currency))
        .collect())
}
