//! The shopper's side of a refund, public: the claim link's token is the
//! capability. `GET /v1/claims/{token}` shows it; `POST` names the address
//! it goes to, once.

use alloy::primitives::Address as EvmAddress;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use tender_protocol::money::format_units;
use tender_protocol::{
    Claim, ClaimRefund, ErrorBody, MerchantId, NetworkFeePayer, RefundBasis, RefundStatus,
};

use crate::chain::treasury;
use crate::checkout::tally;
use crate::clock::from_seconds;
use crate::db;
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::merchants::accounts;
use crate::refunds::store::{self, Row};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/claims/{token}", get(show).post(claim))
}

async fn found(state: &AppState, token: &str) -> ApiResult<Row> {
    // Tokens are 32 letters and digits; anything else names nothing.
    if token.len() > 64 || !token.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ApiError::NotFound("refund"));
    }
    store::by_claim(&state.db, token)
        .await?
        .ok_or(ApiError::NotFound("refund"))
}

/// A refund as the shopper's claim page sees it.
#[utoipa::path(get, path = "/v1/claims/{token}", tag = "Refund claims (public)",
    params(("token" = String, Path, description = "The claim link's token")),
    responses((status = 200, body = Claim), (status = 404, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<ApiJson<Claim>> {
    let row = found(&state, &token).await?;
    Ok(ApiJson(view(&state, &row).await?))
}

async fn view(state: &AppState, row: &Row) -> ApiResult<Claim> {
    let merchant_name = accounts::name(&state.db, &MerchantId::parse(&row.merchant_id)?).await?;
    let network = state.config.network(&row.network);
    let status = row.status()?;
    let raw = match row.amount_raw()? {
        Some(raw) => Some(raw),
        // Converted when claimed: what it would come to now.
        None => current_amount(state, row).await.ok(),
    };
    let decimals = row.decimals()?;
    Ok(Claim {
        merchant_name,
        status,
        expired: status == RefundStatus::Pending && row.claim_expires_at <= state.clock.now(),
        amount: row.amount()?,
        network: row.network.clone(),
        network_name: network.map_or_else(|| row.network.clone(), |n| n.name.clone()),
        chain_id: row.chain_id()?,
        token: row.token.clone(),
        token_amount: raw.map(|r| format_units(r, decimals, 0)),
        reason: row.reason.clone(),
        expires_at: from_seconds(row.claim_expires_at),
        destination: row.destination.as_deref().map(str::parse).transpose()?,
        tx_hash: row.tx_hash.as_deref().map(str::parse).transpose()?,
        rpc_url: network.and_then(|n| n.public_rpc_url.as_ref().map(ToString::to_string)),
    })
}

/// The token amount of a `current_rate` refund at the rate now.
async fn current_amount(state: &AppState, row: &Row) -> ApiResult<u128> {
    let amount = row.amount()?;
    let decimals = row.decimals()?;
    let units = if amount.currency().is_fiat() {
        let rate = state
            .rates
            .rate(&row.token, amount.currency())
            .await
            .map_err(|e| ApiError::Upstream(e.to_string()))?;
        rate.to_token_units_down(amount, decimals)
    } else {
        amount.in_token_units(decimals)
    };
    Ok(units.ok_or_else(|| anyhow::anyhow!("cannot convert {amount} into {}", row.token))?)
}

/// The fee of the refund transaction, in the refund's token units, for a
/// shopper who pays it: gas at today's prices.
async fn network_fee(state: &AppState, row: &Row) -> ApiResult<u128> {
    let chain = state
        .chains
        .get(&row.network)
        .ok_or_else(|| anyhow::anyhow!("network {:?} is not configured", row.network))?;
    let token = row.token_address()?;
    let fees = chain
        .fees()
        .await
        .map_err(|e| ApiError::Upstream(format!("{e:#}")))?;
    let wei = u128::from(treasury::gas_limit(token)) * fees.max_per_gas();
    if token.is_none() {
        return Ok(wei);
    }
    // A token refund: the gas's worth, converted through the fiat currency.
    let currency = row.amount()?.currency();
    let native = &chain.network.native_token;
    let (native_rate, token_rate) = match (
        state.rates.rate(native, currency).await,
        state.rates.rate(&row.token, currency).await,
    ) {
        (Ok(n), Ok(t)) if currency.is_fiat() => (n, t),
        _ => {
            return Err(ApiError::Upstream(
                "the network fee cannot be converted into the refund's token right now".into(),
            ));
        }
    };
    let worth = tally::value_at(
        wei,
        crate::config::NATIVE_DECIMALS,
        currency,
        &native_rate.price,
    )
    .unwrap_or(0);
    let decimals = row.decimals()?;
    Ok(token_rate
        .to_token_units(
            tender_protocol::Money::from_minor(worth, currency),
            decimals,
        )
        .unwrap_or(0))
}

/// An address as a shopper types it: 0x and 40 hex digits; in mixed case,
/// a valid EIP-55 checksum.
pub fn parse_address(text: &str) -> ApiResult<EvmAddress> {
    let text = text.trim();
    let bad = |why: &str| ApiError::invalid("address", why.to_owned());
    let hex = text
        .strip_prefix("0x")
        .filter(|h| h.len() == 40 && h.chars().all(|c| c.is_ascii_hexdigit()))
        .ok_or_else(|| bad("address must be 0x followed by 40 hex digits"))?;
    let mixed =
        hex.chars().any(|c| c.is_ascii_uppercase()) && hex.chars().any(|c| c.is_ascii_lowercase());
    let address = if mixed {
        EvmAddress::parse_checksummed(text, None).map_err(|_| {
            bad("the address's checksum (its mix of capitals) is wrong: check it was copied whole")
        })?
    } else {
        text.parse()
            .map_err(|_| bad("address is not an EVM address"))?
    };
    if address.is_zero() {
        return Err(bad(
            "address must not be the zero address, which burns what it receives",
        ));
    }
    Ok(address)
}

/// Claim the refund: the address it goes to. Once only (the same address
/// again answers where the claim stands); a contract address needs
/// `confirmContract`.
#[utoipa::path(post, path = "/v1/claims/{token}", tag = "Refund claims (public)",
    params(("token" = String, Path, description = "The claim link's token")),
    request_body = ClaimRefund,
    responses((status = 200, body = Claim), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
pub async fn claim(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ApiJson(body): ApiJson<ClaimRefund>,
) -> ApiResult<ApiJson<Claim>> {
    let row = found(&state, &token).await?;
    let address = parse_address(&body.address)?;
    match row.status()? {
        RefundStatus::Pending if row.claim_expires_at <= state.clock.now() => {
            return Err(ApiError::Conflict("this refund link has expired".into()));
        }
        RefundStatus::Pending => {}
        RefundStatus::Canceled => {
            return Err(ApiError::Conflict(
                "this refund was canceled by the shop".into(),
            ));
        }
        // The same claim again (a second click, a page reloaded while the
        // first was on its way): where it stands, not an error.
        _ if row
            .destination
            .as_deref()
            .and_then(|d| d.parse::<EvmAddress>().ok())
            == Some(address) =>
        {
            return Ok(ApiJson(view(&state, &row).await?));
        }
        _ => {
            return Err(ApiError::Conflict(
                "this refund has been claimed already".into(),
            ));
        }
    }
    let chain = state
        .chains
        .get(&row.network)
        .ok_or_else(|| anyhow::anyhow!("network {:?} is not configured", row.network))?;
    if !body.confirm_contract
        && chain
            .has_code(address)
            .await
            .map_err(|e| ApiError::Upstream(format!("{e:#}")))?
    {
        return Err(ApiError::Conflict(format!(
            "{address} is a contract on {}: send a refund there only if it is your wallet on this network (claim again with confirmContract)",
            chain.network.name
        )));
    }
    let mut raw = match (row.amount_raw()?, row.basis()?) {
        (Some(raw), _) => raw,
        (None, RefundBasis::CurrentRate) => current_amount(&state, &row).await?,
        (None, _) => return Err(anyhow::anyhow!("refund {} has no token amount", row.id).into()),
    };
    if row.network_fee()? == NetworkFeePayer::Customer {
        let fee = network_fee(&state, &row).await?;
        raw = raw
            .checked_sub(fee)
            .filter(|left| *left > 0)
            .ok_or_else(|| {
                ApiError::Conflict("this refund is smaller than its network fee".into())
            })?;
    }
    let mut tx = db::begin_write(&state.db).await?;
    let claimed = store::claim(&state, &mut tx, &row, &address.to_string(), raw).await?;
    tx.commit().await?;
    if !claimed {
        return Err(ApiError::Conflict(
            "this refund has been claimed already".into(),
        ));
    }
    state.announce();
    tracing::info!(refund = %row.id, to = %address, amount = raw, "refund claimed");
    let row = found(&state, &token).await?;
    Ok(ApiJson(view(&state, &row).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_as_a_wallet_would() {
        let good = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
        assert!(parse_address(good).is_ok());
        assert!(
            parse_address(&good.to_lowercase()).is_ok(),
            "no checksum to check"
        );
        let typo = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD";
        assert!(parse_address(typo).is_err(), "a wrong capital");
        assert!(parse_address("0x1234").is_err());
        assert!(parse_address("0x0000000000000000000000000000000000000000").is_err());
    }
}
