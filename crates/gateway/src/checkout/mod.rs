//! Checkout: what a merchant sells and the sessions that sell it, from
//! creation through quotes and payments to `paid`, `completed` or `expired`.
//!
//! - `sessions`: the merchant's Checkout Sessions API.
//! - `cart`: what a new session sells, its items checked and totalled.
//! - `links`: payment links, a public URL making a session per visitor (owns `payment_links`).
//! - `products`: the product library API (owns `products`).
//! - `lifecycle`: the one owner of a session's status (owns `sessions`).
//! - `payments`: payments seen, confirmed (and valued) or dropped (owns `payments`).
//! - `reconcile`: a session's status brought in line with its payments and deadline.
//! - `unallocated`: money that paid nothing, held for a refund (owns `unallocated`).
//! - `quotes`: an amount in a token, locked, with a deposit address (owns `quotes`).
//! - `tally`: the money rules as pure arithmetic.
//! - `strays`: tokens nobody configured, reported (owns `unknown_tokens`).
//! - `view`: a session as the API shows it (reads only).
//! - `overview`: the merchant's figures at a glance (reads only).
//! - `deadline`: whether a session's time is up, by the chains' own clocks.
//! - `expiry`: the worker that expires unpaid sessions.

pub mod cart;
pub mod deadline;
pub mod expiry;
pub mod lifecycle;
pub mod links;
pub mod overview;
pub mod payments;
pub mod products;
pub mod quotes;
pub mod reconcile;
pub mod sessions;
pub mod strays;
pub mod tally;
pub mod unallocated;
pub mod view;

use axum::Router;

use crate::state::AppState;

/// The merchant API routes of checkout.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(sessions::router())
        .merge(products::router())
        .merge(links::router())
        .merge(overview::router())
}
