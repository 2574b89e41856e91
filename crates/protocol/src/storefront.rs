//! The merchant companion server's small API, spoken by the Pay widget.

use serde::{Deserialize, Serialize};

use crate::chain::TxHash;
use crate::ids::{OrderId, ProductId};

/// `POST /api/checkout` (JSON or form): one product and its quantity, or
/// (JSON) a cart of `items`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<ProductId>,
    #[serde(default = "crate::limits::one")]
    pub quantity: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<CartLine>,
}

impl CheckoutRequest {
    /// What the shopper asks for, as cart lines; `None` when it names
    /// neither a product nor items, or both.
    pub fn lines(&self) -> Option<Vec<CartLine>> {
        match (&self.product_id, self.items.is_empty()) {
            (Some(product_id), true) => Some(vec![CartLine {
                product_id: product_id.clone(),
                quantity: self.quantity,
            }]),
            (None, false) => Some(self.items.clone()),
            _ => None,
        }
    }
}

/// A product of the shop's and how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CartLine {
    pub product_id: ProductId,
    #[serde(default = "crate::limits::one")]
    pub quantity: u32,
}

/// The answer to a checkout: where to send the shopper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutResponse {
    pub order_id: OrderId,
    pub payment_url: String,
}

/// An order's state as the success page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    AwaitingPayment,
    Processing,
    Paid,
    Fulfilled,
    Expired,
    /// Paid, then part of it given back.
    PartiallyRefunded,
    /// Paid, then all of it given back.
    Refunded,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 7] = [
        Self::AwaitingPayment,
        Self::Processing,
        Self::Paid,
        Self::Fulfilled,
        Self::Expired,
        Self::PartiallyRefunded,
        Self::Refunded,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingPayment => "awaiting_payment",
            Self::Processing => "processing",
            Self::Paid => "paid",
            Self::Fulfilled => "fulfilled",
            Self::Expired => "expired",
            Self::PartiallyRefunded => "partially_refunded",
            Self::Refunded => "refunded",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the payment is confirmed by a verified webhook (or the
    /// gateway, server to server).
    pub const fn is_paid(self) -> bool {
        matches!(
            self,
            Self::Paid | Self::Fulfilled | Self::PartiallyRefunded | Self::Refunded
        )
    }

    /// Whether the status can no longer change in a way a shopper waits for.
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            Self::Paid | Self::Fulfilled | Self::Expired | Self::PartiallyRefunded | Self::Refunded
        )
    }
}

/// `GET /api/orders/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub order_id: OrderId,
    pub status: OrderStatus,
    /// The first (or only) product and its quantity.
    pub product_id: ProductId,
    pub quantity: u32,
    /// Every product ordered and how many.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<CartLine>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_hash: Option<TxHash>,
}
