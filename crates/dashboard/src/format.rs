//! Amounts and times as the reader expects them: times in the browser's
//! own zone and language.

use tender_protocol::Timestamp;
use wasm_bindgen::JsValue;

/// `timestamp` in the browser's zone and locale.
pub fn local_time(timestamp: &Timestamp) -> String {
    let date = js_sys::Date::new(&JsValue::from_str(&timestamp.to_string()));
    String::from(date.to_locale_string("default", &JsValue::UNDEFINED))
}
