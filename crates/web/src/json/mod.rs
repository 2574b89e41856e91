//! JSON read and written by the browser (`JSON.parse`, `JSON.stringify`),
//! and carried between its values and Rust types by a small serde
//! deserializer ([`de`]) and serializer ([`ser`]). The bundles then hold no
//! JSON parser or printer of their own, and, since a failure here is one
//! bare [`Invalid`] that never formats its message, none of serde's message
//! formatting either (float printing alone was 9.5 KB of wasm).

mod de;
mod ser;

use std::fmt;

use js_sys::JSON;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Reads JSON text into `T`; `None` when it is not JSON or not a `T`.
pub fn from_json<T: DeserializeOwned>(text: &str) -> Option<T> {
    let value = JSON::parse(text).ok()?;
    T::deserialize(de::Value(value)).ok()
}

/// Writes `value` as JSON text; `None` for what JSON cannot say the way
/// the API reads it (a fraction, an integer past 2^53, bytes).
pub fn to_json<T: Serialize>(value: &T) -> Option<String> {
    let value = value.serialize(ser::ToJs).ok()?;
    JSON::stringify(&value).ok()?.as_string()
}

/// JSON that is not what was expected, or a value JSON cannot carry (which
/// way is not said: the page only needs to know that it is).
#[derive(Debug)]
pub struct Invalid;

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unexpected JSON")
    }
}

impl std::error::Error for Invalid {}

impl serde::de::Error for Invalid {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Invalid
    }
}

impl serde::ser::Error for Invalid {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Invalid
    }
}

/// The largest integer a JSON number carries exactly (2^53 - 1); larger
/// amounts travel as strings.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
