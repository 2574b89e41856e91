//! `POST /v1/test-events` (what `tender trigger` calls): a made-up event of
//! a `session.*` type with a realistic session in the matching state, marked
//! `test`, sent to the endpoints subscribed to it and to the event stream
//! like any other, so a receiver can be tried without paying.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use tender_protocol::{
    Currency, ErrorBody, Event, EventType, ExchangeRate, GasFee, LineItem, Metadata, Money,
    Payment, PaymentStatus, RawAmount, Session, SessionId, SessionStatus, TriggerEvent,
};

use crate::clock::{from_seconds, now_seconds};
use crate::db;
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::merchants::auth::Merchant;
use crate::state::AppState;
use crate::webhooks::outbox;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/test-events", post(trigger))
}

/// Send a made-up `session.*` event (marked `test`) to the endpoints
/// subscribed to its type and to the event stream.
#[utoipa::path(post, path = "/v1/test-events", tag = "Events",
    request_body = TriggerEvent,
    responses((status = 201, body = Event), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn trigger(
    State(state): State<AppState>,
    merchant: Merchant,
    ApiJson(body): ApiJson<TriggerEvent>,
) -> ApiResult<(StatusCode, ApiJson<Event>)> {
    let kind = EventType::parse(&body.kind)
        .filter(|k| EventType::TRIGGERABLE.contains(k))
        .ok_or_else(|| {
            ApiError::invalid(
                "type",
                format!(
                    "{:?} cannot be triggered: use a session.* event type",
                    body.kind
                ),
            )
        })?;
    let session = made_up(&state, kind)?;
    let mut tx = db::begin_write(&state.db).await?;
    let id = outbox::record_made_up(&mut tx, &merchant.id, kind, &session).await?;
    let (payload,): (String,) = sqlx::query_as("SELECT payload FROM events WHERE id = $1")
        .bind(id.as_str())
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    state.announce();
    Ok((
        StatusCode::CREATED,
        ApiJson(serde_json::from_str(&payload)?),
    ))
}

/// The status a session has when `kind` is sent.
fn status_of(kind: EventType) -> Option<SessionStatus> {
    Some(match kind {
        EventType::SessionCreated => SessionStatus::Open,
        EventType::SessionProcessing => SessionStatus::Processing,
        EventType::SessionUnderpaid => SessionStatus::Underpaid,
        EventType::SessionPaid | EventType::SessionPaidLate => SessionStatus::Paid,
        EventType::SessionCompleted => SessionStatus::Completed,
        EventType::SessionExpired => SessionStatus::Expired,
        _ => return None,
    })
}

/// A T-shirt session in the state `kind` says, paid (where it is) by one
/// ETH payment on the first configured network.
fn made_up(state: &AppState, kind: EventType) -> ApiResult<Session> {
    let status = status_of(kind).ok_or_else(|| ApiError::invalid("type", "not a session event"))?;
    let id = SessionId::generate();
    let now = now_seconds();
    let price = Money::from_minor(2_500, Currency::Usd);
    let paid = matches!(status, SessionStatus::Paid | SessionStatus::Completed);
    let network = state.config.networks.first();
    let payment = (paid || status == SessionStatus::Processing).then(|| Payment {
        tx_hash: format!("0x{}", "7e".repeat(32)).parse().expect("a hash"),
        network: network.map_or_else(|| "test".to_owned(), |n| n.id.clone()),
        chain_id: network.map_or(1, |n| n.chain_id),
        token: "ETH".into(),
        amount: "0.0125".into(),
        amount_raw: RawAmount(12_500_000_000_000_000),
        from: format!("0x{}", "11".repeat(20))
            .parse()
            .expect("an address"),
        block_number: 1,
        confirmations: if paid { 2 } else { 1 },
        confirmations_required: Some(2),
        status: if paid {
            PaymentStatus::Confirmed
        } else {
            PaymentStatus::Pending
        },
        quoted_at: Some(from_seconds(now - 60)),
        mined_at: Some(from_seconds(now - 30)),
        seen_at: Some(from_seconds(now - 29)),
        confirmed_at: paid.then(|| from_seconds(now - 10)),
        late: kind == EventType::SessionPaidLate,
        off_quote: false,
        unallocated: None,
        gas_fee: GasFee {
            amount: "0.000021".into(),
            amount_raw: RawAmount(21_000_000_000_000),
            token: "ETH".into(),
        },
        exchange_rate: ExchangeRate {
            token: "ETH".into(),
            currency: Currency::Usd,
            price: "2000".into(),
        },
    });
    let mut metadata = std::collections::BTreeMap::new();
    metadata.insert("order_id".to_owned(), "ord_test".to_owned());
    Ok(Session {
        payment_url: format!(
            "{}/pay/{id}",
            state.public_url.as_str().trim_end_matches('/')
        ),
        id,
        status,
        line_items: vec![LineItem {
            product_id: None,
            name: "Test T-shirt".into(),
            description: None,
            image_url: None,
            quantity: 1,
            unit_price: price,
            amount: price,
        }],
        amount_due: price,
        amount_received: if paid {
            price
        } else {
            Money::from_minor(0, Currency::Usd)
        },
        amount_excess: None,
        amount_short: None,
        amount_unallocated: None,
        expired_while_chains_behind: false,
        metadata: Metadata::new(metadata).map_err(|_| anyhow::anyhow!("metadata"))?,
        success_url: "https://shop.example/success".into(),
        cancel_url: None,
        expires_at: from_seconds(now + 3600),
        created_at: from_seconds(now - 120),
        payments: payment.into_iter().collect(),
        unknown_tokens: Vec::new(),
        settlement: None,
        payment_link: None,
        locale: None,
    })
}
