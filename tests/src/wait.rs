//! Waiting for something to happen, with a deadline that names it.

use std::future::Future;
use std::time::{Duration, Instant};

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
