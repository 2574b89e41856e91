//! Amounts and times as the reader expects them: in the browser's own
//! language and zone.

use js_sys::{Array, Date, Intl, Object, Reflect};
use tender_protocol::{Money, Timestamp};
use wasm_bindgen::JsValue;

/// `timestamp` in the browser's zone and locale.
pub fn local_time(timestamp: &Timestamp) -> String {
    let date = Date::new(&JsValue::from_str(&timestamp.to_string()));
    String::from(date.to_locale_string("default", &JsValue::UNDEFINED))
}

/// `money` as the browser's locale writes it: a fiat amount with its
/// currency's sign and separators (`$1,250.00`, `1.250,00 €`), a token
/// amount with its symbol. The exact decimal goes to `Intl`, never a float.
pub fn money(money: &Money) -> String {
    let currency = money.currency();
    if !currency.is_fiat() {
        return money.to_string();
    }
    let options = Object::new();
    let set = |key: &str, value: &str| {
        Reflect::set(&options, &JsValue::from_str(key), &JsValue::from_str(value)).is_ok()
    };
    if !(set("style", "currency") && set("currency", currency.code())) {
        return money.to_string();
    }
    let format = Intl::NumberFormat::new(&Array::new(), &options).format();
    format
        .call1(
            &JsValue::UNDEFINED,
            &JsValue::from_str(&money.amount_string()),
        )
        .ok()
        .and_then(|text| text.as_string())
        .unwrap_or_else(|| money.to_string())
}

/// The moment a date picker's `YYYY-MM-DD` begins in the browser's zone,
/// or (`next_day`) the moment the day after it begins.
pub fn local_day_start(day: &str, next_day: bool) -> Option<Timestamp> {
    let date = Date::new(&JsValue::from_str(&format!("{day}T00:00")));
    if next_day {
        date.set_date(date.get_date() + 1);
    }
    let millis = date.get_time();
    // Integer seconds for the API; a date picker's day is far inside i64.
    (!millis.is_nan()).then(|| Timestamp::from_unix((millis / 1000.0).round() as i64))
}

/// The browser's midnight `days_ago` days before today's.
pub fn local_midnight(days_ago: u32) -> Timestamp {
    let date = Date::new_0();
    date.set_hours(0);
    date.set_minutes(0);
    date.set_seconds(0);
    date.set_milliseconds(0);
    date.set_date(date.get_date() - days_ago);
    Timestamp::from_unix((date.get_time() / 1000.0).round() as i64)
}
