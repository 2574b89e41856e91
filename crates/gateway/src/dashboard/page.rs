//! Serving the dashboard: the page at `/dashboard`, its assets under
//! `/dashboard/assets/`, under a Content-Security-Policy stricter than the
//! cashier's (no wallet, no chain: it speaks to this gateway only), with
//! trunk's inline boot script served as `/dashboard/boot.js`.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tower_http::services::ServeDir;

use crate::cashier::page::{guarded, read_index, split};
use crate::state::AppState;

const BOOT: &str = "/dashboard/boot.js";

/// Script from this origin only, calls to it only, never framed.
pub const POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'self'; object-src 'none'";

pub fn router(state: &AppState) -> Router<AppState> {
    let mut router = Router::new()
        .route("/dashboard", get(page))
        .route("/dashboard/", get(page))
        .route(BOOT, get(boot));
    if let Some(dir) = &state.config.dashboard_dir {
        router = router.nest_service("/dashboard/assets", ServeDir::new(dir));
    }
    guarded(router, POLICY)
}

/// The dashboard's document, never cached (it names the current bundle).
async fn page(State(state): State<AppState>) -> Response {
    match read_index(state.config.dashboard_dir.as_deref()).await {
        Some(index) => {
            let mut response = Html(split(&index, BOOT).0).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The dashboard is not available on this gateway (dashboard_dir is not set or not built).",
        )
            .into_response(),
    }
}

async fn boot(State(state): State<AppState>) -> Response {
    match read_index(state.config.dashboard_dir.as_deref()).await {
        Some(index) => (
            [(header::CONTENT_TYPE, "text/javascript")],
            split(&index, BOOT).1,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
