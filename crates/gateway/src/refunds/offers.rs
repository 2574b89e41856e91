//! Stray money offered back: when money on a session stops paying for
//! anything and the merchant's stray-money policy is `automatic`, each
//! coin (network, token) of it becomes a refund the shopper can claim from
//! the session's cashier page. The shopper bears the network fee, so dust
//! cannot make the merchant pay to send it back.

use tender_protocol::ids::random_token;
use tender_protocol::money::format_units;
use tender_protocol::{
    Money, NetworkFeePayer, RefundBasis, RefundOffer, RefundSource, SessionId, StrayMoneyPolicy,
};

use crate::db::Conn;
use crate::merchants::settings;
use crate::refunds::amounts;
use crate::refunds::store::{self, NewRefund};
use crate::state::AppState;

/// Offers the session's unallocated money not yet offered or refunded, if
/// its merchant wants that; in the caller's transaction.
pub async fn offer(state: &AppState, conn: &mut Conn, id: &SessionId) -> anyhow::Result<()> {
    let (merchant, currency): (String, String) =
        sqlx::query_as("SELECT merchant_id, currency FROM sessions WHERE id = $1")
            .bind(id.as_str())
            .fetch_one(&mut *conn)
            .await?;
    let merchant = tender_protocol::MerchantId::parse(&merchant)?;
    if settings::of_in(conn, &merchant).await?.stray_money != StrayMoneyPolicy::Automatic {
        return Ok(());
    }
    let standing = store::standing(conn, id).await?;
    for bucket in amounts::unallocated(conn, id, &standing).await? {
        let Some(network) = state.config.network_by_chain(bucket.chain_id as u64) else {
            continue;
        };
        let Some((contract, decimals)) = network.token(&bucket.token) else {
            continue;
        };
        let token = random_token(32);
        let new = NewRefund {
            merchant_id: merchant.as_str(),
            session_id: id,
            source: RefundSource::Unallocated,
            basis: RefundBasis::Token,
            network_fee: NetworkFeePayer::Customer,
            reason: Some("Money the order did not need"),
            amount: Money::from_minor(bucket.minor, currency.parse()?),
            network: &network.id,
            chain_id: network.chain_id,
            token: &bucket.token,
            token_address: contract.map(|t| t.address.as_str()),
            decimals,
            rate_price: None,
            amount_raw: Some(bucket.raw),
            claim_token: &token,
            claim_expires_at: state.clock.now() + state.config.refund_claim_ttl_seconds as i64,
            offered: true,
        };
        store::insert(state, conn, &new).await?;
    }
    Ok(())
}

/// The refunds offered on a session's cashier page, still to be claimed.
pub async fn of_session(
    state: &AppState,
    conn: &mut Conn,
    id: &SessionId,
) -> anyhow::Result<Vec<RefundOffer>> {
    let rows: Vec<(String, String, String, i64, String)> = sqlx::query_as(
        "SELECT offered_token, token, network, decimals, amount_raw FROM refunds
         WHERE session_id = $1 AND status = 'pending' AND offered_token IS NOT NULL
           AND claim_expires_at > $2
         ORDER BY created_at",
    )
    .bind(id.as_str())
    .bind(state.clock.now())
    .fetch_all(&mut *conn)
    .await?;
    let base = state.public_url.as_str().trim_end_matches('/');
    rows.into_iter()
        .map(|(token, symbol, network, decimals, raw)| {
            Ok(RefundOffer {
                amount: format_units(raw.parse()?, u32::try_from(decimals)?, 0),
                token: symbol,
                network_name: state
                    .config
                    .network(&network)
                    .map_or(network.clone(), |n| n.name.clone()),
                claim_url: format!("{base}/refund/{token}"),
            })
        })
        .collect()
}
