//! API keys and idempotency keys: how a merchant's requests identify
//! themselves and make retries safe.

use std::fmt;

use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ids::ApiKeyId;
use crate::scope::Scope;

/// A secret API key. `secret` is present only in the answer that created it;
/// afterwards only its last characters are shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "key_8Jk2..."))]
    pub id: ApiKeyId,
    /// `sk_test_...`, shown once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The key with all but its last four characters hidden.
    pub redacted: String,
    /// What it may do; `["*"]` for a standard key.
    pub scopes: Vec<Scope>,
    /// The key that created it; revoking that one revokes this one too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub created_by: Option<ApiKeyId>,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<Timestamp>,
}

/// What happens to money that pays nothing (an excess, a short payment of
/// an expired session, late money).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StrayMoneyPolicy {
    /// The merchant decides, through the refunds API.
    #[default]
    Manual,
    /// The shopper is offered the claim on the session's cashier page.
    Automatic,
}

/// `GET|PUT /v1/account/settings`: a merchant's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountSettings {
    /// How short a payment may fall and still pay a session, unless the
    /// session says otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub underpayment_tolerance: Option<crate::session::Tolerance>,
    #[serde(default)]
    pub stray_money: StrayMoneyPolicy,
}

/// Why an `Idempotency-Key` header was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Idempotency-Key must be 1 to 255 visible ASCII characters")]
pub struct InvalidIdempotencyKey;

/// The value of an `Idempotency-Key` header: 1 to 255 visible ASCII characters.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const HEADER: &'static str = "idempotency-key";
    /// What [`parse`](Self::parse) takes, as a regular expression (the
    /// OpenAPI schema's `pattern`).
    pub const PATTERN: &'static str = "^[!-~]{1,255}$";

    pub fn parse(text: &str) -> Result<Self, InvalidIdempotencyKey> {
        let ok =
            !text.is_empty() && text.len() <= 255 && text.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(InvalidIdempotencyKey)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A fresh key, as the SDK makes one for each logical call: the time in
    /// milliseconds, then 20 random characters (about 119 bits), as
    /// [`time_ordered_token`](crate::ids::time_ordered_token) makes them.
    /// The gateway keeps keys in an index by merchant and key; keys made
    /// in time order go in at its end, where random ones write a page of
    /// it each (a fifth of what a busy SQLite gateway logged).
    #[cfg(feature = "generate")]
    pub fn generate() -> Self {
        Self(crate::ids::time_ordered_token())
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_are_visible_ascii_up_to_255() {
        assert!(IdempotencyKey::parse("order-42/retry_1").is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("has space").is_err());
        assert!(IdempotencyKey::parse("ünicode").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
    }

    #[cfg(feature = "generate")]
    #[test]
    fn generated_keys_are_valid_distinct_and_in_time_order() {
        let first = IdempotencyKey::generate();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = IdempotencyKey::generate();
        assert!(IdempotencyKey::parse(first.as_str()).is_ok());
        assert_ne!(first, second);
        assert!(
            first.as_str() < second.as_str(),
            "{first:?} then {second:?}"
        );
    }
}
