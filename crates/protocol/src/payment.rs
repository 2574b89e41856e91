//! Payments into a session's deposit address, as the API and webhooks show
//! them: what came, on which network, its fee, its rate, and what of it paid
//! nothing.

use serde::{Deserialize, Serialize};

use crate::timestamp::Timestamp;

use crate::chain::{Address, TxHash};
use crate::money::{ExchangeRate, RawAmount};

/// A transaction fee, in the paying network's native token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GasFee {
    pub amount: String,
    pub amount_raw: RawAmount,
    pub token: String,
}

/// A transfer of a token nobody configured to a session's deposit address:
/// never credited, kept for recovery by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UnknownTokenTransfer {
    pub network: String,
    pub chain_id: u64,
    /// The token's contract.
    pub contract: Address,
    /// In the token's base units (its decimals are not known here).
    pub amount_raw: RawAmount,
    pub tx_hash: TxHash,
}

/// Token units of a payment held for a refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UnallocatedPart {
    /// In the payment's token, as a decimal string.
    pub amount: String,
    pub amount_raw: RawAmount,
}

/// Whether a payment has its network's required confirmations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Seen on chain, short of the network's confirmations.
    Pending,
    /// With its confirmations: it counts.
    Confirmed,
    /// Confirmed once, then taken off the chain by a reorg: it no longer
    /// counts (and counts again if the transaction is mined again).
    Reorged,
}

/// One on-chain transfer into a session's deposit address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    pub tx_hash: TxHash,
    pub network: String,
    pub chain_id: u64,
    pub token: String,
    /// Paid amount in whole-token units, as a decimal string.
    pub amount: String,
    /// Paid amount in the token's smallest unit.
    pub amount_raw: RawAmount,
    pub from: Address,
    pub block_number: u64,
    pub confirmations: u64,
    /// Confirmations its network needs before it counts. This and the
    /// times below are absent from events recorded before they existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmations_required: Option<u64>,
    pub status: PaymentStatus,
    /// When the quote it paid was made (the shopper chose the token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quoted_at: Option<Timestamp>,
    /// When its block was mined, by the block's timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mined_at: Option<Timestamp>,
    /// When the gateway saw it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_at: Option<Timestamp>,
    /// When it got its last confirmation and counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_at: Option<Timestamp>,
    /// Mined after the session's `expiresAt`, by its block's timestamp.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub late: bool,
    /// Not the network or token its quote asked for: valued at the rate
    /// when it confirmed (and held, if the session could no longer use it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub off_quote: bool,
    /// The part of this payment that paid nothing (beyond what the session
    /// needed, or into a session it could not pay), held for a refund.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unallocated: Option<UnallocatedPart>,
    pub gas_fee: GasFee,
    /// The rate the payment is valued at: its quote's, or (for a payment
    /// to a quote whose lock had lapsed) the rate when it confirmed.
    pub exchange_rate: ExchangeRate,
}
