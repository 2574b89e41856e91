//! Checkout Sessions: creation by the merchant, and reading them back with
//! their payments.

use crate::db::Conn;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use sqlx::FromRow;
use tender_protocol::money::format_units;
use tender_protocol::{
    CreateSession, Currency, ErrorBody, EventType, ExchangeRate, GasFee, LineItem, List,
    MerchantId, Metadata, Money, Payment, PaymentStatus, RawAmount, Session, SessionId,
    SessionListParams, SessionStatus,
};

use crate::clock::{from_seconds, now_seconds};
use crate::config::NATIVE_DECIMALS;
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult};
use crate::merchants::Merchant;
use crate::pagination::{self, Listed};
use crate::state::AppState;
use crate::{db, events, payments, products, settlement, validate};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/checkout/sessions", post(create).get(list))
        .route("/v1/checkout/sessions/{id}", get(show))
        .route("/v1/checkout/sessions/{id}/expire", post(expire))
}

const MAX_QUANTITY: u32 = 1000;
const MIN_EXPIRY_SECONDS: u32 = 300;
const MAX_EXPIRY_SECONDS: u32 = 86_400;

/// Create a Checkout Session.
#[utoipa::path(post, path = "/v1/checkout/sessions", tag = "Checkout Sessions",
    request_body = CreateSession,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: same key and body, same answer")),
    responses((status = 201, body = Session), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn create(
    State(state): State<AppState>,
    merchant: Merchant,
    ApiJson(body): ApiJson<CreateSession>,
) -> ApiResult<(StatusCode, ApiJson<Session>)> {
    if !(1..=MAX_QUANTITY).contains(&body.quantity) {
        return Err(ApiError::invalid(
            "quantity",
            format!("quantity must be between 1 and {MAX_QUANTITY}"),
        ));
    }
    let line_item = line_item(&state, &merchant, &body).await?;
    validate::url("successUrl", &body.success_url)?;
    validate::optional_url("cancelUrl", body.cancel_url.as_deref())?;
    let lifetime = match body.expires_in_seconds {
        None => state.config.session_ttl_seconds as i64,
        Some(s) if (MIN_EXPIRY_SECONDS..=MAX_EXPIRY_SECONDS).contains(&s) => i64::from(s),
        Some(_) => {
            return Err(ApiError::invalid(
                "expiresInSeconds",
                format!(
                    "expiresInSeconds must be between {MIN_EXPIRY_SECONDS} and {MAX_EXPIRY_SECONDS}"
                ),
            ));
        }
    };
    let amount_due = line_item.amount;

    let id = SessionId::generate();
    let now = now_seconds();
    let mut tx = db::begin_write(&state.db).await?;
    sqlx::query(
        "INSERT INTO sessions (id, merchant_id, status, line_items, amount_due_minor, currency,
                               metadata, success_url, cancel_url, expires_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(id.as_str())
    .bind(merchant.id.as_str())
    .bind(SessionStatus::Open.as_str())
    .bind(serde_json::to_string(&[line_item]).map_err(anyhow::Error::from)?)
    .bind(amount_due.minor().to_string())
    .bind(amount_due.currency().code())
    .bind(serde_json::to_string(&body.metadata).map_err(anyhow::Error::from)?)
    .bind(&body.success_url)
    .bind(&body.cancel_url)
    .bind(now + lifetime)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let session = load(&state, &mut tx, &id).await?.session;
    events::record(&mut tx, &merchant.id, EventType::SessionCreated, &session).await?;
    tx.commit().await?;
    state.announce();
    tracing::info!(session = %id, merchant = %merchant.id, amount = %amount_due, "session created");
    Ok((StatusCode::CREATED, ApiJson(session)))
}

async fn line_item(
    state: &AppState,
    merchant: &Merchant,
    body: &CreateSession,
) -> ApiResult<LineItem> {
    let (product_id, name, description, image_url, unit_price) =
        match (&body.product_id, &body.product_data) {
            (Some(id), None) => {
                let product =
                    products::find(&state.db, merchant, id)
                        .await
                        .map_err(|e| match e {
                            ApiError::NotFound(_) => {
                                ApiError::invalid("productId", format!("no such product: {id}"))
                            }
                            other => other,
                        })?;
                if !product.active {
                    return Err(ApiError::invalid(
                        "productId",
                        format!("product {id} is archived"),
                    ));
                }
                (
                    Some(product.id),
                    product.name,
                    product.description,
                    product.image_url,
                    product.price,
                )
            }
            (None, Some(data)) => {
                validate::name("productData.name", &data.name)?;
                validate::optional_text("productData.description", data.description.as_deref())?;
                validate::optional_url("productData.imageUrl", data.image_url.as_deref())?;
                validate::price(&state.config, "productData.price", data.price)?;
                (
                    None,
                    data.name.clone(),
                    data.description.clone(),
                    data.image_url.clone(),
                    data.price,
                )
            }
            _ => {
                return Err(ApiError::invalid(
                    "productId",
                    "give exactly one of productId and productData",
                ));
            }
        };
    let amount = unit_price
        .checked_mul(u64::from(body.quantity))
        .ok_or_else(|| ApiError::invalid("quantity", "the total is too large"))?;
    Ok(LineItem {
        product_id,
        name,
        description,
        image_url,
        quantity: body.quantity,
        unit_price,
        amount,
    })
}

/// Retrieve a Checkout Session: the authoritative state of a payment.
#[utoipa::path(get, path = "/v1/checkout/sessions/{id}", tag = "Checkout Sessions",
    params(("id" = String, Path, description = "Session id (cs_...)")),
    responses((status = 200, body = Session), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn show(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Session>> {
    Ok(ApiJson(owned(&state, &merchant, &id).await?.session))
}

/// A session of this merchant, or 404.
async fn owned(state: &AppState, merchant: &Merchant, id: &str) -> ApiResult<Loaded> {
    let id = SessionId::parse(id).map_err(|_| ApiError::NotFound("checkout session"))?;
    let mut conn = state.db.acquire().await?;
    let loaded = load(state, &mut conn, &id).await?;
    if loaded.merchant_id != merchant.id {
        return Err(ApiError::NotFound("checkout session"));
    }
    Ok(loaded)
}

/// List Checkout Sessions, newest first.
#[utoipa::path(get, path = "/v1/checkout/sessions", tag = "Checkout Sessions",
    params(SessionListParams),
    responses((status = 200, body = List<Session>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn list(
    State(state): State<AppState>,
    merchant: Merchant,
    ApiQuery(params): ApiQuery<SessionListParams>,
) -> ApiResult<ApiJson<List<Session>>> {
    let page = pagination::page(
        &state.db,
        Listed::Sessions,
        &merchant.id,
        params.limit,
        params.starting_after.as_deref(),
    )
    .await?;
    let (before, before_id) = page.cursor();
    let ids: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM sessions
         WHERE merchant_id = $1 AND ($2 IS NULL OR status = $2)
           AND (created_at < $3 OR (created_at = $3 AND id < $4))
         ORDER BY created_at DESC, id DESC LIMIT $5",
    )
    .bind(merchant.id.as_str())
    .bind(params.status.map(SessionStatus::as_str))
    .bind(before)
    .bind(before_id)
    .bind(page.fetch())
    .fetch_all(&state.db)
    .await?;
    let mut conn = state.db.acquire().await?;
    let mut sessions = Vec::with_capacity(ids.len());
    for (id,) in ids {
        let id = SessionId::parse(&id).map_err(anyhow::Error::from)?;
        sessions.push(load(&state, &mut conn, &id).await?.session);
    }
    Ok(ApiJson(page.finish(sessions)))
}

/// Expire an open Checkout Session now, so it can no longer be paid.
#[utoipa::path(post, path = "/v1/checkout/sessions/{id}/expire", tag = "Checkout Sessions",
    params(("id" = String, Path, description = "Session id (cs_...)")),
    responses((status = 200, body = Session), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn expire(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Session>> {
    let loaded = owned(&state, &merchant, &id).await?;
    let mut tx = db::begin_write(&state.db).await?;
    let changed = sqlx::query(
        "UPDATE sessions SET status = 'expired', updated_at = $1 WHERE id = $2 AND status = 'open'",
    )
    .bind(now_seconds())
    .bind(loaded.session.id.as_str())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(ApiError::Conflict(format!(
            "only an open session can be expired; this one is {}",
            loaded.session.status.as_str()
        )));
    }
    let session = load(&state, &mut tx, &loaded.session.id).await?.session;
    events::record(&mut tx, &merchant.id, EventType::SessionExpired, &session).await?;
    tx.commit().await?;
    state.announce();
    Ok(ApiJson(session))
}

/// A session with the merchant it belongs to.
pub struct Loaded {
    pub merchant_id: MerchantId,
    pub session: Session,
}

#[derive(FromRow)]
struct SessionRow {
    merchant_id: String,
    status: String,
    line_items: String,
    amount_due_minor: String,
    currency: String,
    metadata: String,
    success_url: String,
    cancel_url: Option<String>,
    expires_at: i64,
    created_at: i64,
}

/// Reads a session and its payments (404 if there is none).
pub async fn load(state: &AppState, conn: &mut Conn, id: &SessionId) -> ApiResult<Loaded> {
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT merchant_id, status, line_items, amount_due_minor, currency, metadata,
                success_url, cancel_url, expires_at, created_at
         FROM sessions WHERE id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let row = row.ok_or(ApiError::NotFound("checkout session"))?;
    let merchant_id = MerchantId::parse(&row.merchant_id).map_err(anyhow::Error::from)?;
    let (payments, received_minor) = load_payments(state, conn, id).await?;
    let mut session = decode(state, id, row, payments, received_minor)?;
    session.settlement = settlement::of_session(conn, id).await?;
    Ok(Loaded {
        merchant_id,
        session,
    })
}

fn decode(
    state: &AppState,
    id: &SessionId,
    row: SessionRow,
    payments: Vec<Payment>,
    received_minor: u128,
) -> anyhow::Result<Session> {
    let currency: Currency = row.currency.parse()?;
    let status = SessionStatus::parse(&row.status)
        .ok_or_else(|| anyhow::anyhow!("stored session status {:?}", row.status))?;
    let line_items: Vec<LineItem> = serde_json::from_str(&row.line_items)?;
    let metadata: Metadata = serde_json::from_str(&row.metadata)?;
    let due: u128 = row.amount_due_minor.parse()?;
    Ok(Session {
        id: id.clone(),
        status,
        payment_url: payment_url(state, id),
        line_items,
        amount_due: Money::from_minor(due, currency),
        amount_received: Money::from_minor(received_minor, currency),
        amount_excess: (received_minor > due)
            .then(|| Money::from_minor(received_minor - due, currency)),
        metadata,
        success_url: row.success_url,
        cancel_url: row.cancel_url,
        expires_at: from_seconds(row.expires_at),
        created_at: from_seconds(row.created_at),
        payments,
        settlement: None,
    })
}

/// The hosted cashier page of a session.
pub fn payment_url(state: &AppState, id: &SessionId) -> String {
    let base = state.public_url.as_str().trim_end_matches('/');
    format!("{base}/pay/{id}")
}

#[derive(FromRow)]
struct PaymentRow {
    tx_hash: String,
    chain_id: i64,
    token: String,
    amount_raw: String,
    from_address: String,
    block_number: i64,
    gas_fee_raw: String,
    status: String,
    network: String,
    decimals: i64,
    rate_price: String,
    rate_currency: String,
    covers_minor: String,
    quoted_raw: String,
    head: Option<i64>,
}

/// The session's payments, and what the confirmed ones are worth in its
/// currency.
async fn load_payments(
    state: &AppState,
    conn: &mut Conn,
    id: &SessionId,
) -> anyhow::Result<(Vec<Payment>, u128)> {
    let rows: Vec<PaymentRow> = sqlx::query_as(
        "SELECT p.tx_hash, p.chain_id, p.token, p.amount_raw, p.from_address, p.block_number,
                p.gas_fee_raw, p.status, q.network, q.decimals, q.rate_price, q.rate_currency,
                q.covers_minor, q.amount_raw AS quoted_raw, c.block_number AS head
         FROM payments p
         JOIN quotes q ON q.id = p.quote_id
         LEFT JOIN chain_cursors c ON c.chain_id = p.chain_id
         WHERE p.session_id = $1 ORDER BY p.id",
    )
    .bind(id.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let mut received = 0;
    let mut payments = Vec::with_capacity(rows.len());
    for row in rows {
        if row.status == "confirmed" {
            received += payments::worth(&row.amount_raw, &row.covers_minor, &row.quoted_raw)?;
        }
        payments.push(decode_payment(state, row)?);
    }
    Ok((payments, received))
}

fn decode_payment(state: &AppState, row: PaymentRow) -> anyhow::Result<Payment> {
    let amount_raw: u128 = row.amount_raw.parse()?;
    let gas_raw: u128 = row.gas_fee_raw.parse()?;
    let chain_id = u64::try_from(row.chain_id)?;
    let native = state
        .config
        .network_by_chain(chain_id)
        .map_or_else(|| "ETH".to_owned(), |n| n.native_token.clone());
    let confirmations = row
        .head
        .map_or(0, |head| (head - row.block_number + 1).max(0)) as u64;
    Ok(Payment {
        tx_hash: row.tx_hash.parse()?,
        network: row.network,
        chain_id,
        exchange_rate: ExchangeRate {
            token: row.token.clone(),
            currency: row.rate_currency.parse()?,
            price: row.rate_price,
        },
        amount: format_units(amount_raw, u32::try_from(row.decimals)?, 0),
        amount_raw: RawAmount(amount_raw),
        token: row.token,
        from: row.from_address.parse()?,
        block_number: u64::try_from(row.block_number)?,
        confirmations,
        status: if row.status == "confirmed" {
            PaymentStatus::Confirmed
        } else {
            PaymentStatus::Pending
        },
        gas_fee: GasFee {
            amount: format_units(gas_raw, NATIVE_DECIMALS, 0),
            amount_raw: RawAmount(gas_raw),
            token: native,
        },
    })
}
