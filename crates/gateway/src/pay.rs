//! The public side of a session, for the shopper's cashier page. The session
//! id is the capability; nothing here reveals metadata or secrets.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use tender_protocol::{
    CreateQuote, Currency, ErrorBody, PaymentOption, PublicSession, Quote, SessionId,
};
use tower_http::services::ServeDir;

use crate::config::{Config, NATIVE_DECIMALS};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::state::AppState;
use crate::{merchants, quotes, sessions};

pub fn router(state: &AppState) -> Router<AppState> {
    let router = Router::new()
        .route("/v1/pay/{id}", get(show))
        .route("/v1/pay/{id}/quote", post(quote))
        .route("/pay/{id}", get(page));
    match &state.config.cashier_dir {
        Some(dir) => router.nest_service("/cashier", ServeDir::new(dir)),
        None => router,
    }
}

/// Every network and token a session in `currency` can be paid with: all of
/// them for a fiat price, only that token for a token price.
fn options(config: &Config, currency: Currency) -> Vec<PaymentOption> {
    let mut options = Vec::new();
    for n in &config.networks {
        let native = (n.native_token.clone(), None, NATIVE_DECIMALS);
        let tokens = n
            .tokens
            .iter()
            .map(|t| (t.symbol.clone(), Some(t.address.clone()), t.decimals));
        for (token, token_address, decimals) in std::iter::once(native).chain(tokens) {
            if currency.is_fiat() || currency.code() == token {
                options.push(PaymentOption {
                    network: n.id.clone(),
                    network_name: n.name.clone(),
                    chain_id: n.chain_id,
                    token,
                    token_address,
                    decimals,
                    confirmations_required: n.confirmations,
                });
            }
        }
    }
    options
}

fn parse_id(id: &str) -> ApiResult<SessionId> {
    SessionId::parse(id).map_err(|_| ApiError::NotFound("checkout session"))
}

/// The session as the shopper's cashier page sees it: no metadata.
#[utoipa::path(get, path = "/v1/pay/{id}", tag = "Cashier (public)",
    params(("id" = String, Path, description = "Session id (cs_...)")),
    responses((status = 200, body = PublicSession), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<PublicSession>> {
    let id = parse_id(&id)?;
    let mut conn = state.db.acquire().await?;
    let loaded = sessions::load(&state, &mut conn, &id).await?;
    let quote = quotes::latest(&mut conn, &id).await?;
    drop(conn);
    let merchant_name = merchants::name(&state.db, &loaded.merchant_id).await?;
    let session = loaded.session;
    let payment_options = options(&state.config, session.amount_due.currency());
    Ok(ApiJson(PublicSession {
        amount_received: session.amount_received,
        id: session.id,
        status: session.status,
        merchant_name,
        line_items: session.line_items,
        amount_due: session.amount_due,
        success_url: session.success_url,
        cancel_url: session.cancel_url,
        expires_at: session.expires_at,
        payment_options,
        quote,
        payments: session.payments,
    }))
}

/// Lock a quote: the amount in a token on a network, and a fresh deposit
/// address to pay it to.
#[utoipa::path(post, path = "/v1/pay/{id}/quote", tag = "Cashier (public)",
    params(("id" = String, Path, description = "Session id (cs_...)")),
    request_body = CreateQuote,
    responses((status = 201, body = Quote), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn quote(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreateQuote>,
) -> ApiResult<(StatusCode, ApiJson<Quote>)> {
    let id = parse_id(&id)?;
    let mut conn = state.db.acquire().await?;
    let session = sessions::load(&state, &mut conn, &id).await?.session;
    drop(conn);
    let quote = quotes::create(&state, &session, &body).await?;
    Ok((StatusCode::CREATED, ApiJson(quote)))
}

/// The cashier page; the same document for every session (it reads the id
/// from its URL).
async fn page(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    if SessionId::parse(&id).is_err() {
        return (StatusCode::NOT_FOUND, "No such checkout session").into_response();
    }
    let Some(dir) = &state.config.cashier_dir else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "The cashier is not built on this gateway (set cashier_dir).",
        )
            .into_response();
    };
    match tokio::fs::read_to_string(dir.join("index.html")).await {
        Ok(html) => Html(html).into_response(),
        Err(err) => {
            tracing::error!(error = %err, dir = %dir.display(), "cannot read the cashier page");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "The cashier page is unavailable.",
            )
                .into_response()
        }
    }
}
