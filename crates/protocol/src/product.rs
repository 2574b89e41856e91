//! The merchant's product library.

use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ids::ProductId;
use crate::money::Money;

/// `POST /v1/products`. `id` is optional: a merchant may choose a stable one
/// (`prod_tshirt`) to write into its pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateProduct {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<ProductId>,
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

/// A product in the library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub id: ProductId,
    pub name: String,
    pub description: Option<String>,
    pub image_url: Option<String>,
    pub price: Money,
    pub active: bool,
    pub created_at: Timestamp,
}
