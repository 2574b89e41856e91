//! Checkout Sessions: what a merchant creates, and what the gateway answers.

use std::collections::BTreeMap;

use crate::chain::{Address, TxHash};
use crate::ids::{ProductId, SessionId};
use crate::money::{Money, RawAmount};
use crate::payment::{Payment, UnknownTokenTransfer};
use crate::timestamp::Timestamp;
use serde::{Deserialize, Deserializer, Serialize};

/// Where a session is in its life. See DESIGN.md "Sessions".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Waiting for a payment.
    Open,
    /// A payment is seen and waiting for its confirmations.
    Processing,
    /// Confirmed payments fall short; still payable until expiry.
    Underpaid,
    /// Confirmed payments cover the amount due.
    Paid,
    /// Funds are settled to the merchant.
    Completed,
    /// Not paid in time.
    Expired,
}

impl SessionStatus {
    pub const ALL: [SessionStatus; 6] = [
        Self::Open,
        Self::Processing,
        Self::Underpaid,
        Self::Paid,
        Self::Completed,
        Self::Expired,
    ];

    /// The snake_case name used on the wire and in storage.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Processing => "processing",
            Self::Underpaid => "underpaid",
            Self::Paid => "paid",
            Self::Completed => "completed",
            Self::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the shopper can still pay into this session.
    pub const fn is_payable(self) -> bool {
        matches!(self, Self::Open | Self::Processing | Self::Underpaid)
    }
}

/// Why metadata was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    #[error("metadata has more than {} keys", Metadata::MAX_KEYS)]
    TooManyKeys,
    #[error("metadata keys must be 1 to {} characters", Metadata::MAX_KEY_CHARS)]
    KeyLength,
    #[error(
        "metadata values must be at most {} characters",
        Metadata::MAX_VALUE_CHARS
    )]
    ValueTooLong,
}

/// The merchant's own key/value pairs, returned to the merchant and in webhooks,
/// never shown to the shopper. At most 50 string keys of at most 40 characters,
/// values at most 500 characters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Metadata(BTreeMap<String, String>);

impl Metadata {
    pub const MAX_KEYS: usize = 50;
    pub const MAX_KEY_CHARS: usize = 40;
    pub const MAX_VALUE_CHARS: usize = 500;

    pub fn new(map: BTreeMap<String, String>) -> Result<Self, MetadataError> {
        if map.len() > Self::MAX_KEYS {
            return Err(MetadataError::TooManyKeys);
        }
        for (key, value) in &map {
            let key_chars = key.chars().count();
            if key_chars == 0 || key_chars > Self::MAX_KEY_CHARS {
                return Err(MetadataError::KeyLength);
            }
            if value.chars().count() > Self::MAX_VALUE_CHARS {
                return Err(MetadataError::ValueTooLong);
            }
        }
        Ok(Self(map))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Metadata {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, String>::deserialize(d)?;
        Metadata::new(map).map_err(serde::de::Error::custom)
    }
}

/// An ad-hoc product described inline in a session, instead of a `productId`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProductData {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::forms::name))]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::forms::optional_text))]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::forms::optional_url))]
    pub image_url: Option<String>,
    pub price: Money,
}

/// The most items one session's cart may hold.
pub const MAX_LINE_ITEMS: usize = 20;

/// One item of a cart: a product of the library (`productId`) or one
/// described here (`productData`), and how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CartItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<ProductId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_data: Option<ProductData>,
    #[serde(default = "crate::limits::one")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::forms::quantity))]
    pub quantity: u32,
}

/// `POST /v1/checkout/sessions`: one product (`productId` or `productData`,
/// with `quantity`), or a cart (`lineItems`, each with its own quantity).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateSession {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<ProductId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_data: Option<ProductData>,
    #[serde(default = "crate::limits::one")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::forms::quantity))]
    pub quantity: u32,
    /// The cart, up to 20 items all priced in one currency; instead of
    /// `productId` or `productData`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub line_items: Vec<CartItem>,
    #[serde(default)]
    pub metadata: Metadata,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::forms::url))]
    pub success_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::forms::optional_url))]
    pub cancel_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::forms::expiry))]
    pub expires_in_seconds: Option<u32>,
    /// How short a payment may fall and still pay the session; the
    /// merchant's default (`PUT /v1/account/settings`) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub underpayment_tolerance: Option<Tolerance>,
    /// The language the cashier speaks to the shopper (`en`, `es`, `de`,
    /// `fr`, `pt-BR`, `ja` or `ar`); the shopper's browser chooses when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::forms::optional_locale))]
    pub locale: Option<String>,
}

/// How short a payment may fall and still pay: a share of the amount due
/// (basis points), a fixed amount, or the smaller of both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tolerance {
    /// Basis points of the amount due (100 = 1%), at most 1000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::forms::tolerance_bps))]
    pub bps: Option<u32>,
    /// A fixed amount, in the session's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
}

impl Tolerance {
    /// The most a payment of `due` may fall short, in its minor units.
    pub fn of(&self, due: Money) -> u128 {
        let share = self.bps.map(|bps| due.minor() * u128::from(bps) / 10_000);
        let fixed = self
            .amount
            .filter(|a| a.currency() == due.currency())
            .map(Money::minor);
        match (share, fixed) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => 0,
        }
    }
}

/// One line of what the shopper buys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LineItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<ProductId>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    pub quantity: u32,
    pub unit_price: Money,
    pub amount: Money,
}

/// Where a merchant's proceeds go: `PUT /v1/settlement-destination`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettlementDestination {
    /// A network id from the gateway's configuration.
    pub network: String,
    /// The token to be paid in on that network.
    pub token: String,
    pub address: Address,
}

/// A network proceeds can go to, and the tokens it carries
/// (`GET /v1/settlement-destination/options`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SettlementOption {
    /// The network's id, for `SettlementDestination.network`.
    pub network: String,
    pub name: String,
    pub chain_id: u64,
    /// Token symbols, the native one first.
    pub tokens: Vec<String>,
}

/// The transfer of the proceeds to the merchant, once completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Settlement {
    /// The payout transaction; absent when refunds the merchant owed took
    /// the whole payout and nothing was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_hash: Option<TxHash>,
    pub network: String,
    pub token: String,
    /// Paid to the merchant, in whole-token units.
    pub amount: String,
    pub amount_raw: RawAmount,
    pub address: Address,
    /// The gateway's fee, in the session's currency.
    pub fee: Money,
}

/// A Checkout Session as the merchant sees it (API answers and webhooks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub id: SessionId,
    pub status: SessionStatus,
    /// The hosted cashier page to send the shopper to.
    pub payment_url: String,
    pub line_items: Vec<LineItem>,
    pub amount_due: Money,
    /// Confirmed payments, each valued in the session's currency when it
    /// confirmed: at its quote's rate if its block is within the quote's
    /// lock, else at the rate of that moment.
    pub amount_received: Money,
    /// What was paid beyond the amount due, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_excess: Option<Money>,
    /// Paid within the underpayment tolerance: short by this much.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_short: Option<Money>,
    /// Money that paid nothing and is held for a refund: an excess, dust or
    /// a short payment of a session that expired, money after completion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_unallocated: Option<Money>,
    /// The session expired before every network had been scanned past its
    /// `expiresAt` (a node was down longer than the gateway waits): a
    /// payment made in time may still be found, and then pays it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub expired_while_chains_behind: bool,
    pub metadata: Metadata,
    pub success_url: String,
    pub cancel_url: Option<String>,
    pub expires_at: Timestamp,
    pub created_at: Timestamp,
    pub payments: Vec<Payment>,
    /// Tokens nobody configured that reached the session's deposit
    /// address: not credited, reported for recovery by hand.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_tokens: Vec<UnknownTokenTransfer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settlement: Option<Settlement>,
    /// The payment link this session was made for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_link: Option<crate::ids::PaymentLinkId>,
    /// The language the cashier speaks, when the merchant chose one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

/// Filters of `GET /v1/checkout/sessions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionListParams {
    /// Only sessions in this status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<SessionStatus>,
    /// Only sessions a payment in this transaction (`0x` and 64 hex digits)
    /// went to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_hash: Option<String>,
    /// Only sessions with a metadata value equal to this one (an order id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_value: Option<String>,
    /// Only sessions created at or after this moment (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_gte: Option<Timestamp>,
    /// Only sessions created before this moment (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_lt: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 100))]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starting_after: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_limits_are_enforced_when_parsing() {
        let ok = serde_json::json!({"order_id": "ord_1"});
        assert!(serde_json::from_value::<Metadata>(ok).is_ok());
        let long_key = serde_json::json!({ "k".repeat(41): "v" });
        assert!(serde_json::from_value::<Metadata>(long_key).is_err());
        let long_value = serde_json::json!({ "k": "v".repeat(501) });
        assert!(serde_json::from_value::<Metadata>(long_value).is_err());
        let many: BTreeMap<String, String> =
            (0..51).map(|i| (format!("k{i}"), "v".into())).collect();
        assert_eq!(Metadata::new(many), Err(MetadataError::TooManyKeys));
        let not_string = serde_json::json!({ "k": 1 });
        assert!(serde_json::from_value::<Metadata>(not_string).is_err());
    }

    #[test]
    fn create_session_rejects_unknown_fields() {
        let body = serde_json::json!({"successUrl": "https://x.test/ok", "surprise": 1});
        assert!(serde_json::from_value::<CreateSession>(body).is_err());
    }

    #[test]
    fn status_names_round_trip() {
        for s in SessionStatus::ALL {
            assert_eq!(SessionStatus::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
    }
}
