//! Serving the dashboard: the page at `/dashboard`, its assets under
//! `/dashboard/assets/`, under a Content-Security-Policy stricter than the
//! cashier's (no wallet, no chain: it speaks to this gateway only), with
//! trunk's inline boot script served as `/dashboard/boot.js`.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use tower_http::services::ServeDir;

use crate::cashier::page::{bundle_boot, bundle_page, guarded};
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

async fn page(State(state): State<AppState>) -> Response {
    bundle_page(
        state.config.dashboard_dir.as_deref(),
        BOOT,
        "The dashboard is not available on this gateway (dashboard_dir is not set or not built).",
    )
    .await
}

async fn boot(State(state): State<AppState>) -> Response {
    bundle_boot(state.config.dashboard_dir.as_deref(), BOOT).await
}
