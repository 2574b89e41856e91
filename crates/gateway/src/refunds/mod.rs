//! Refunds: the merchant's API (`api`), what a session can give back
//! (`amounts`), the refunds themselves (`store`, owns `refunds`), the
//! shopper's claim (`claims`, public), stray money offered back on the
//! cashier (`offers`) and their payout (`payer`).

pub mod amounts;
pub mod api;
pub mod claims;
pub mod offers;
pub mod payer;
pub mod store;
