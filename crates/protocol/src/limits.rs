//! The lengths and forms the API takes for its free text and URLs: the
//! gateway checks them, and the OpenAPI schema states them from here
//! (`crate::openapi::{name, optional_text, url, optional_url}`).

/// A name (a product's, say): 1 to this many characters, not all spaces.
pub const MAX_NAME_CHARS: usize = 250;
/// A description.
pub const MAX_TEXT_CHARS: usize = 2000;
/// A URL: absolute, `http` or `https`, at most this many characters.
pub const MAX_URL_CHARS: usize = 2048;
/// How many of one thing a session or a cart line may sell, from 1.
pub const MAX_QUANTITY: u32 = 1000;
/// A quantity left out: one.
pub(crate) fn one() -> u32 {
    1
}

/// The most an underpayment tolerance may be, in basis points (10%).
pub const MAX_TOLERANCE_BPS: u32 = 1000;

/// A session's `expiresInSeconds`: 5 minutes to a day.
pub const EXPIRY_SECONDS: std::ops::RangeInclusive<u32> = 300..=86_400;
