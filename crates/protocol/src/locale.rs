//! The languages Tender's pages speak, and which of them a shopper gets:
//! shared by the gateway (a session's `locale`) and the pages.

/// The languages Tender's pages speak; English first.
pub const LANGUAGES: [&str; 7] = ["en", "es", "de", "fr", "pt-BR", "ja", "ar"];

/// The first of `asked` (BCP 47 tags, most wanted first) Tender speaks:
/// exactly (`pt-BR`), else by its language alone (`ja-JP` is `ja`, `pt` or
/// `pt-PT` is `pt-BR`); English when none is.
pub fn negotiate<'a>(asked: impl IntoIterator<Item = &'a str>) -> &'static str {
    for tag in asked {
        let tag = tag.trim();
        if let Some(exact) = LANGUAGES.iter().find(|l| l.eq_ignore_ascii_case(tag)) {
            return exact;
        }
        let language = tag.split(['-', '_']).next().unwrap_or("");
        if let Some(near) = LANGUAGES.iter().find(|l| {
            l.split('-')
                .next()
                .is_some_and(|p| p.eq_ignore_ascii_case(language))
        }) {
            return near;
        }
    }
    "en"
}

/// Whether `language` is written right to left.
pub fn is_rtl(language: &str) -> bool {
    language == "ar"
}
