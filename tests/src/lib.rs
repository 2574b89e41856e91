//! The harness for Tender's whole-system tests: it starts the real parts
//! (anvil, the gateway, the merchant server, Chromium) and talks to them over
//! HTTP and JSON-RPC, exactly as shoppers and merchants would.

pub mod anvil;
pub mod browser;
pub mod feed;
pub mod flaky;
pub mod receiver;
pub mod stack;
pub mod switch;
pub mod tools;

use std::future::Future;
use std::time::{Duration, Instant};

pub use anvil::Anvil;
pub use browser::Browser;
pub use feed::PriceFeed;
pub use flaky::Flaky;
pub use receiver::Receiver;
pub use stack::{Stack, StackOptions};
pub use switch::Switch;

/// Polls `check` every 100 ms until it yields a value; panics after
/// `timeout`, naming what never happened.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            started.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
