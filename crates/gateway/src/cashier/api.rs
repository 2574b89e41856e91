//! The cashier's public API: the session as the shopper may see it (never
//! its metadata) with every way to pay it, and quotes. The session id is
//! the capability; nothing here reveals secrets.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use tender_protocol::money::format_units;
use tender_protocol::{
    CreateQuote, DevWallet, ErrorBody, Money, PaymentOption, PublicSession, Quote, SessionId,
};

use crate::chain::devnet::DEV_ACCOUNTS;
use crate::checkout::{payments, quotes, view};
use crate::config::NATIVE_DECIMALS;
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::merchants::accounts;
use crate::refunds::offers;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/pay/{id}", get(show))
        .route("/v1/pay/{id}/quote", post(quote))
}

pub fn parse_id(id: &str) -> ApiResult<SessionId> {
    SessionId::parse(id).map_err(|_| ApiError::NotFound("checkout session"))
}

/// Every network and token the still-due amount can be paid with — all of
/// them for a fiat price, only that token for a token price — each with
/// what the amount comes to at the current rate.
async fn options(state: &AppState, due: Money) -> Vec<PaymentOption> {
    let currency = due.currency();
    let mut options = Vec::new();
    for n in &state.config.networks {
        let native = (n.native_token.clone(), None, NATIVE_DECIMALS);
        let tokens = n
            .tokens
            .iter()
            .map(|t| (t.symbol.clone(), Some(t.address.clone()), t.decimals));
        for (token, token_address, decimals) in std::iter::once(native).chain(tokens) {
            if !currency.is_fiat() && currency.code() != token {
                continue;
            }
            let units = if currency.is_fiat() {
                match state.rates.rate(&token, currency).await {
                    Ok(rate) => rate.to_token_units(due, decimals),
                    Err(_) => None,
                }
            } else {
                due.in_token_units(decimals)
            };
            options.push(PaymentOption {
                network: n.id.clone(),
                network_name: n.name.clone(),
                chain_id: n.chain_id,
                token,
                token_address,
                decimals,
                confirmations_required: n.confirmations,
                amount: units.map(|u| format_units(u, decimals, 0)),
                native_token: n.native_token.clone(),
                rpc_url: n.public_rpc_url.as_ref().map(ToString::to_string),
            });
        }
    }
    options
}

/// The session as the shopper may see it.
pub async fn public_session(state: &AppState, id: &SessionId) -> ApiResult<PublicSession> {
    let mut conn = state.db.acquire().await?;
    let loaded = view::load(state, &mut conn, id)
        .await?
        .ok_or(ApiError::NotFound("checkout session"))?;
    let quote = quotes::latest(&mut conn, id).await?;
    let refund_offers = offers::of_session(state, &mut conn, id).await?;
    drop(conn);
    let merchant_name = accounts::name(&state.db, &loaded.merchant_id).await?;
    let session = loaded.session;
    let still_due = payments::still_due(&state.db, &session).await?;
    let dev_wallet = state.config.offers_dev_wallet().then(|| DevWallet {
        accounts: DEV_ACCOUNTS
            .iter()
            .map(|a| {
                a.to_string()
                    .parse()
                    .expect("alloy formats addresses as 0x hex")
            })
            .collect(),
    });
    Ok(PublicSession {
        payment_options: options(state, still_due).await,
        id: session.id,
        status: session.status,
        merchant_name,
        line_items: session.line_items,
        amount_due: session.amount_due,
        amount_received: session.amount_received,
        success_url: session.success_url,
        cancel_url: session.cancel_url,
        expires_at: session.expires_at,
        quote,
        payments: session.payments,
        dev_wallet,
        refund_offers,
    })
}

/// The session as the shopper's cashier page sees it: no metadata.
#[utoipa::path(get, path = "/v1/pay/{id}", tag = "Cashier (public)",
    params(("id" = String, Path, description = "Session id (cs_...)")),
    responses((status = 200, body = PublicSession), (status = 404, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<PublicSession>> {
    Ok(ApiJson(public_session(&state, &parse_id(&id)?).await?))
}

/// Lock a quote: the amount in a token on a network, and a fresh deposit
/// address to pay it to.
#[utoipa::path(post, path = "/v1/pay/{id}/quote", tag = "Cashier (public)",
    params(("id" = String, Path, description = "Session id (cs_...)")),
    request_body = CreateQuote,
    responses((status = 201, body = Quote), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn quote(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreateQuote>,
) -> ApiResult<(StatusCode, ApiJson<Quote>)> {
    let id = parse_id(&id)?;
    let mut conn = state.db.acquire().await?;
    let session = view::load(&state, &mut conn, &id)
        .await?
        .ok_or(ApiError::NotFound("checkout session"))?
        .session;
    drop(conn);
    let quote = quotes::create(&state, &session, &body).await?;
    state.announce();
    Ok((StatusCode::CREATED, ApiJson(quote)))
}
