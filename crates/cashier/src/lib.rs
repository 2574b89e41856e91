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

/// Sends the browser to `url`.
pub fn go_to(url: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(url);
    }
}

/// Milliseconds since the epoch, from the browser's clock.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}
