//! The widget's components in a real headless Chromium
//! (`cargo test --target wasm32-unknown-unknown -p tender-widget`).
//! The test runner's own server answers 404 to the shop API, which is how a
//! broken or missing companion server looks to a real page.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use tender_web::sleep;
use tender_widget::mount_all;
use tender_widget::payment_status::poll_delay;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_test::*;
use web_sys::{Document, HtmlButtonElement, HtmlElement, MutationObserver, MutationObserverInit};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> Document {
    web_sys::window().unwrap().document().unwrap()
}

/// A fresh container in the page holding `html`.
fn container(html: &str) -> HtmlElement {
    let div: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    div.set_inner_html(html);
    document().body().unwrap().append_child(&div).unwrap();
    div
}

fn text(root: &HtmlElement, selector: &str) -> String {
    root.query_selector(selector)
        .unwrap()
        .map(|e| e.text_content().unwrap_or_default())
        .unwrap_or_default()
}

async fn until(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..100 {
        if check() {
            return;
        }
        sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Remembers whether `button` was ever disabled, however briefly.
fn watch_disabled(button: &HtmlButtonElement) -> Rc<Cell<bool>> {
    let seen = Rc::new(Cell::new(false));
    let flag = seen.clone();
    let target = button.clone();
    let callback = Closure::<dyn FnMut()>::new(move || {
        if target.disabled() {
            flag.set(true);
        }
    });
    let observer = MutationObserver::new(callback.as_ref().unchecked_ref()).unwrap();
    let options = MutationObserverInit::new();
    options.set_attributes(true);
    observer.observe_with_options(button, &options).unwrap();
    callback.forget();
    seen
}

#[wasm_bindgen_test]
async fn pay_buttons_replace_their_placeholders_fallback_forms() {
    let root = container(
        r#"<div data-tender-pay data-product-id="prod_a" data-label="Buy A"><form><button>plain</button></form></div>
           <div data-tender-pay data-product-id="prod_b"></div>"#,
    );
    assert_eq!(mount_all(), 2);
    let buttons = root
        .query_selector_all("button.tender-pay__button")
        .unwrap();
    assert_eq!(buttons.length(), 2);
    assert_eq!(text(&root, "button.tender-pay__button").trim(), "Buy A");
    assert!(
        root.query_selector("form").unwrap().is_none(),
        "fallback form replaced"
    );
    assert_eq!(mount_all(), 0, "mounting again adds nothing");
    root.remove();
}

#[wasm_bindgen_test]
async fn a_placeholder_without_a_valid_product_says_so() {
    let root = container(r#"<div data-tender-pay data-product-id="not-a-product"></div>"#);
    mount_all();
    assert!(
        root.text_content()
            .unwrap()
            .contains("no valid data-product-id")
    );
    root.remove();
}

#[wasm_bindgen_test]
async fn a_cart_placeholder_mounts_and_a_malformed_cart_says_so() {
    let root = container(
        r#"<div data-tender-pay data-items='[{"productId": "prod_a"}, {"productId": "prod_b", "quantity": 2}]' data-label="Buy the set"></div>
           <div data-tender-pay data-items='[{"productId": "prod_a", "quantity": 0}]'></div>
           <div data-tender-pay data-items='not json'></div>"#,
    );
    assert_eq!(mount_all(), 1);
    assert_eq!(
        text(&root, "button.tender-pay__button").trim(),
        "Buy the set"
    );
    let refused = root.text_content().unwrap();
    assert_eq!(
        refused
            .matches("no valid data-product-id or data-items")
            .count(),
        2,
        "{refused}"
    );
    root.remove();
}

#[wasm_bindgen_test]
async fn pay_button_is_disabled_in_flight_then_shows_the_error_and_allows_retry() {
    let root = container(r#"<div data-tender-pay data-product-id="prod_a"></div>"#);
    mount_all();
    let button: HtmlButtonElement = root
        .query_selector("button.tender-pay__button")
        .unwrap()
        .unwrap()
        .unchecked_into();
    let was_disabled = watch_disabled(&button);
    button.click();
    button.click();
    until("the error", || {
        !text(&root, ".tender-pay__error").is_empty()
    })
    .await;
    assert!(text(&root, ".tender-pay__error").contains("try again"));
    assert!(
        was_disabled.get(),
        "the button was disabled while the request was in flight"
    );
    until("the button to be enabled again", || !button.disabled()).await;
    assert_eq!(
        button.get_attribute("aria-busy").as_deref(),
        Some("false"),
        "{}",
        button.outer_html()
    );
    root.remove();
}

#[wasm_bindgen_test]
async fn payment_status_without_an_order_in_the_url_says_so() {
    let root = container(r#"<div data-tender-status></div>"#);
    mount_all();
    let status = text(&root, ".tender-status");
    assert!(status.contains("could not find your order"), "{status}");
    root.remove();
}

#[wasm_bindgen_test]
async fn payment_status_keeps_confirming_in_a_live_region_until_it_gives_up() {
    let root = container(
        r#"<div data-tender-status data-order-id="ord_test123" data-max-polls="2"></div>"#,
    );
    mount_all();
    let region = root.query_selector(".tender-status").unwrap().unwrap();
    assert_eq!(region.get_attribute("aria-live").as_deref(), Some("polite"));
    assert!(text(&root, ".tender-status").contains("Confirming your payment"));
    assert!(!text(&root, ".tender-status").contains("Payment successful"));
    until("polling to stop", || {
        text(&root, ".tender-status").contains("still confirming")
    })
    .await;
    root.remove();
}

#[wasm_bindgen_test]
fn polling_backs_off_from_one_to_five_seconds() {
    assert_eq!(poll_delay(0), Duration::from_millis(1000));
    assert_eq!(poll_delay(1), Duration::from_millis(1500));
    assert!(poll_delay(3) < Duration::from_millis(5000));
    assert_eq!(poll_delay(10), Duration::from_millis(5000));
    assert_eq!(poll_delay(u32::MAX), Duration::from_millis(5000));
}
