//! The hosted cashier: the page a shopper pays on, at `/pay/{sessionId}`
//! (`src/main.rs`), and the page a shopper claims a refund on, at
//! `/refund/{token}` (`src/bin/refund.rs`): two bundles from one library.

pub mod api;
pub mod app;
pub mod boot;
pub mod claim;
pub mod live;
pub mod order_summary;
pub mod pay_panel;
pub mod qr;
pub mod quote_details;
pub mod status_panel;
pub mod wallet;

pub use app::App;
