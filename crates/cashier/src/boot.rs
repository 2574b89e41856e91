//! Starting a cashier bundle: pick the shopper's language, fetch its
//! catalogue (and English beneath it; none is built in, which keeps the
//! bundles small), write amounts and times for the shopper's locale in it,
//! then mount the page.

use tender_web::{i18n, intl};

/// Where a language's catalogue is served (both bundles share them).
fn catalogue(language: &str) -> String {
    format!("/cashier/locales/{language}.json")
}

/// Loads the shopper's language, then calls `mount`.
pub fn start(mount: fn()) {
    // The language the merchant chose for this session, if any (the
    // gateway marks the page with it).
    let chosen = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|root| root.get_attribute("data-locale"));
    let asked = i18n::asked(chosen.as_deref());
    let language = i18n::negotiate(asked.iter().map(String::as_str));
    wasm_bindgen_futures::spawn_local(async move {
        if i18n::load(&catalogue("en")).await {
            i18n::use_as_english();
        }
        // A catalogue that cannot be had leaves the page in English.
        let spoken = language != "en" && i18n::load(&catalogue(language)).await;
        let language = if spoken { language } else { "en" };
        i18n::mark_document(language);
        intl::set_locale(language, &asked);
        mount();
    });
}
