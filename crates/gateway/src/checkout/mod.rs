//! Checkout: what a merchant sells and the sessions that sell it, from
//! creation through quotes and payments to `paid`, `completed` or `expired`.
//!
//! - `sessions`: the merchant's Checkout Sessions API.
//! - `products`: the product library API (owns `products`).
//! - `lifecycle`: the one owner of a session's status (owns `sessions`).
//! - `payments`: payments seen, confirmed or dropped (owns `payments`).
//! - `quotes`: an amount in a token, locked, with a deposit address (owns `quotes`).
//! - `tally`: what payments add up to, and the status that follows.
//! - `view`: a session as the API shows it (reads only).
//! - `expiry`: the worker that expires unpaid sessions.

pub mod expiry;
pub mod lifecycle;
pub mod payments;
pub mod products;
pub mod quotes;
pub mod sessions;
pub mod tally;
pub mod view;

use axum::Router;

use crate::state::AppState;

/// The merchant API routes of checkout.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(sessions::router())
        .merge(products::router())
}
