//! The shopper's language: which of Tender's catalogues a page speaks
//! (`?locale=`, then the browser's languages, then English), and the
//! catalogue's words by key, with `{name}` filled in. A catalogue is a flat
//! JSON object (`{"pay.title": "Checkout", ...}`) kept as parsed by the
//! browser; a key it lacks falls back to English, then to the key itself.

use std::cell::RefCell;
use std::fmt::{Display, Write};

use js_sys::{JSON, Reflect};
use wasm_bindgen::JsValue;

pub use tender_protocol::locale::{LANGUAGES, is_rtl, negotiate};

/// The languages the browser asks for, most wanted first, after the page's
/// own `?locale=` and `preferred` (a session's locale, say).
pub fn asked(preferred: Option<&str>) -> Vec<String> {
    let mut asked = Vec::new();
    let window = web_sys::window();
    if let Some(search) = window.as_ref().and_then(|w| w.location().search().ok())
        && let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search)
        && let Some(locale) = params.get("locale")
    {
        asked.push(locale);
    }
    asked.extend(preferred.map(str::to_owned));
    if let Some(window) = window {
        asked.extend(
            window
                .navigator()
                .languages()
                .iter()
                .filter_map(|l| l.as_string()),
        );
    }
    asked
}

thread_local! {
    /// The catalogue in use, and English beneath it.
    static CATALOGUES: RefCell<(JsValue, JsValue)> =
        const { RefCell::new((JsValue::UNDEFINED, JsValue::UNDEFINED)) };
}

/// Parses a catalogue; `None` if it is not a JSON object.
fn parse(text: &str) -> Option<JsValue> {
    JSON::parse(text).ok().filter(JsValue::is_object)
}

/// Sets English, the catalogue every other falls back to.
pub fn set_english(text: &str) {
    let english = parse(text).unwrap_or(JsValue::UNDEFINED);
    CATALOGUES.with(|c| c.borrow_mut().1 = english);
}

/// Makes the catalogue in use the English one beneath every other (for a
/// page that fetches English too instead of building it in).
pub fn use_as_english() {
    CATALOGUES.with(|c| {
        let mut c = c.borrow_mut();
        c.1 = c.0.clone();
    });
}

/// Sets the catalogue in use; false (and English kept) if `text` is not one.
pub fn set_catalogue(text: &str) -> bool {
    match parse(text) {
        Some(catalogue) => {
            CATALOGUES.with(|c| c.borrow_mut().0 = catalogue);
            true
        }
        None => false,
    }
}

/// Fetches the catalogue at `url` and uses it; false if it could not be
/// had (English is used then).
pub async fn load(url: &str) -> bool {
    match crate::fetch_text("GET", url, None, None).await {
        Ok(text) => set_catalogue(&text),
        Err(_) => false,
    }
}

/// Says the page's language to the browser (`<html lang dir>`), so screen
/// readers, fonts and right-to-left layout follow it.
pub fn mark_document(language: &str) {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    else {
        return;
    };
    let _ = root.set_attribute("lang", language);
    let _ = root.set_attribute("dir", if is_rtl(language) { "rtl" } else { "ltr" });
}

/// The words of `key`.
pub fn t(key: &str) -> String {
    let key_value = JsValue::from_str(key);
    CATALOGUES.with(|c| {
        let c = c.borrow();
        [&c.0, &c.1]
            .into_iter()
            .filter(|catalogue| catalogue.is_object())
            .find_map(|catalogue| Reflect::get(catalogue, &key_value).ok()?.as_string())
            .unwrap_or_else(|| key.to_owned())
    })
}

/// The words of `key` with each `{name}` replaced by its value (an unknown
/// `{name}` is left as it is). Split on braces rather than `str::replace`,
/// whose slicing checks cost the widget's bundle 3 KB.
pub fn tf(key: &str, args: &[(&str, &dyn Display)]) -> String {
    let text = t(key);
    let mut parts = text.split('{');
    let mut out = parts.next().unwrap_or_default().to_owned();
    for part in parts {
        let filled = part.split_once('}').and_then(|(name, rest)| {
            let (_, value) = args.iter().find(|(n, _)| *n == name)?;
            Some((value, rest))
        });
        match filled {
            Some((value, rest)) => {
                let _ = write!(out, "{value}{rest}");
            }
            None => {
                out.push('{');
                out.push_str(part);
            }
        }
    }
    out
}
