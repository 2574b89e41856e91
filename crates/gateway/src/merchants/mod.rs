//! Merchants: their accounts, their API keys, their settings, and the
//! request pipeline of
//! the merchant API: a key checked once per request (`auth`), then
//! `Idempotency-Key` applied to every POST (`idempotency`).

pub mod accounts;
pub mod api_keys;
pub mod auth;
pub mod idempotency;
pub mod key_cache;
pub mod scopes;
pub mod settings;

use axum::Router;
use axum::middleware;

use crate::state::AppState;

/// Wraps the merchant API's routes in its pipeline: authentication, then
/// idempotency (so a key is scoped by the merchant it belongs to).
pub fn pipeline(routes: Router<AppState>, state: &AppState) -> Router<AppState> {
    routes
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            idempotency::middleware,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_merchant,
        ))
}

/// The routes of the merchants' own resources.
pub fn router() -> Router<AppState> {
    api_keys::router().merge(settings::router())
}
