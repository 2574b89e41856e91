//! Numbers, money and times as the shopper's locale writes them, by the
//! browser's `Intl` ("$25.00", "25,00 €", "￥3,000", "١٢:٣٠"). Amounts go to
//! `Intl.NumberFormat` as decimal strings, which it formats exactly: no
//! amount is ever a float. Anything `Intl` refuses (a locale tag it does
//! not know, say) is written plainly instead.

use std::cell::RefCell;

use js_sys::{Object, Reflect};
use tender_protocol::{Currency, Money};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `Intl.NumberFormat`, with its constructor's errors caught and
    /// `format` taking a decimal string.
    #[wasm_bindgen(js_namespace = Intl)]
    type NumberFormat;

    #[wasm_bindgen(constructor, js_namespace = Intl, catch)]
    fn new(locale: &str, options: &Object) -> Result<NumberFormat, JsValue>;

    #[wasm_bindgen(method)]
    fn format(this: &NumberFormat, value: &str) -> String;

    /// Throws for a tag that is not a well-formed BCP 47 locale.
    #[wasm_bindgen(js_namespace = Intl, js_name = getCanonicalLocales, catch)]
    fn canonical_locales(tag: &str) -> Result<JsValue, JsValue>;
}

thread_local! {
    /// The locale numbers are written in (a BCP 47 tag).
    static LOCALE: RefCell<String> = RefCell::new("en".to_owned());
}

/// Writes numbers for a locale from now on: the first well-formed tag of
/// the asked languages (`asked`, see [`crate::i18n::asked`]) in the page's
/// `language` ("en-GB" for English, so a British shopper sees British
/// times), else the language itself.
pub fn set_locale(language: &str, asked: &[String]) {
    let primary = |tag: &str| tag.split('-').next().unwrap_or("").to_ascii_lowercase();
    let locale = asked
        .iter()
        .find(|tag| primary(tag) == primary(language) && canonical_locales(tag).is_ok())
        .map_or(language, String::as_str);
    LOCALE.with(|l| *l.borrow_mut() = locale.to_owned());
}

/// The locale numbers are written in.
pub fn locale() -> String {
    LOCALE.with(|l| l.borrow().clone())
}

/// `value` (a decimal string) through a `NumberFormat` with `options`;
/// `None` if `Intl` refuses them.
fn formatted(value: &str, options: &[(&str, JsValue)]) -> Option<String> {
    let object = Object::new();
    for (name, option) in options {
        Reflect::set(&object, &JsValue::from_str(name), option).ok()?;
    }
    let format = NumberFormat::new(&locale(), &object).ok()?;
    Some(format.format(value))
}

/// Digits after the decimal point of `amount` ("0.0125" has 4).
fn fraction_digits(amount: &str) -> u32 {
    amount
        .split_once('.')
        .map_or(0, |(_, fraction)| fraction.len() as u32)
}

/// An amount with its currency: a fiat one with all of its minor units
/// ("$25.00", "25,00 €", "￥3,000", "KWD 1.500"), a token-priced one as a
/// token amount.
pub fn money(amount: Money) -> String {
    let currency = amount.currency();
    if currency.is_fiat() {
        price(&amount.amount_string(), currency)
    } else {
        token(&amount.amount_string(), currency.code())
    }
}

/// A price (a decimal string) in a fiat currency, with at least its minor
/// units and every digit it has (a rate: "$2,000.125").
pub fn price(amount: &str, currency: Currency) -> String {
    if !currency.is_fiat() {
        return token(amount, currency.code());
    }
    let decimals = currency.decimals();
    formatted(
        amount,
        &[
            ("style", "currency".into()),
            ("currency", currency.code().into()),
            ("minimumFractionDigits", decimals.into()),
            (
                "maximumFractionDigits",
                fraction_digits(amount).max(decimals).into(),
            ),
        ],
    )
    .unwrap_or_else(|| format!("{amount} {currency}"))
}

/// A decimal string with every digit it has, grouped for the locale
/// ("1,234.5", "0,0125").
pub fn decimal(amount: &str) -> String {
    let digits = JsValue::from(fraction_digits(amount));
    formatted(
        amount,
        &[
            ("minimumFractionDigits", digits.clone()),
            ("maximumFractionDigits", digits),
        ],
    )
    .unwrap_or_else(|| amount.to_owned())
}

/// A token amount (a decimal string) with every digit it has, then its
/// symbol ("1,234.5 TUSD", "0,0125 ETH").
pub fn token(amount: &str, symbol: &str) -> String {
    format!("{} {symbol}", decimal(amount))
}

/// A whole number ("12", "١٢").
pub fn number(value: u64) -> String {
    let text = value.to_string();
    formatted(&text, &[]).unwrap_or(text)
}

/// A countdown of `seconds` as minutes and seconds ("4:05").
pub fn clock(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let two = formatted(
        &(seconds % 60).to_string(),
        &[("minimumIntegerDigits", 2.into())],
    )
    .unwrap_or_else(|| format!("{:02}", seconds % 60));
    format!("{}:{two}", number((seconds / 60) as u64))
}

/// A Unix time as the shopper's clock and locale show it ("10:42:05",
/// "午前10:42:05").
pub fn time(unix: i64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(unix as f64 * 1000.0));
    String::from(date.to_locale_time_string(&locale()))
}
