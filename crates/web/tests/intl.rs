//! Amounts and times in the shopper's locale, by headless Chromium's `Intl`:
//! exact decimal strings in, each currency's own minor units out.

use tender_protocol::{Currency, Money};
use tender_web::intl::{clock, locale, money, number, price, set_locale, token};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn amount(text: &str, currency: Currency) -> Money {
    Money::parse(text, currency).unwrap()
}

/// Writes `f`'s results for `language` (tests run one after another on
/// one thread, so each sets its own locale first).
fn in_locale<T>(language: &str, f: impl FnOnce() -> T) -> T {
    set_locale(language, &[]);
    f()
}

#[wasm_bindgen_test]
fn money_is_written_with_the_currency_and_its_own_minor_units() {
    in_locale("en", || {
        assert_eq!(money(amount("25.00", Currency::Usd)), "$25.00");
        assert_eq!(money(amount("1234567.5", Currency::Usd)), "$1,234,567.50");
        assert_eq!(money(amount("3000", Currency::Jpy)), "¥3,000");
        assert_eq!(money(amount("1.5", Currency::Kwd)), "KWD\u{a0}1.500");
    });
    // No amount goes through a float: digits beyond a double's 15-17 stay.
    in_locale("en", || {
        assert_eq!(
            money(amount("123456789012345678.99", Currency::Usd)),
            "$123,456,789,012,345,678.99"
        );
    });
    in_locale("de", || {
        assert_eq!(money(amount("25.00", Currency::Eur)), "25,00\u{a0}€");
    });
    in_locale("ja", || {
        assert_eq!(money(amount("3000", Currency::Jpy)), "￥3,000");
    });
    in_locale("en", || {
        // A rate may have more digits than the currency's minor unit.
        assert_eq!(price("2000.125", Currency::Usd), "$2,000.125");
        assert_eq!(price("2000", Currency::Usd), "$2,000.00");
        // A price set in a token is a token amount.
        let in_token = Money::parse("1.5", "TUSD".parse().unwrap()).unwrap();
        assert_eq!(money(in_token), "1.5 TUSD");
    });
    in_locale("fr", || {
        assert_eq!(
            money(amount("1234.5", Currency::Chf)),
            "1\u{202f}234,50\u{a0}CHF"
        );
    });
}

#[wasm_bindgen_test]
fn a_token_amount_keeps_every_digit() {
    in_locale("en", || {
        assert_eq!(token("0.0125", "ETH"), "0.0125 ETH");
        assert_eq!(token("1234.5", "TUSD"), "1,234.5 TUSD");
        assert_eq!(
            token("0.000000000000000001", "ETH"),
            "0.000000000000000001 ETH"
        );
        assert_eq!(token("20", "TUSD"), "20 TUSD");
    });
    in_locale("pt-BR", || {
        assert_eq!(token("1234.5", "TUSD"), "1.234,5 TUSD");
    });
}

#[wasm_bindgen_test]
fn numbers_and_countdowns_use_the_locales_digits() {
    in_locale("en", || {
        assert_eq!(clock(305), "5:05");
        assert_eq!(clock(-3), "0:00");
        assert_eq!(number(12), "12");
    });
    // Whatever digits the browser's Arabic uses, the countdown uses them.
    let arabic_five = in_locale("ar", || number(5));
    let arabic = in_locale("ar", || clock(305));
    assert!(arabic.starts_with(&arabic_five), "{arabic}");
}

#[wasm_bindgen_test]
fn the_locale_is_the_browsers_own_tag_in_the_pages_language() {
    set_locale("en", &["fr-CA".into(), "en-GB".into()]);
    assert_eq!(locale(), "en-GB");
    set_locale("pt-BR", &["pt-PT".into()]);
    assert_eq!(locale(), "pt-PT");
    // A malformed tag (from ?locale=, say) is passed over.
    set_locale("en", &["en-!!".into(), "en-AU".into()]);
    assert_eq!(locale(), "en-AU");
    set_locale("ja", &["de".into()]);
    assert_eq!(locale(), "ja");
}
