//! Webhooks: where a merchant wants them (`endpoints`, signed with
//! `secrets`), the events and their
//! delivery rows written with each state change (`outbox`), the merchant's
//! view of them (`events`), and their delivery (`dispatcher`, with `retry`
//! deciding what each answer means, `targets` where they may go).

pub mod dispatcher;
pub mod endpoints;
pub mod events;
pub mod health;
pub mod outbox;
pub mod pacing;
pub mod retention;
pub mod retry;
pub mod secrets;
pub mod stream;
pub mod targets;
pub mod trigger;

use axum::Router;

use crate::state::AppState;

/// The merchant API routes of webhooks.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(endpoints::router())
        .merge(events::router())
        .merge(trigger::router())
}
