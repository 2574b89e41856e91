//! How an endpoint's deliveries went: counts by outcome over the deliveries
//! kept, for the list and the dashboard's success rate (grouped counts on
//! the indexes of settled and of pending deliveries).

use std::collections::HashMap;

use tender_protocol::{DeliveryCounts, WebhookEndpoint};

use crate::db::Db;

/// Fills in each endpoint's `deliveries`.
pub async fn count(db: &Db, endpoints: &mut [WebhookEndpoint]) -> Result<(), sqlx::Error> {
    if endpoints.is_empty() {
        return Ok(());
    }
    let mut query = sqlx::query_as::<_, (String, String, i64)>(sqlx::AssertSqlSafe(counts_sql(
        endpoints.len(),
    )));
    for endpoint in endpoints.iter() {
        query = query.bind(endpoint.id.as_str());
    }
    let mut counts: HashMap<String, DeliveryCounts> = HashMap::new();
    for (endpoint, status, n) in query.fetch_all(db).await? {
        let entry = counts.entry(endpoint).or_default();
        let n = u64::try_from(n).unwrap_or_default();
        match status.as_str() {
            "succeeded" => entry.succeeded += n,
            "pending" => entry.retrying += n,
            "failed" => entry.failed += n,
            _ => {}
        }
    }
    for endpoint in endpoints {
        if let Some(found) = counts.remove(endpoint.id.as_str()) {
            endpoint.deliveries = found;
        }
    }
    Ok(())
}

/// The counts of `n` endpoints' deliveries (their ids bound in order):
/// the settled ones by status, on their index, and the pending ones
/// already tried, on the claim's (a new one is neither).
pub fn counts_sql(n: usize) -> String {
    let marks = crate::db::placeholders(n);
    format!(
        "SELECT endpoint_id, status, COUNT(*) FROM deliveries
         WHERE endpoint_id IN ({marks}) AND status <> 'pending'
         GROUP BY endpoint_id, status
         UNION ALL
         SELECT endpoint_id, status, COUNT(*) FROM deliveries
         WHERE endpoint_id IN ({marks}) AND status = 'pending' AND attempts > 0
         GROUP BY endpoint_id, status"
    )
}
