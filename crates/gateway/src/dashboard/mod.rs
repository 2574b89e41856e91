//! The merchant dashboard's side of the gateway: its users (`users`),
//! their signed-in browsers (`sign_ins`: the cookie, CSRF, sign-out), and
//! the merchant API once more under `/dashboard/api`, authenticated by
//! that cookie instead of a key: the dashboard does what a key does,
//! through the same handlers, so the two never diverge; one-time
//! invitations of further users (`invites`); and the page itself (`page`).

pub mod invites;
pub mod page;
pub mod sign_ins;
pub mod users;

use axum::Router;
use axum::middleware;
use axum::routing::{delete, get, post};

use crate::merchants::idempotency;
use crate::state::AppState;

/// The dashboard's routes; `api` is the merchant API's, without its
/// pipeline.
pub fn router(api: Router<AppState>, state: &AppState) -> Router<AppState> {
    let api = api
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            idempotency::middleware,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            sign_ins::require_user,
        ));
    page::router(state)
        .route(
            "/dashboard/api/session",
            post(sign_ins::sign_in)
                .get(sign_ins::me)
                .delete(sign_ins::sign_out),
        )
        .route(
            "/dashboard/api/sessions",
            delete(sign_ins::sign_out_everywhere),
        )
        .route("/dashboard/api/invites", post(invites::create))
        .route(
            "/dashboard/api/invites/{token}",
            get(invites::show).post(invites::accept),
        )
        .nest("/dashboard/api", api)
}
