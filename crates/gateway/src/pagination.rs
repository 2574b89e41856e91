//! The one list query every list endpoint shares: a merchant's rows of one
//! table, newest first, ordered by `(created_at, id)` (events by their
//! sequence), `limit` rows a page, `startingAfter` naming the last item
//! already seen.

use sqlx::any::AnyRow;
use tender_protocol::{
    EventListParams, List, ListParams, MerchantId, RefundListParams, SessionListParams,
};

use crate::db::Db;
use crate::error::{ApiError, ApiJson, ApiResult};

/// The page part of a list request's parameters.
pub trait Paged {
    fn limit(&self) -> Option<u32>;
    fn starting_after(&self) -> Option<&str>;
}

macro_rules! paged {
    ($($params:ty),*) => {$(
        impl Paged for $params {
            fn limit(&self) -> Option<u32> {
                self.limit
            }
            fn starting_after(&self) -> Option<&str> {
                self.starting_after.as_deref()
            }
        }
    )*};
}
paged!(
    ListParams,
    SessionListParams,
    EventListParams,
    RefundListParams
);

/// The lists that page.
#[derive(Debug, Clone, Copy)]
pub enum Listed {
    Sessions,
    Products,
    ApiKeys,
    WebhookEndpoints,
    Events,
    Refunds,
    PaymentLinks,
}

impl Listed {
    fn table(self) -> &'static str {
        match self {
            Listed::Sessions => "sessions",
            Listed::Products => "products",
            Listed::ApiKeys => "api_keys",
            Listed::WebhookEndpoints => "webhook_endpoints",
            Listed::Events => "events",
            Listed::Refunds => "refunds",
            Listed::PaymentLinks => "payment_links",
        }
    }

    /// The column pages are ordered by, newest first; `id` breaks ties.
    /// Events use their sequence: several can share a second.
    fn order(self) -> &'static str {
        match self {
            Listed::Events => "seq",
            _ => "created_at",
        }
    }

    /// Rows that exist for the merchant at all (a deleted endpoint does not,
    /// not even as a cursor).
    fn existing(self) -> &'static str {
        match self {
            Listed::WebhookEndpoints => " AND deleted_at IS NULL",
            _ => "",
        }
    }

    /// Rows the list shows (archived products stay readable by id, and
    /// usable as a cursor, but leave the list).
    fn shown(self) -> &'static str {
        match self {
            Listed::Products => " AND active = 1",
            _ => "",
        }
    }
}

/// One list request.
#[derive(Debug, Clone)]
pub struct ListQuery<'a> {
    pub listed: Listed,
    /// The columns each row is read with.
    pub columns: &'static str,
    /// Conditions on a value; those without a value are left out.
    pub filters: Vec<(Condition, Option<Value<'a>>)>,
}

/// The value a list's condition compares with.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    Text(&'a str),
    Integer(i64),
}

/// A list's condition on one value.
#[derive(Debug, Clone, Copy)]
pub enum Condition {
    /// `column = value`.
    Equals(&'static str),
    /// SQL in which `?` stands for the value.
    Sql(&'static str),
    /// `column >= value`.
    AtLeast(&'static str),
    /// `column < value`.
    Below(&'static str),
}

impl<'a> ListQuery<'a> {
    pub fn new(listed: Listed, columns: &'static str) -> Self {
        Self {
            listed,
            columns,
            filters: Vec::new(),
        }
    }

    /// Adds `column = value` when `value` is given.
    pub fn filter(mut self, column: &'static str, value: Option<&'a str>) -> Self {
        self.filters
            .push((Condition::Equals(column), value.map(Value::Text)));
        self
    }

    /// Adds `sql` (where `?` stands for `value`) when `value` is given.
    pub fn matching(mut self, sql: &'static str, value: Option<&'a str>) -> Self {
        self.filters
            .push((Condition::Sql(sql), value.map(Value::Text)));
        self
    }

    /// Adds `from <= column < until` for the bounds given.
    pub fn between(mut self, column: &'static str, from: Option<i64>, until: Option<i64>) -> Self {
        self.filters
            .push((Condition::AtLeast(column), from.map(Value::Integer)));
        self.filters
            .push((Condition::Below(column), until.map(Value::Integer)));
        self
    }
}

/// The limit as asked (1 to 100, default 10).
fn limit(limit: Option<u32>) -> ApiResult<i64> {
    match limit.unwrap_or(ListParams::DEFAULT_LIMIT) {
        n @ 1..=ListParams::MAX_LIMIT => Ok(i64::from(n)),
        _ => Err(ApiError::invalid(
            "limit",
            format!("limit must be between 1 and {}", ListParams::MAX_LIMIT),
        )),
    }
}

/// The ordering value of the cursor item, seen only by its merchant.
async fn cursor(
    db: &Db,
    listed: Listed,
    merchant: &MerchantId,
    id: &str,
) -> ApiResult<(i64, String)> {
    let sql = format!(
        "SELECT {} FROM {} WHERE id = $1 AND merchant_id = $2{}",
        listed.order(),
        listed.table(),
        listed.existing()
    );
    let at: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(merchant.as_str())
        .fetch_optional(db)
        .await?;
    let at =
        at.ok_or_else(|| ApiError::invalid("startingAfter", format!("no such object: {id}")))?;
    Ok((at, id.to_owned()))
}

/// A page of `merchant`'s rows that `query` selects.
pub async fn fetch<R>(
    db: &Db,
    merchant: &MerchantId,
    query: &ListQuery<'_>,
    params: &impl Paged,
) -> ApiResult<List<R>>
where
    R: for<'r> sqlx::FromRow<'r, AnyRow> + Send + Unpin,
{
    let listed = query.listed;
    let limit = limit(params.limit())?;
    let after = match params.starting_after() {
        Some(id) => Some(cursor(db, listed, merchant, id).await?),
        None => None,
    };
    let order = listed.order();
    let mut sql = format!(
        "SELECT {} FROM {} WHERE merchant_id = $1{}{}",
        query.columns,
        listed.table(),
        listed.existing(),
        listed.shown()
    );
    let mut n = 1;
    let filters: Vec<(Condition, Value)> = query
        .filters
        .iter()
        .filter_map(|(condition, value)| value.map(|v| (*condition, v)))
        .collect();
    for (condition, _) in &filters {
        n += 1;
        match condition {
            Condition::Equals(column) => sql.push_str(&format!(" AND {column} = ${n}")),
            Condition::Sql(text) => {
                sql.push_str(" AND ");
                sql.push_str(&text.replace('?', &format!("${n}")));
            }
            Condition::AtLeast(column) => sql.push_str(&format!(" AND {column} >= ${n}")),
            Condition::Below(column) => sql.push_str(&format!(" AND {column} < ${n}")),
        }
    }
    if after.is_some() {
        // A row-value comparison: one range on the (merchant, order, id)
        // index, where an OR of two conditions would scan.
        sql.push_str(&format!(
            " AND ({order}, id) < (${a}, ${b})",
            a = n + 1,
            b = n + 2
        ));
        n += 2;
    }
    sql.push_str(&format!(" ORDER BY {order} DESC, id DESC LIMIT ${}", n + 1));

    let mut select = sqlx::query_as::<_, R>(sqlx::AssertSqlSafe(sql)).bind(merchant.as_str());
    for (_, value) in filters {
        select = match value {
            Value::Text(text) => select.bind(text),
            Value::Integer(n) => select.bind(n),
        };
    }
    if let Some((at, id)) = after {
        select = select.bind(at).bind(id);
    }
    let mut rows = select.bind(limit + 1).fetch_all(db).await?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok(List {
        data: rows,
        has_more,
    })
}

/// A list endpoint's whole answer: a page of rows, each turned into what
/// the API shows by `convert`.
pub async fn answer<R, T>(
    db: &Db,
    merchant: &MerchantId,
    query: &ListQuery<'_>,
    params: &impl Paged,
    convert: impl FnMut(R) -> anyhow::Result<T>,
) -> ApiResult<ApiJson<List<T>>>
where
    R: for<'r> sqlx::FromRow<'r, AnyRow> + Send + Unpin,
{
    let page: List<R> = fetch(db, merchant, query, params).await?;
    Ok(ApiJson(List {
        data: page
            .data
            .into_iter()
            .map(convert)
            .collect::<anyhow::Result<_>>()?,
        has_more: page.has_more,
    }))
}
