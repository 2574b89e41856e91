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

/// A string with the lengths and form of [`crate::limits`]; `null` too
/// when `nullable` (an optional field).
fn limited(nullable: bool, build: impl FnOnce(ObjectBuilder) -> ObjectBuilder) -> Schema {
    let kind = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::new(Type::String)
    };
    Schema::Object(build(ObjectBuilder::new().schema_type(kind)).build())
}

/// A name: 1 to [`MAX_NAME_CHARS`](crate::limits::MAX_NAME_CHARS)
/// characters, not all spaces (`schema_with` of such fields).
pub fn name() -> Schema {
    limited(false, |b| {
        b.min_length(Some(1))
            .max_length(Some(crate::limits::MAX_NAME_CHARS))
            .pattern(Some("\\S"))
    })
}

/// An optional description of at most
/// [`MAX_TEXT_CHARS`](crate::limits::MAX_TEXT_CHARS) characters.
pub fn optional_text() -> Schema {
    limited(true, |b| b.max_length(Some(crate::limits::MAX_TEXT_CHARS)))
}

fn url_form(b: ObjectBuilder) -> ObjectBuilder {
    b.format(Some(SchemaFormat::Custom("uri".into())))
        .max_length(Some(crate::limits::MAX_URL_CHARS))
        .pattern(Some("^[Hh][Tt][Tt][Pp][Ss]?://[^/?#]"))
}

/// An absolute `http(s)` URL of at most
/// [`MAX_URL_CHARS`](crate::limits::MAX_URL_CHARS) characters.
pub fn url() -> Schema {
    limited(false, url_form)
}

/// [`url`], optional.
pub fn optional_url() -> Schema {
    limited(true, url_form)
}

/// One of `types`, by name.
fn event_types(types: impl IntoIterator<Item = &'static str>) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .enum_values(Some(types))
}

/// The type of a made-up event: one of [`EventType::TRIGGERABLE`](crate::EventType::TRIGGERABLE).
pub fn triggerable() -> Schema {
    Schema::Object(event_types(crate::EventType::TRIGGERABLE.map(crate::EventType::as_str)).build())
}

/// What an endpoint receives: at least one event type, or `"*"` for all.
pub fn enabled_events() -> Schema {
    let names = std::iter::once("*").chain(crate::EventType::ALL.map(crate::EventType::as_str));
    Schema::Array(
        utoipa::openapi::schema::ArrayBuilder::new()
            .items(event_types(names))
            .min_items(Some(1))
            .build(),
    )
}

/// A whole number within `range`; `null` too when `nullable`.
fn integer(range: std::ops::RangeInclusive<u32>, nullable: bool) -> Schema {
    let kind = if nullable {
        SchemaType::from_iter([Type::Integer, Type::Null])
    } else {
        SchemaType::new(Type::Integer)
    };
    Schema::Object(
        ObjectBuilder::new()
            .schema_type(kind)
            .minimum(Some(*range.start()))
            .maximum(Some(*range.end()))
            .build(),
    )
}

/// How many: 1 to [`MAX_QUANTITY`](crate::limits::MAX_QUANTITY).
pub fn quantity() -> Schema {
    integer(1..=crate::limits::MAX_QUANTITY, false)
}

/// A session's lifetime in seconds ([`EXPIRY_SECONDS`](crate::limits::EXPIRY_SECONDS)).
pub fn expiry() -> Schema {
    integer(crate::limits::EXPIRY_SECONDS, true)
}
