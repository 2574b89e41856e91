//! Tender's embeddable widget: a Pay button and a payment status, mounted
//! into placeholders of any page:
//!
//! ```html
//! <div data-tender-pay data-product-id="prod_..." data-quantity="1" data-label="Pay with crypto"></div>
//! <div data-tender-pay data-items='[{"productId": "prod_...", "quantity": 2}, {"productId": "prod_..."}]'></div>
//! <div data-tender-status></div>   <!-- on the success page: reads ?order=ord_... -->
//! ```
//!
//! `data-endpoint` on a placeholder names the companion server's base URL
//! (default: the page's own origin). `data-locale` on the page's first
//! placeholder sets the language of all its widgets (one of
//! `tender_protocol::locale::LANGUAGES`; default: the page's `?locale=`,
//! then the browser's languages); their words come from that first
//! placeholder's companion server (see [`words`]).

pub mod api;
pub mod pay_button;
pub mod payment_status;
pub mod words;

use leptos::prelude::*;
use tender_protocol::{CartLine, OrderId, ProductId};
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

pub use pay_button::PayButton;
pub use payment_status::PaymentStatus;

/// Placeholders matching `selector` that have no widget yet; each is marked
/// as taken, so mounting twice is harmless.
fn placeholders(selector: &str) -> Vec<HtmlElement> {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return Vec::new();
    };
    let Ok(list) = document.query_selector_all(&format!("{selector}:not([data-tender-mounted])"))
    else {
        return Vec::new();
    };
    let found: Vec<HtmlElement> = (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|node| node.dyn_into::<HtmlElement>().ok())
        .collect();
    for element in &found {
        let _ = element.set_attribute("data-tender-mounted", "");
    }
    found
}

fn data(element: &HtmlElement, key: &str) -> Option<String> {
    element.dataset().get(key).filter(|v| !v.is_empty())
}

/// What a Pay placeholder sells: `data-items` (a JSON cart,
/// `[{"productId": "prod_...", "quantity": 2}, ...]`), else
/// `data-product-id` with `data-quantity` (1 by default).
fn items_of(element: &HtmlElement) -> Option<Vec<CartLine>> {
    if let Some(cart) = data(element, "items") {
        let items: Vec<CartLine> = tender_web::from_json(&cart)?;
        return (!items.is_empty() && items.iter().all(|i| i.quantity >= 1)).then_some(items);
    }
    let product_id = ProductId::parse(&data(element, "productId")?).ok()?;
    let quantity = data(element, "quantity")
        .and_then(|q| q.parse().ok())
        .filter(|q| *q >= 1)
        .unwrap_or(1);
    Some(vec![CartLine {
        product_id,
        quantity,
    }])
}

/// The `order` query parameter of the page's URL.
pub fn order_from_url() -> Option<OrderId> {
    let search = web_sys::window()?.location().search().ok()?;
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    OrderId::parse(&params.get("order")?).ok()
}

/// The language and companion server of the page's widgets: the first
/// placeholder's `data-locale` and `data-endpoint`.
fn page_settings() -> (Option<String>, String) {
    let first = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| {
            d.query_selector("[data-tender-pay],[data-tender-status]")
                .ok()?
        })
        .and_then(|e| e.dyn_into::<HtmlElement>().ok());
    match first {
        Some(element) => (
            data(&element, "locale"),
            data(&element, "endpoint").unwrap_or_default(),
        ),
        None => (None, String::new()),
    }
}

/// Chooses the page's language, loads its words from the companion
/// server, then mounts the widgets ([`mount_all`]); what the bundle runs.
pub async fn start() -> usize {
    let (preferred, endpoint) = page_settings();
    let language = words::choose(preferred.as_deref());
    words::load(&endpoint, language).await;
    mount_all()
}

/// Mounts a widget into every placeholder on the page not yet mounted, in
/// the language loaded (English unless [`start`] loaded another); returns
/// how many.
/// A placeholder's own content (a no-JavaScript form, say) is replaced.
pub fn mount_all() -> usize {
    let pay = placeholders("[data-tender-pay]");
    let status = placeholders("[data-tender-status]");
    let language = words::spoken();
    // The widget says its language to screen readers and lays itself out
    // right to left for Arabic, whatever the page around it speaks.
    let mark = |element: &HtmlElement| {
        let _ = element.set_attribute("lang", language);
        let _ = element.set_attribute(
            "dir",
            if tender_web::i18n::is_rtl(language) {
                "rtl"
            } else {
                "ltr"
            },
        );
    };
    let mut mounted = 0;
    for element in pay {
        let Some(items) = items_of(&element) else {
            element.set_text_content(Some(
                "Tender: this Pay button has no valid data-product-id or data-items.",
            ));
            continue;
        };
        let endpoint = data(&element, "endpoint").unwrap_or_default();
        let label = data(&element, "label").unwrap_or_else(|| words::t("pay.label"));
        mark(&element);
        element.set_inner_html("");
        leptos::mount::mount_to(element, move || {
            view! { <PayButton endpoint items label/> }
        })
        .forget();
        mounted += 1;
    }
    for element in status {
        let endpoint = data(&element, "endpoint").unwrap_or_default();
        let max_polls = data(&element, "maxPolls")
            .and_then(|n| n.parse().ok())
            .unwrap_or(120);
        let order_id = data(&element, "orderId")
            .and_then(|id| OrderId::parse(&id).ok())
            .or_else(order_from_url);
        mark(&element);
        element.set_inner_html("");
        leptos::mount::mount_to(element, move || {
            view! { <PaymentStatus endpoint order_id max_polls/> }
        })
        .forget();
        mounted += 1;
    }
    mounted
}
