//! The merchant's refunds API: create a refund of a session (of what paid
//! it, or of its unallocated money), list, read and cancel them.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use tender_protocol::ids::random_token;
use tender_protocol::{
    CreateRefund, ErrorBody, List, Money, Refund, RefundBasis, RefundId, RefundListParams,
    RefundSource, RefundStatus, Session, SessionId, SessionStatus,
};

use crate::checkout::view;
use crate::db;
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult};
use crate::merchants::auth::Merchant;
use crate::pagination::{self, ListQuery, Listed};
use crate::refunds::amounts::{self, Bucket};
use crate::refunds::store::{self, COLUMNS, Move, NewRefund, Row};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/checkout/sessions/{id}/refunds", post(create))
        .route("/v1/refunds", get(list))
        .route("/v1/refunds/{id}", get(show))
        .route("/v1/refunds/{id}/cancel", post(cancel))
}

const MAX_REASON_CHARS: usize = 500;

/// Refund a session: of what paid it (a `paid` or `completed` session; the
/// merchant's money, taken off its next payouts) or of its unallocated
/// money. The answer holds the claim link to give the shopper, once.
#[utoipa::path(post, path = "/v1/checkout/sessions/{id}/refunds", tag = "Refunds",
    params(("id" = String, Path, description = "Session id (cs_...)")),
    request_body = CreateRefund,
    responses((status = 201, body = Refund), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn create(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreateRefund>,
) -> ApiResult<(StatusCode, ApiJson<Refund>)> {
    let id = SessionId::parse(&id).map_err(|_| ApiError::NotFound("checkout session"))?;
    if body
        .reason
        .as_deref()
        .is_some_and(|r| r.chars().count() > MAX_REASON_CHARS)
    {
        return Err(ApiError::invalid(
            "reason",
            format!("reason must be at most {MAX_REASON_CHARS} characters"),
        ));
    }
    let mut tx = db::begin_write(&state.db).await?;
    // What is left to refund is read, then taken: one refund at a time.
    db::lock_session(&mut tx, id.as_str()).await?;
    let session = match view::load(&state, &mut tx, &id).await? {
        Some(loaded) if loaded.merchant_id == merchant.id => loaded.session,
        _ => return Err(ApiError::NotFound("checkout session")),
    };
    if let Some(amount) = body.amount
        && (amount.currency() != session.amount_due.currency() || amount.minor() == 0)
    {
        return Err(ApiError::invalid(
            "amount",
            format!(
                "amount must be above zero, in the session's currency ({})",
                session.amount_due.currency()
            ),
        ));
    }
    let paid = matches!(
        session.status,
        SessionStatus::Paid | SessionStatus::Completed
    );
    let source = body.source.unwrap_or(if paid {
        RefundSource::Payment
    } else {
        RefundSource::Unallocated
    });
    let standing = store::standing(&mut tx, &id).await?;
    let plan = match source {
        RefundSource::Unallocated => from_unallocated(&mut tx, &session, &body, &standing).await?,
        RefundSource::Payment => from_payment(&state, &mut tx, &session, &body, &standing).await?,
    };
    let network = state
        .config
        .network_by_chain(plan.bucket.chain_id as u64)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the money is on chain {}, which is not configured",
                plan.bucket.chain_id
            )
        })?;
    let (contract, decimals) = network.token(&plan.bucket.token).ok_or_else(|| {
        anyhow::anyhow!(
            "{} is no longer a token of {}",
            plan.bucket.token,
            network.id
        )
    })?;
    let token = random_token(32);
    let new = NewRefund {
        merchant_id: merchant.id.as_str(),
        session_id: &id,
        source,
        basis: body.basis,
        network_fee: body.network_fee,
        reason: body.reason.as_deref(),
        amount: plan.amount,
        network: &network.id,
        chain_id: network.chain_id,
        token: &plan.bucket.token,
        token_address: contract.map(|t| t.address.as_str()),
        decimals,
        rate_price: plan.bucket.rate.as_deref(),
        amount_raw: plan.raw,
        claim_token: &token,
        claim_expires_at: state.clock.now() + state.config.refund_claim_ttl_seconds as i64,
        offered: false,
    };
    let row = store::insert(&state, &mut tx, &new).await?;
    tx.commit().await?;
    state.announce();
    let mut refund = row.to_refund()?;
    let base = state.public_url.as_str().trim_end_matches('/');
    refund.claim_url = Some(format!("{base}/refund/{token}"));
    tracing::info!(refund = %refund.id, session = %id, amount = %refund.amount, "refund created");
    Ok((StatusCode::CREATED, ApiJson(refund)))
}

/// What a new refund gives back: its value, its coins, and (when fixed
/// now) its token amount.
struct Plan {
    amount: Money,
    bucket: Bucket,
    raw: Option<u128>,
}

async fn from_unallocated(
    conn: &mut crate::db::Conn,
    session: &Session,
    body: &CreateRefund,
    standing: &[Row],
) -> ApiResult<Plan> {
    if body.basis != RefundBasis::Token || body.on_settlement_network {
        return Err(ApiError::invalid(
            "basis",
            "unallocated money goes back as the coins that came in: basis token, on their network",
        ));
    }
    let buckets = amounts::unallocated(conn, &session.id, standing).await?;
    let Some(bucket) = buckets.into_iter().next() else {
        return Err(ApiError::Conflict(
            "this session holds no unallocated money to refund".into(),
        ));
    };
    let currency = session.amount_due.currency();
    let (minor, raw) = match body.amount {
        None => (bucket.minor, bucket.raw),
        Some(asked) if asked.minor() <= bucket.minor => {
            (asked.minor(), bucket.raw_for(asked.minor()))
        }
        Some(_) => {
            return Err(ApiError::invalid(
                "amount",
                format!(
                    "at most {} of it is refundable",
                    Money::from_minor(bucket.minor, currency)
                ),
            ));
        }
    };
    Ok(Plan {
        amount: Money::from_minor(minor, currency),
        raw: Some(raw),
        bucket,
    })
}

async fn from_payment(
    state: &AppState,
    conn: &mut crate::db::Conn,
    session: &Session,
    body: &CreateRefund,
    standing: &[Row],
) -> ApiResult<Plan> {
    if !matches!(
        session.status,
        SessionStatus::Paid | SessionStatus::Completed
    ) {
        return Err(ApiError::Conflict(format!(
            "only a paid or completed session's payment can be refunded; this one is {}",
            session.status.as_str()
        )));
    }
    let left = amounts::of_payment(session.amount_due, standing)?;
    let currency = session.amount_due.currency();
    let minor = match body.amount {
        _ if left == 0 => {
            return Err(ApiError::Conflict(
                "this session is refunded in full already".into(),
            ));
        }
        None => left,
        Some(asked) if asked.minor() <= left => asked.minor(),
        Some(_) => {
            return Err(ApiError::invalid(
                "amount",
                format!(
                    "at most {} is left to refund",
                    Money::from_minor(left, currency)
                ),
            ));
        }
    };
    let amount = Money::from_minor(minor, currency);
    if body.on_settlement_network {
        if body.basis != RefundBasis::CurrentRate {
            return Err(ApiError::invalid(
                "basis",
                "a refund on the settlement network is converted when claimed: basis current_rate",
            ));
        }
        let destination: Option<(String, String)> = sqlx::query_as(
            "SELECT d.network, d.token FROM settlement_destinations d
             JOIN sessions s ON s.merchant_id = d.merchant_id WHERE s.id = $1",
        )
        .bind(session.id.as_str())
        .fetch_optional(&mut *conn)
        .await?;
        let (network, token) = destination.ok_or_else(|| {
            ApiError::invalid("onSettlementNetwork", "no settlement destination is set")
        })?;
        let chain_id = state
            .config
            .network(&network)
            .map(|n| n.chain_id as i64)
            .ok_or_else(|| anyhow::anyhow!("settlement network {network:?} is not configured"))?;
        let bucket = Bucket {
            chain_id,
            token,
            raw: 0,
            minor,
            rate: None,
        };
        return Ok(Plan {
            amount,
            bucket,
            raw: None,
        });
    }
    let bucket = amounts::main_payment(conn, &session.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("a paid session without a confirmed payment"))?;
    let decimals = state
        .config
        .token_decimals(&bucket.token)
        .ok_or_else(|| anyhow::anyhow!("{} is no longer configured", bucket.token))?;
    let raw = match body.basis {
        // The same share of the coins: minor of what the payment was worth.
        RefundBasis::Token => Some(bucket.raw_for(minor.min(bucket.minor))),
        RefundBasis::SessionRate => {
            let rate = tender_protocol::ExchangeRate {
                token: bucket.token.clone(),
                currency,
                price: bucket.rate.clone().unwrap_or_else(|| "1".into()),
            };
            let units = if currency.is_fiat() {
                rate.to_token_units_down(amount, decimals)
            } else {
                amount.in_token_units(decimals)
            };
            Some(units.ok_or_else(|| ApiError::invalid("amount", "cannot convert this amount"))?)
        }
        RefundBasis::CurrentRate => None,
    };
    Ok(Plan {
        amount,
        bucket,
        raw,
    })
}

/// List refunds, newest first, by session or status.
#[utoipa::path(get, path = "/v1/refunds", tag = "Refunds", params(RefundListParams),
    responses((status = 200, body = List<Refund>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn list(
    State(state): State<AppState>,
    merchant: Merchant,
    ApiQuery(params): ApiQuery<RefundListParams>,
) -> ApiResult<ApiJson<List<Refund>>> {
    let query = ListQuery::new(Listed::Refunds, COLUMNS)
        .filter("session_id", params.session_id.as_deref())
        .filter("status", params.status.map(RefundStatus::as_str));
    pagination::answer(&state.db, &merchant.id, &query, &params, |row: Row| {
        row.to_refund()
    })
    .await
}

async fn owned(state: &AppState, merchant: &Merchant, id: &str) -> ApiResult<Row> {
    let id = RefundId::parse(id).map_err(|_| ApiError::NotFound("refund"))?;
    let mut conn = state.db.acquire().await?;
    match store::load(&mut conn, &id).await? {
        Some(row) if row.merchant_id == merchant.id.as_str() => Ok(row),
        _ => Err(ApiError::NotFound("refund")),
    }
}

/// Retrieve a refund.
#[utoipa::path(get, path = "/v1/refunds/{id}", tag = "Refunds",
    params(("id" = String, Path, description = "Refund id (re_...)")),
    responses((status = 200, body = Refund), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn show(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Refund>> {
    Ok(ApiJson(owned(&state, &merchant, &id).await?.to_refund()?))
}

/// Cancel a refund the shopper has not claimed yet: its link stops working.
#[utoipa::path(post, path = "/v1/refunds/{id}/cancel", tag = "Refunds",
    params(("id" = String, Path, description = "Refund id (re_...)")),
    responses((status = 200, body = Refund), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn cancel(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Refund>> {
    let row = owned(&state, &merchant, &id).await?;
    let mut tx = db::begin_write(&state.db).await?;
    let change = Move {
        from: RefundStatus::Pending,
        to: RefundStatus::Canceled,
        tx_hash: None,
        failure: None,
        event: None,
    };
    let canceled = store::finish(&state, &mut tx, &row.id, change).await?;
    if !canceled {
        return Err(ApiError::Conflict(format!(
            "only a pending refund can be canceled; this one is {}",
            row.status
        )));
    }
    let mut conn = tx;
    let row = store::load(&mut conn, &RefundId::parse(&row.id)?)
        .await?
        .ok_or(ApiError::NotFound("refund"))?;
    conn.commit().await?;
    Ok(ApiJson(row.to_refund()?))
}
