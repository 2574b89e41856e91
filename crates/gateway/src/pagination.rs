//! Cursor pagination shared by every list: newest first, ordered by
//! `(created_at, id)`, `startingAfter` naming the last item already seen.

use tender_protocol::{List, ListParams};

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

/// Builds a page from the list parameters, looking the cursor up with
/// `find_created_at` (which must only see the caller's own objects).
pub async fn page<F, Fut>(
    limit: Option<u32>,
    starting_after: Option<&str>,
    find_created_at: F,
) -> Result<Page, ApiError>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = Result<Option<i64>, sqlx::Error>>,
{
    let limit = Page::limit(limit)?;
    let after = match starting_after {
        None => None,
        Some(id) => {
            let created_at = find_created_at(id.to_owned()).await?.ok_or_else(|| {
                ApiError::invalid("startingAfter", format!("no such object: {id}"))
            })?;
            Some((created_at, id.to_owned()))
        }
    };
    Ok(Page { limit, after })
}
