//! The public cashier API (`/v1/pay/...`): what the shopper's browser may see.
//! The session id is the capability; nothing here carries metadata or secrets.

use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

use crate::chain::Address;
use crate::ids::{QuoteId, SessionId};
use crate::money::{ExchangeRate, Money, RawAmount};
use crate::payment::Payment;
use crate::session::{LineItem, SessionStatus};

/// A network and token the shopper can pay with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PaymentOption {
    pub network: String,
    pub network_name: String,
    pub chain_id: u64,
    pub token: String,
    /// The ERC-20 contract; absent for the network's native token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_address: Option<Address>,
    pub decimals: u32,
    pub confirmations_required: u64,
    /// What the amount still due comes to in this token at the current rate,
    /// in whole-token units; indicative (a quote locks it). Absent when no
    /// rate is available right now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    /// The network's native token, for adding the network to a wallet.
    pub native_token: String,
    /// A public JSON-RPC URL, for adding the network to a wallet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpc_url: Option<String>,
}

/// `POST /v1/pay/{id}/quote`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateQuote {
    pub network: String,
    pub token: String,
}

/// An amount in one token on one network, locked until `expiresAt`, and the
/// address to pay it to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    pub id: QuoteId,
    pub network: String,
    pub chain_id: u64,
    pub token: String,
    /// The ERC-20 contract; absent for the network's native token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_address: Option<Address>,
    pub decimals: u32,
    /// Amount in whole-token units, as a decimal string.
    pub amount: String,
    pub amount_raw: RawAmount,
    pub deposit_address: Address,
    pub exchange_rate: ExchangeRate,
    /// When the platform fetched the price the rate comes from; absent for
    /// a price fixed in its configuration, or a token paid one for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_fetched_at: Option<Timestamp>,
    /// EIP-681 payment link, for QR codes and wallets.
    pub payment_uri: String,
    pub expires_at: Timestamp,
}

impl Quote {
    /// The EIP-681 URI of a payment: `ethereum:<to>@<chainId>?value=<wei>`
    /// for the native token, `ethereum:<token>@<chainId>/transfer?address=<to>&uint256=<units>`
    /// for an ERC-20.
    pub fn payment_uri(
        to: &Address,
        chain_id: u64,
        token: Option<&Address>,
        amount: RawAmount,
    ) -> String {
        match token {
            None => format!("ethereum:{to}@{chain_id}?value={amount}"),
            Some(token) => {
                format!("ethereum:{token}@{chain_id}/transfer?address={to}&uint256={amount}")
            }
        }
    }
}

/// The development wallet offered on a dev gateway with local chains only:
/// the chain's unlocked accounts, so a person can pay without an extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DevWallet {
    pub accounts: Vec<Address>,
}

/// `GET /v1/pay/{id}`: the session as the shopper's cashier page sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PublicSession {
    pub id: SessionId,
    pub status: SessionStatus,
    pub merchant_name: String,
    pub line_items: Vec<LineItem>,
    pub amount_due: Money,
    /// Confirmed payments, valued in the session's currency at their quotes' rates.
    pub amount_received: Money,
    pub success_url: String,
    pub cancel_url: Option<String>,
    pub expires_at: Timestamp,
    pub payment_options: Vec<PaymentOption>,
    /// The latest quote, if the shopper has asked for one.
    pub quote: Option<Quote>,
    pub payments: Vec<Payment>,
    /// Present only on a dev gateway whose networks are all local.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev_wallet: Option<DevWallet>,
    /// Money of the shopper's that paid nothing, offered back (the
    /// merchant's stray-money policy is `automatic`): claim each here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refund_offers: Vec<RefundOffer>,
}

/// Money offered back to the shopper on the cashier page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RefundOffer {
    /// In the token, as a decimal string.
    pub amount: String,
    pub token: String,
    pub network_name: String,
    /// The claim page.
    pub claim_url: String,
}
