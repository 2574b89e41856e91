//! Payment links (owns `payment_links`): a stable public URL,
//! `{public_url}/l/{id}`, that makes a fresh Checkout Session for each
//! visitor and sends them to the cashier. The cart is checked as a
//! session's is when the link is made, and again at each visit (an
//! archived product stops the link). Sessions made by a link carry its id
//! (`paymentLink`) and the link's metadata, in their webhooks too.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use sqlx::FromRow;
use tender_protocol::{
    CartItem, CreatePaymentLink, CreateSession, ErrorBody, List, ListParams, Money, PaymentLink,
    PaymentLinkId,
};

use crate::checkout::{cart, sessions};
use crate::clock::{from_seconds, now_seconds};
use crate::db::{self, WriteOne};
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult};
use crate::merchants::auth::Merchant;
use crate::pagination::{self, ListQuery, Listed};
use crate::state::AppState;
use crate::validate;

/// The merchant API's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/payment-links", post(create).get(list))
        .route("/v1/payment-links/{id}", get(show))
        .route("/v1/payment-links/{id}/deactivate", post(deactivate))
        .route("/v1/payment-links/{id}/activate", post(activate))
}

/// The public route a link's URL opens (behind the public API's limits;
/// `{link}`, not `{id}`: a popular link is limited per visitor only).
pub fn visit_router() -> Router<AppState> {
    Router::new().route("/l/{link}", get(visit))
}

/// The most a visitor may choose of an adjustable product by default.
const DEFAULT_MAX_QUANTITY: u32 = 99;

const COLUMNS: &str =
    "id, merchant_id, cart, line_items, amount_minor, currency, adjustable_quantity,
     max_quantity, metadata, success_url, active, created_at";

#[derive(FromRow)]
struct LinkRow {
    id: String,
    merchant_id: String,
    cart: String,
    line_items: String,
    amount_minor: String,
    currency: String,
    adjustable_quantity: i64,
    max_quantity: Option<i64>,
    metadata: String,
    success_url: String,
    active: i64,
    created_at: i64,
}

impl LinkRow {
    fn into_link(self, state: &AppState) -> anyhow::Result<PaymentLink> {
        let id = PaymentLinkId::parse(&self.id)?;
        Ok(PaymentLink {
            url: url(state, &id),
            id,
            active: self.active != 0,
            line_items: serde_json::from_str(&self.line_items)?,
            amount: Money::from_minor(self.amount_minor.parse()?, self.currency.parse()?),
            adjustable_quantity: self.adjustable_quantity != 0,
            max_quantity: self.max_quantity.map(u32::try_from).transpose()?,
            metadata: serde_json::from_str(&self.metadata)?,
            success_url: self.success_url,
            created_at: from_seconds(self.created_at),
        })
    }

    /// The session a visit makes: the cart as asked, at `quantity` if the
    /// visitor may choose it.
    fn session(&self, quantity: Option<u32>) -> anyhow::Result<CreateSession> {
        let mut line_items: Vec<CartItem> = serde_json::from_str(&self.cart)?;
        if let (Some(quantity), true, [only]) = (
            quantity,
            self.adjustable_quantity != 0,
            line_items.as_mut_slice(),
        ) {
            only.quantity = quantity;
        }
        Ok(CreateSession {
            product_id: None,
            product_data: None,
            quantity: 1,
            line_items,
            metadata: serde_json::from_str(&self.metadata)?,
            success_url: self.success_url.clone(),
            cancel_url: None,
            expires_in_seconds: None,
            underpayment_tolerance: None,
            locale: None,
        })
    }
}

/// A link's public URL.
fn url(state: &AppState, id: &PaymentLinkId) -> String {
    let base = state.public_url.as_str().trim_end_matches('/');
    format!("{base}/l/{id}")
}

/// Create a payment link: one product (or `lineItems`) a visitor buys,
/// checked now as a session would be.
#[utoipa::path(post, path = "/v1/payment-links", tag = "Payment Links",
    request_body = CreatePaymentLink,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 201, body = PaymentLink), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn create(
    State(state): State<AppState>,
    merchant: Merchant,
    ApiJson(body): ApiJson<CreatePaymentLink>,
) -> ApiResult<(StatusCode, ApiJson<PaymentLink>)> {
    let asked = CreateSession {
        product_id: body.product_id.clone(),
        product_data: body.product_data.clone(),
        quantity: body.quantity,
        line_items: body.line_items.clone(),
        metadata: body.metadata.clone(),
        success_url: body.success_url.clone(),
        cancel_url: None,
        expires_in_seconds: None,
        underpayment_tolerance: None,
        locale: None,
    };
    let priced = cart::of(&state, &merchant, &asked).await?;
    validate::url("successUrl", &body.success_url)?;
    if body.adjustable_quantity && priced.items.len() != 1 {
        return Err(ApiError::invalid(
            "adjustableQuantity",
            "only a link of one product lets the visitor choose its quantity",
        ));
    }
    let max_quantity = match (body.adjustable_quantity, body.max_quantity) {
        (false, Some(_)) => {
            return Err(ApiError::invalid(
                "maxQuantity",
                "maxQuantity goes with adjustableQuantity",
            ));
        }
        (true, Some(most)) if !(1..=cart::MAX_QUANTITY).contains(&most) => {
            return Err(ApiError::invalid(
                "maxQuantity",
                format!("maxQuantity must be between 1 and {}", cart::MAX_QUANTITY),
            ));
        }
        (true, most) => Some(most.unwrap_or(DEFAULT_MAX_QUANTITY)),
        (false, None) => None,
    };
    // Kept as asked: one product becomes a one-item cart.
    let kept: Vec<CartItem> = if asked.line_items.is_empty() {
        vec![CartItem {
            product_id: asked.product_id,
            product_data: asked.product_data,
            quantity: asked.quantity,
        }]
    } else {
        asked.line_items
    };
    let id = PaymentLinkId::generate();
    let now = now_seconds();
    sqlx::query(
        "INSERT INTO payment_links (id, merchant_id, cart, line_items, amount_minor, currency,
                                    adjustable_quantity, max_quantity, metadata, success_url,
                                    created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(id.as_str())
    .bind(merchant.id.as_str())
    .bind(serde_json::to_string(&kept)?)
    .bind(serde_json::to_string(&priced.items)?)
    .bind(priced.total.minor().to_string())
    .bind(priced.total.currency().code())
    .bind(i64::from(body.adjustable_quantity))
    .bind(max_quantity.map(i64::from))
    .bind(serde_json::to_string(&body.metadata)?)
    .bind(&body.success_url)
    .bind(now)
    .write(&state.db)
    .await?;
    tracing::info!(link = %id, merchant = %merchant.id, "payment link created");
    Ok((
        StatusCode::CREATED,
        ApiJson(find(&state, &merchant, &id).await?),
    ))
}

/// List payment links, newest first.
#[utoipa::path(get, path = "/v1/payment-links", tag = "Payment Links", params(ListParams),
    responses((status = 200, body = List<PaymentLink>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn list(
    State(state): State<AppState>,
    merchant: Merchant,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<ApiJson<List<PaymentLink>>> {
    let query = ListQuery::new(Listed::PaymentLinks, COLUMNS);
    pagination::answer(&state.db, &merchant.id, &query, &params, |row: LinkRow| {
        row.into_link(&state)
    })
    .await
}

/// Retrieve a payment link.
#[utoipa::path(get, path = "/v1/payment-links/{id}", tag = "Payment Links",
    params(("id" = String, Path, description = "Payment link id (plink_...)")),
    responses((status = 200, body = PaymentLink), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn show(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<PaymentLink>> {
    let id = PaymentLinkId::parse(&id).map_err(|_| ApiError::NotFound("payment link"))?;
    Ok(ApiJson(find(&state, &merchant, &id).await?))
}

/// Deactivate a payment link: its URL says so and makes no more sessions
/// (those it made go on).
#[utoipa::path(post, path = "/v1/payment-links/{id}/deactivate", tag = "Payment Links",
    params(("id" = String, Path, description = "Payment link id (plink_...)")),
    responses((status = 200, body = PaymentLink), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn deactivate(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<PaymentLink>> {
    set_active(&state, &merchant, &id, false).await
}

/// Activate a payment link again.
#[utoipa::path(post, path = "/v1/payment-links/{id}/activate", tag = "Payment Links",
    params(("id" = String, Path, description = "Payment link id (plink_...)")),
    responses((status = 200, body = PaymentLink), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn activate(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<PaymentLink>> {
    set_active(&state, &merchant, &id, true).await
}

async fn set_active(
    state: &AppState,
    merchant: &Merchant,
    id: &str,
    active: bool,
) -> ApiResult<ApiJson<PaymentLink>> {
    let id = PaymentLinkId::parse(id).map_err(|_| ApiError::NotFound("payment link"))?;
    let changed = sqlx::query(
        "UPDATE payment_links SET active = $1, updated_at = $2 WHERE id = $3 AND merchant_id = $4",
    )
    .bind(i64::from(active))
    .bind(now_seconds())
    .bind(id.as_str())
    .bind(merchant.id.as_str())
    .write(&state.db)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(ApiError::NotFound("payment link"));
    }
    Ok(ApiJson(find(state, merchant, &id).await?))
}

async fn row(state: &AppState, id: &PaymentLinkId) -> ApiResult<Option<LinkRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment_links WHERE id = $1"
    )))
    .bind(id.as_str())
    .fetch_optional(&state.db)
    .await?)
}

/// A link of this merchant's.
async fn find(state: &AppState, merchant: &Merchant, id: &PaymentLinkId) -> ApiResult<PaymentLink> {
    match row(state, id).await? {
        Some(row) if row.merchant_id == merchant.id.as_str() => Ok(row.into_link(state)?),
        _ => Err(ApiError::NotFound("payment link")),
    }
}

#[derive(Deserialize)]
struct Visit {
    quantity: Option<u32>,
}

/// A visit: a fresh session, and a `303` to its cashier; a plain page
/// saying why when the link is unknown, inactive, or cannot sell now.
async fn visit(
    State(state): State<AppState>,
    Path(link): Path<String>,
    Query(visit): Query<Visit>,
) -> Response {
    let Ok(id) = PaymentLinkId::parse(&link) else {
        return page(StatusCode::NOT_FOUND, "There is no such payment link.");
    };
    let row = match row(&state, &id).await {
        Ok(Some(row)) => row,
        Ok(None) => return page(StatusCode::NOT_FOUND, "There is no such payment link."),
        Err(err) => return err.into_response(),
    };
    if row.active == 0 {
        return page(
            StatusCode::GONE,
            "This payment link is no longer active. Ask the shop for a new one.",
        );
    }
    let most = row.max_quantity.unwrap_or(1);
    if let Some(quantity) = visit.quantity
        && (row.adjustable_quantity == 0 || quantity < 1 || i64::from(quantity) > most)
    {
        return page(
            StatusCode::BAD_REQUEST,
            &format!("This link sells 1 to {most} at a time."),
        );
    }
    match open(&state, &row, visit.quantity).await {
        Ok(payment_url) => Redirect::to(&payment_url).into_response(),
        Err(ApiError::InvalidRequest { message, .. }) => page(
            StatusCode::CONFLICT,
            &format!("This payment link cannot be used right now: {message}"),
        ),
        Err(err) => err.into_response(),
    }
}

/// Makes the session of a visit; answers its cashier's URL.
async fn open(state: &AppState, row: &LinkRow, quantity: Option<u32>) -> ApiResult<String> {
    let merchant = Merchant {
        id: row.merchant_id.parse()?,
        key: None,
        scopes: Vec::new(),
    };
    let id = PaymentLinkId::parse(&row.id)?;
    let asked = row.session(quantity)?;
    let (batch, session) = sessions::prepare(state, &merchant, &asked, Some(&id)).await?;
    db::write(&state.db, batch).await?;
    state.announce();
    tracing::info!(session = %session.id, link = %id, "session created by a payment link");
    Ok(session.payment_url)
}

/// A small page for a visitor whose link cannot make a session.
fn page(status: StatusCode, message: &str) -> Response {
    let text = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Payment link</title></head><body><main><h1>Payment link</h1>\
         <p role=\"alert\">{text}</p></main></body></html>"
    );
    (status, Html(html)).into_response()
}
