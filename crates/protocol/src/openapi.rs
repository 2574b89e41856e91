//! OpenAPI schemas of the wire types whose JSON form is custom (decimal
//! strings, prefixed ids, hex values). Only with the `openapi` feature.

use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{RefOr, schema::KnownFormat, schema::SchemaFormat};
use utoipa::{PartialSchema, ToSchema};

use crate::chain::{Address, TxHash};
use crate::ids::*;
use crate::money::{Currency, Money, RawAmount};
use crate::session::Metadata;

fn string(description: &str, pattern: Option<&str>, example: Option<&str>) -> RefOr<Schema> {
    let mut builder = ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .description(Some(description));
    if let Some(pattern) = pattern {
        builder = builder.pattern(Some(pattern));
    }
    if let Some(example) = example {
        builder = builder.examples([serde_json::Value::from(example)]);
    }
    RefOr::T(Schema::Object(builder.build()))
}

macro_rules! string_schema {
    ($ty:ty, $description:expr, $pattern:expr, $example:expr) => {
        impl PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                string($description, $pattern, $example)
            }
        }
        impl ToSchema for $ty {}
    };
}

macro_rules! id_schema {
    ($ty:ty, $what:expr, $pattern:expr, $example:expr) => {
        string_schema!(
            $ty,
            concat!("Id of a ", $what),
            Some($pattern),
            Some($example)
        );
    };
}

id_schema!(
    SessionId,
    "Checkout Session",
    "^cs_[A-Za-z0-9_]{1,64}$",
    "cs_a1B2c3D4e5F6g7H8i9J0k1L2"
);
id_schema!(
    ProductId,
    "product",
    "^prod_[A-Za-z0-9_]{1,64}$",
    "prod_tshirt"
);
id_schema!(
    EventId,
    "event",
    "^evt_[A-Za-z0-9_]{1,64}$",
    "evt_a1B2c3D4e5F6g7H8i9J0k1L2"
);
id_schema!(
    MerchantId,
    "merchant",
    "^acct_[A-Za-z0-9_]{1,64}$",
    "acct_a1B2c3D4e5F6g7H8i9J0k1L2"
);
id_schema!(
    WebhookEndpointId,
    "webhook endpoint",
    "^we_[A-Za-z0-9_]{1,64}$",
    "we_a1B2c3D4e5F6g7H8i9J0k1L2"
);
id_schema!(
    QuoteId,
    "quote",
    "^qt_[A-Za-z0-9_]{1,64}$",
    "qt_a1B2c3D4e5F6g7H8i9J0k1L2"
);
id_schema!(
    OrderId,
    "order",
    "^ord_[A-Za-z0-9_]{1,64}$",
    "ord_a1B2c3D4e5F6g7H8i9J0k1L2"
);
id_schema!(
    PaymentLinkId,
    "payment link",
    "^plink_[A-Za-z0-9_]{1,64}$",
    "plink_a1B2c3D4e5F6g7H8i9J0k1L2"
);
id_schema!(
    RefundId,
    "refund",
    "^re_[A-Za-z0-9_]{1,64}$",
    "re_a1B2c3D4e5F6g7H8i9J0k1L2"
);
id_schema!(
    ApiKeyId,
    "API key",
    "^key_[A-Za-z0-9_]{1,64}$",
    "key_a1B2c3D4e5F6g7H8"
);
string_schema!(
    Address,
    "EVM address, 0x and 40 hex digits",
    Some("^0x[0-9a-fA-F]{40}$"),
    Some("0x8c8d35429f74ec245f8ef2f4fd1e551cff97d650")
);
string_schema!(
    TxHash,
    "Transaction hash, 0x and 64 hex digits",
    Some("^0x[0-9a-fA-F]{64}$"),
    None
);
string_schema!(
    RawAmount,
    "Integer amount in a token's smallest unit, as a decimal string",
    Some("^[0-9]+$"),
    Some("12500000000000000")
);
string_schema!(
    Currency,
    "USD, EUR, or a token symbol (a price in that token)",
    Some("^[A-Z0-9]{1,11}$"),
    Some("USD")
);

impl PartialSchema for Money {
    fn schema() -> RefOr<Schema> {
        RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(SchemaType::new(Type::Object))
                .description(Some(
                    "An exact amount: a decimal string and its currency; never a float",
                ))
                .property(
                    "amount",
                    string(
                        "Decimal string",
                        Some("^[0-9]+(\\.[0-9]+)?$"),
                        Some("25.00"),
                    ),
                )
                .required("amount")
                .property("currency", Currency::schema())
                .required("currency")
                .additional_properties(Some(AdditionalProperties::FreeForm(false)))
                .build(),
        ))
    }
}
impl ToSchema for Money {}

impl PartialSchema for Metadata {
    fn schema() -> RefOr<Schema> {
        RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(SchemaType::new(Type::Object))
                .description(Some(
                    "The merchant's own strings: at most 50 keys of 1 to 40 characters, values of at most 500",
                ))
                .max_properties(Some(Metadata::MAX_KEYS))
                .additional_properties(Some(AdditionalProperties::RefOr(RefOr::T(Schema::Object(
                    ObjectBuilder::new()
                        .schema_type(SchemaType::new(Type::String))
                        .max_length(Some(Metadata::MAX_VALUE_CHARS))
                        .build(),
                )))))
                .build(),
        ))
    }
}
impl ToSchema for Metadata {}

impl PartialSchema for crate::timestamp::Timestamp {
    fn schema() -> RefOr<Schema> {
        RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(SchemaType::new(Type::String))
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
                .description(Some("RFC 3339, UTC"))
                .build(),
        ))
    }
}
impl ToSchema for crate::timestamp::Timestamp {}
