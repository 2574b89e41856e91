//! The OpenAPI forms of the limits in [`crate::limits`] (names, texts,
//! URLs, quantities, a session's lifetime), for the fields that take them
//! (`#[schema(schema_with = crate::forms::url)]`). Only with the `openapi`
//! feature.

use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, SchemaType, Type};

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

/// A webhook endpoint's URL: [`url`], shown with a development server's
/// (`tender listen` forwards to one; a gateway takes a private address
/// only with `allow_private_targets`).
pub fn webhook_url() -> Schema {
    limited(false, |b| {
        url_form(b).examples(["http://localhost:4242/webhooks"])
    })
}

/// [`url`], optional.
pub fn optional_url() -> Schema {
    limited(true, url_form)
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

/// A visitor's most of a link's product, when given.
pub fn optional_quantity() -> Schema {
    integer(1..=crate::limits::MAX_QUANTITY, true)
}

/// A tolerance's basis points, at most
/// [`MAX_TOLERANCE_BPS`](crate::limits::MAX_TOLERANCE_BPS).
pub fn tolerance_bps() -> Schema {
    integer(0..=crate::limits::MAX_TOLERANCE_BPS, true)
}

/// One of the pages' [`LANGUAGES`](crate::locale::LANGUAGES), when given.
pub fn optional_locale() -> Schema {
    let mut choices: Vec<serde_json::Value> = crate::locale::LANGUAGES
        .iter()
        .map(|l| serde_json::Value::from(*l))
        .collect();
    choices.push(serde_json::Value::Null);
    Schema::Object(
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
            .enum_values(Some(choices))
            .build(),
    )
}

/// A session's lifetime in seconds ([`EXPIRY_SECONDS`](crate::limits::EXPIRY_SECONDS)).
pub fn expiry() -> Schema {
    integer(crate::limits::EXPIRY_SECONDS, true)
}
