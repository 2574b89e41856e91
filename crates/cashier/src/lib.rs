//! The hosted cashier: the page a shopper pays on, at `/pay/{sessionId}`.

pub mod api;
pub mod app;
pub mod live;
pub mod order_summary;
pub mod pay_panel;
pub mod qr;
pub mod quote_details;
pub mod status_panel;
pub mod wallet;

pub use app::App;
