//! Settlement: where a merchant is paid (`destination`), what each paid
//! session pays out and its transaction (`payouts`), what merchants owe for
//! refunds of their payments (`debts`), whether the treasury can cover
//! what it must send (`cover`), and the worker that sends payouts
//! and completes sessions (`settler`).

pub mod cover;
pub mod debts;
pub mod destination;
pub mod payouts;
pub mod settler;

use axum::Router;

use crate::state::AppState;

/// The merchant API routes of settlement.
pub fn router() -> Router<AppState> {
    destination::router()
}
