//! The widget's language in headless Chromium, apart from the component
//! tests (the words in use are the page's, shared by every test here). The
//! test runner's server has no `/api/locales/`, as an older companion
//! server would not: the widget then speaks English.

use tender_widget::words::{choose, load, spoken, t, tf};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_shop_without_catalogues_leaves_the_widget_in_english() {
    assert_eq!(spoken(), "en");
    assert_eq!(t("pay.label"), "Pay with crypto");
    assert_eq!(load("", "ja").await, "en");
    assert_eq!(t("status.succeeded"), "Payment successful");
    assert_eq!(
        tf("error.failed", &[("status", &502)]),
        "The shop could not start the payment (error 502)."
    );
    // A data-locale of a language Tender speaks is asked for first.
    assert_eq!(choose(Some("de-AT")), "de");
    assert_eq!(
        choose(Some("nl")),
        choose(None),
        "not one of ours: the browser's"
    );
}
