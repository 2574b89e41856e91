//! The widget's words in the shopper's language. Its catalogues
//! (`crates/widget/locales/*.json`, one per language, edited by
//! translators) are served by the companion server at
//! `/api/locales/{language}.json`; only English is built in, which keeps
//! the bundle small. The language is chosen once per page: a placeholder's
//! `data-locale`, then the page's `?locale=`, then the browser's languages,
//! then English. A catalogue that cannot be had leaves the widget in
//! English.

use std::cell::Cell;

use tender_web::i18n;
pub use tender_web::i18n::{t, tf};

const ENGLISH: &str = include_str!("../locales/en.json");

thread_local! {
    /// The language the widgets speak, once English is set up.
    static SPOKEN: Cell<Option<&'static str>> = const { Cell::new(None) };
}

/// The language the widgets speak: English (set up on the first call)
/// until [`load`] has had another.
pub fn spoken() -> &'static str {
    SPOKEN.get().unwrap_or_else(|| {
        i18n::set_english(ENGLISH);
        SPOKEN.set(Some("en"));
        "en"
    })
}

/// The language a page asks for: `preferred` (a placeholder's
/// `data-locale`) after the page's `?locale=`, then the browser's.
pub fn choose(preferred: Option<&str>) -> &'static str {
    let asked = i18n::asked(preferred);
    i18n::negotiate(asked.iter().map(String::as_str))
}

/// Loads `language`'s catalogue from the companion server at `endpoint`;
/// answers the language the widgets speak then (still English if it could
/// not be had).
pub async fn load(endpoint: &str, language: &'static str) -> &'static str {
    spoken();
    if language != "en" && i18n::load(&format!("{endpoint}/api/locales/{language}.json")).await {
        SPOKEN.set(Some(language));
    }
    spoken()
}
