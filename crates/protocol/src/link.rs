//! Payment links: a stable public URL on the gateway that makes a fresh
//! Checkout Session for each visitor and sends them to the cashier.

use serde::{Deserialize, Serialize};

use crate::ids::PaymentLinkId;
use crate::money::Money;
use crate::session::{CartItem, LineItem, Metadata};
use crate::timestamp::Timestamp;

/// `POST /v1/payment-links`: what each visitor buys (one product, or
/// `lineItems`), and where they go once paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreatePaymentLink {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<crate::ids::ProductId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_data: Option<crate::session::ProductData>,
    #[serde(default = "crate::limits::one")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::forms::quantity))]
    pub quantity: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub line_items: Vec<CartItem>,
    /// Whether the visitor may choose the quantity (`?quantity=` on the
    /// link; one product only), from 1 to `maxQuantity`.
    #[serde(default)]
    pub adjustable_quantity: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::forms::optional_quantity))]
    pub max_quantity: Option<u32>,
    /// Copied onto every session the link makes.
    #[serde(default)]
    pub metadata: Metadata,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::forms::url))]
    pub success_url: String,
}

/// A payment link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PaymentLink {
    pub id: PaymentLinkId,
    /// The public URL to share: each visit makes a session.
    pub url: String,
    pub active: bool,
    /// What a visit buys, as priced when the link was made.
    pub line_items: Vec<LineItem>,
    pub amount: Money,
    pub adjustable_quantity: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_quantity: Option<u32>,
    pub metadata: Metadata,
    pub success_url: String,
    pub created_at: Timestamp,
}
