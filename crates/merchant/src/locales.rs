//! `GET /api/locales/{language}.json`: the Pay widget's words in each of
//! its languages. The widget builds in English only, to stay small, and
//! asks its companion server for the others. The catalogues are the
//! widget's own files (`crates/widget/locales`, edited by translators),
//! built into this server.

use axum::Router;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::error::ShopError;
use crate::state::AppState;

/// Every catalogue of the widget, by language.
const CATALOGUES: [(&str, &str); 7] = [
    ("en", include_str!("../../widget/locales/en.json")),
    ("es", include_str!("../../widget/locales/es.json")),
    ("de", include_str!("../../widget/locales/de.json")),
    ("fr", include_str!("../../widget/locales/fr.json")),
    ("pt-BR", include_str!("../../widget/locales/pt-BR.json")),
    ("ja", include_str!("../../widget/locales/ja.json")),
    ("ar", include_str!("../../widget/locales/ar.json")),
];

pub fn router() -> Router<AppState> {
    Router::new().route("/api/locales/{file}", get(catalogue))
}

async fn catalogue(Path(file): Path<String>) -> Result<Response, ShopError> {
    let text = file
        .strip_suffix(".json")
        .and_then(|language| CATALOGUES.iter().find(|(l, _)| *l == language))
        .map(|(_, text)| *text)
        .ok_or(ShopError::NotFound("language"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            // The words change only with a new release of the server.
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        text,
    )
        .into_response())
}
