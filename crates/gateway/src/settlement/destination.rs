//! Where a merchant is paid (owns `settlement_destinations`):
//! `GET|PUT /v1/settlement-destination`, a network, a token it carries and
//! an address. A change is announced to every webhook endpoint
//! (`settlement_destination.updated`).

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use tender_protocol::{ErrorBody, List, SettlementDestination, SettlementOption};

use crate::clock::now_seconds;
use crate::db;
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::merchants::auth::Merchant;
use crate::state::AppState;
use crate::validate;
use crate::webhooks::outbox;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/settlement-destination", get(show).put(update))
        .route("/v1/settlement-destination/options", get(options))
}

/// The networks and tokens proceeds can go to.
#[utoipa::path(get, path = "/v1/settlement-destination/options", tag = "Settlement",
    responses((status = 200, body = List<SettlementOption>), (status = 401, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn options(State(state): State<AppState>) -> ApiJson<List<SettlementOption>> {
    let data = state
        .config
        .networks
        .iter()
        .map(|n| SettlementOption {
            network: n.id.clone(),
            name: n.name.clone(),
            chain_id: n.chain_id,
            tokens: std::iter::once(n.native_token.clone())
                .chain(n.tokens.iter().map(|t| t.symbol.clone()))
                .collect(),
        })
        .collect();
    ApiJson(List {
        data,
        has_more: false,
    })
}

/// Where this merchant's proceeds go.
#[utoipa::path(get, path = "/v1/settlement-destination", tag = "Settlement",
    responses((status = 200, body = SettlementDestination), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn show(
    State(state): State<AppState>,
    merchant: Merchant,
) -> ApiResult<ApiJson<SettlementDestination>> {
    let row: Option<(String, String, String)> = sqlx::query_as(
        "SELECT network, token, address FROM settlement_destinations WHERE merchant_id = $1",
    )
    .bind(merchant.id.as_str())
    .fetch_optional(&state.db)
    .await?;
    let (network, token, address) = row.ok_or(ApiError::NotFound("settlement destination"))?;
    Ok(ApiJson(SettlementDestination {
        network,
        token,
        address: address.parse()?,
    }))
}

/// Set where proceeds go: a network, a token it carries, and an address.
#[utoipa::path(put, path = "/v1/settlement-destination", tag = "Settlement",
    request_body = SettlementDestination,
    responses((status = 200, body = SettlementDestination), (status = 400, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn update(
    State(state): State<AppState>,
    merchant: Merchant,
    ApiJson(body): ApiJson<SettlementDestination>,
) -> ApiResult<ApiJson<SettlementDestination>> {
    let network = state.config.network(&body.network).ok_or_else(|| {
        ApiError::invalid("network", format!("unknown network {:?}", body.network))
    })?;
    if network.token(&body.token).is_none() {
        return Err(ApiError::invalid(
            "token",
            format!("{} is not a token of {}", body.token, network.name),
        ));
    }
    validate::not_zero_address("address", &body.address)?;
    let mut tx = db::begin_write(&state.db).await?;
    sqlx::query(
        "INSERT INTO settlement_destinations (merchant_id, network, token, address, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (merchant_id) DO UPDATE SET network = excluded.network, token = excluded.token,
             address = excluded.address, updated_at = excluded.updated_at",
    )
    .bind(merchant.id.as_str())
    .bind(&body.network)
    .bind(&body.token)
    .bind(body.address.as_str())
    .bind(now_seconds())
    .execute(&mut *tx)
    .await?;
    outbox::record_destination_change(&mut tx, &merchant.id, &body).await?;
    tx.commit().await?;
    state.announce();
    tracing::info!(merchant = %merchant.id, network = %body.network, "settlement destination changed");
    Ok(ApiJson(body))
}
