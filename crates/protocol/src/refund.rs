//! Refunds: money given back to a shopper, who claims it by naming an
//! address on a claim page (sending back to the sender is wrong when the
//! sender is an exchange).

use serde::{Deserialize, Serialize};

use crate::chain::{Address, TxHash};
use crate::ids::{RefundId, SessionId};
use crate::money::{Money, RawAmount};
use crate::timestamp::Timestamp;

/// Which money a refund gives back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RefundSource {
    /// What paid a `paid` or `completed` session: the merchant's money,
    /// owed back by the merchant (deducted from its next payouts).
    Payment,
    /// Money that paid nothing (an excess, a short payment of an expired
    /// session, late money): held by the gateway for the shopper.
    Unallocated,
}

/// How the refund's token amount is fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RefundBasis {
    /// The same share of the coins paid: 10.00 of a 25.00 USD payment
    /// returns 40% of the tokens it brought.
    #[default]
    Token,
    /// The amount converted at the rate the payment was valued at.
    SessionRate,
    /// The amount converted at the rate when the shopper claims it.
    CurrentRate,
}

/// Who pays the refund transaction's network fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NetworkFeePayer {
    /// The shopper receives the whole amount; the fee is the merchant's.
    #[default]
    Merchant,
    /// The fee, at the claim's prices, comes off the amount sent.
    Customer,
}

/// `POST /v1/checkout/sessions/{id}/refunds`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRefund {
    /// How much, in the session's currency; everything refundable from the
    /// source when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
    /// `payment` for a paid or completed session, else `unallocated`, when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<RefundSource>,
    #[serde(default)]
    pub basis: RefundBasis,
    #[serde(default)]
    pub network_fee: NetworkFeePayer,
    /// Pay it on the merchant's settlement network and token instead of
    /// where the money came in.
    #[serde(default)]
    pub on_settlement_network: bool,
    /// Shown to the shopper on the claim page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Where a refund stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// Waiting for the shopper to claim it.
    Pending,
    /// The shopper named an address; the payout is on its way.
    Claimed,
    /// Paid out: `txHash` has its confirmations.
    Completed,
    /// The payout could not be made; the money is still held.
    Failed,
    /// Canceled by the merchant before it was claimed.
    Canceled,
}

impl RefundStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Claimed => "claimed",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Claimed,
            Self::Completed,
            Self::Failed,
            Self::Canceled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// A refund, as the merchant sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    pub id: RefundId,
    pub session_id: SessionId,
    pub status: RefundStatus,
    pub source: RefundSource,
    pub basis: RefundBasis,
    pub network_fee: NetworkFeePayer,
    /// Its value in the session's currency.
    pub amount: Money,
    pub network: String,
    pub chain_id: u64,
    pub token: String,
    pub decimals: u32,
    /// The token amount, once fixed (at creation, or when claimed for
    /// `current_rate`), as a decimal string and in base units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_amount_raw: Option<RawAmount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The page the shopper claims it on: in the answer that creates it
    /// only (the link is the capability; Tender keeps only its hash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_url: Option<String>,
    pub claim_expires_at: Timestamp,
    /// Where the shopper asked for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_hash: Option<TxHash>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    pub created_at: Timestamp,
}

/// Filters of `GET /v1/refunds`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefundListParams {
    /// Only refunds of this session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RefundStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 100))]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starting_after: Option<String>,
}

/// `GET /v1/claims/{token}`: a refund as the shopper's claim page sees it
/// (the link is the capability; nothing of the merchant's but its name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Claim {
    pub merchant_name: String,
    pub status: RefundStatus,
    /// The link can no longer be used (it expired before being claimed).
    pub expired: bool,
    pub amount: Money,
    pub network: String,
    pub network_name: String,
    pub chain_id: u64,
    pub token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub expires_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_hash: Option<TxHash>,
    /// A public JSON-RPC URL of the network, for a wallet to add it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpc_url: Option<String>,
}

/// `POST /v1/claims/{token}`: where to send the refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClaimRefund {
    /// An EVM address; mixed case must be a valid EIP-55 checksum.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::chain::Address))]
    pub address: String,
    /// The address is a contract and the shopper means it: without this, a
    /// contract address is answered 409 (a wallet contract on another
    /// network may not hold the same address).
    #[serde(default)]
    pub confirm_contract: bool,
}
