//! The hosted cashier, public: the shopper's page (`page`), the API it
//! calls (`api`), and the live stream that follows a payment (`live`).

pub mod api;
pub mod live;
pub mod page;

use axum::Router;

use crate::state::AppState;

/// The cashier's routes: no API key; the session id is the capability.
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(api::router())
        .merge(live::router())
        .merge(page::router(state))
}
