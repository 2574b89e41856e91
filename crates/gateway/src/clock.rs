//! Wall-clock time as the database stores it.

use std::time::{SystemTime, UNIX_EPOCH};

use tender_protocol::Timestamp;

/// Now, in unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Now, in unix seconds.
pub fn now_seconds() -> i64 {
    now_ms().div_euclid(1000)
}

/// A stored unix time (seconds) as a timestamp.
pub fn from_seconds(seconds: i64) -> Timestamp {
    Timestamp::from_unix(seconds)
}
