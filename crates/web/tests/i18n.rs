//! The shopper's language, in a headless browser: which catalogue a list of
//! asked languages gets, and words looked up with English beneath.

use tender_web::i18n::{negotiate, set_catalogue, set_english, t, tf};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn the_first_language_spoken_wins_exactly_or_by_its_language() {
    assert_eq!(negotiate(["ja-JP", "en"]), "ja");
    assert_eq!(negotiate(["pt-PT"]), "pt-BR");
    assert_eq!(negotiate(["PT-br"]), "pt-BR");
    assert_eq!(negotiate(["nl", "de-AT", "fr"]), "de");
    assert_eq!(negotiate(["ar-EG"]), "ar");
    assert_eq!(negotiate(["nl", "sv"]), "en");
    assert_eq!(negotiate([] as [&str; 0]), "en");
}

#[wasm_bindgen_test]
fn a_key_falls_back_to_english_then_to_itself() {
    set_english(r#"{"a": "Pay {amount}", "b": "Back"}"#);
    assert!(set_catalogue(r#"{"a": "{amount} を支払う"}"#));
    assert_eq!(tf("a", &[("amount", &"3000 JPY")]), "3000 JPY を支払う");
    assert_eq!(t("b"), "Back");
    assert_eq!(t("missing"), "missing");
    assert!(!set_catalogue("not a catalogue"));
    assert_eq!(t("a"), "{amount} を支払う", "the last good one is kept");
}

#[wasm_bindgen_test]
fn placeholders_are_filled_and_anything_else_in_braces_is_kept() {
    assert!(set_catalogue(
        r#"{"p": "{have} of {need}, {unknown} {} { and }{have}"}"#
    ));
    assert_eq!(
        tf("p", &[("have", &1), ("need", &"２")]),
        "1 of ２, {unknown} {} { and }1"
    );
}
