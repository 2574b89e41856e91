//! Cursor pagination shared by every list: newest first, ordered by
//! `(created_at, id)`, `startingAfter` naming the last item already seen.

use tender_protocol::{List, ListParams, MerchantId};

use crate::db::Db;
use crate::error::ApiError;

/// A validated page request.
#[derive(Debug, Clone)]
pub struct Page {
    /// Rows to return.
    pub limit: i64,
    /// The `(created_at, id)` of the cursor item, if any.
    pub after: Option<(i64, String)>,
}

impl Page {
    /// The limit as asked (1 to 100, default 10).
    pub fn limit(limit: Option<u32>) -> Result<i64, ApiError> {
        match limit.unwrap_or(ListParams::DEFAULT_LIMIT) {
            n @ 1..=ListParams::MAX_LIMIT => Ok(i64::from(n)),
            _ => Err(ApiError::invalid(
                "limit",
                format!("limit must be between 1 and {}", ListParams::MAX_LIMIT),
            )),
        }
    }

    /// Rows to fetch: one more than the limit, to know whether more exist.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }

    /// The cursor's `created_at` and id, or values that exclude nothing,
    /// for `(created_at < $c OR (created_at = $c AND id < $i))`.
    pub fn cursor(&self) -> (i64, String) {
        self.after.clone().unwrap_or((i64::MAX, String::new()))
    }

    /// Trims the extra row and builds the answer.
    pub fn finish<T>(&self, mut rows: Vec<T>) -> List<T> {
        let has_more = rows.len() as i64 > self.limit;
        rows.truncate(self.limit as usize);
        List {
            data: rows,
            has_more,
        }
    }
}

/// The lists that page, each by a column that orders it.
#[derive(Debug, Clone, Copy)]
pub enum Listed {
    Sessions,
    Products,
    ApiKeys,
    WebhookEndpoints,
    /// Events page by their sequence: several can share a second.
    Events,
}

impl Listed {
    /// The ordering value of the cursor item, seen only by its merchant.
    fn cursor_sql(self) -> &'static str {
        match self {
            Listed::Sessions => {
                "SELECT created_at FROM sessions WHERE id = $1 AND merchant_id = $2"
            }
            Listed::Products => {
                "SELECT created_at FROM products WHERE id = $1 AND merchant_id = $2"
            }
            Listed::ApiKeys => "SELECT created_at FROM api_keys WHERE id = $1 AND merchant_id = $2",
            Listed::WebhookEndpoints => {
                "SELECT created_at FROM webhook_endpoints WHERE id = $1 AND merchant_id = $2 AND deleted_at IS NULL"
            }
            Listed::Events => "SELECT seq FROM events WHERE id = $1 AND merchant_id = $2",
        }
    }
}

/// Builds a page of `listed` from the list parameters, looking the cursor up.
pub async fn page(
    db: &Db,
    listed: Listed,
    merchant: &MerchantId,
    limit: Option<u32>,
    starting_after: Option<&str>,
) -> Result<Page, ApiError> {
    let limit = Page::limit(limit)?;
    let after = match starting_after {
        None => None,
        Some(id) => {
            let at: Option<i64> = sqlx::query_scalar(listed.cursor_sql())
                .bind(id)
                .bind(merchant.as_str())
                .fetch_optional(db)
                .await?;
            let at = at.ok_or_else(|| {
                ApiError::invalid("startingAfter", format!("no such object: {id}"))
            })?;
            Some((at, id.to_owned()))
        }
    };
    Ok(Page { limit, after })
}
