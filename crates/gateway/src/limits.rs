//! Abuse limits of the public API (the cashier's and the claim page's):
//! request rates per client address and per session or claim (GCRA, from
//! the `governor` crate), and live streams open at once per session and per
//! address. Every refusal is a 429 with `Retry-After`. The counts are per
//! gateway instance; the limits are in `[limits]` of the config.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::config::LimitsConfig;
use crate::error::ApiError;

/// Where a public request came from: its peer's address. (Behind a
/// reverse proxy every request shares the proxy's; see the README.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// The limiters and counters of one gateway instance.
pub struct Limits {
    config: LimitsConfig,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_session: DefaultKeyedRateLimiter<String>,
    streams: Mutex<Streams>,
    clock: DefaultClock,
}

#[derive(Default)]
struct Streams {
    by_session: HashMap<String, u32>,
    by_ip: HashMap<IpAddr, u32>,
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

impl Limits {
    pub fn new(config: &LimitsConfig) -> Self {
        let per_ip = Quota::per_minute(nonzero(config.public_per_ip_per_minute))
            .allow_burst(nonzero(config.public_burst_per_ip));
        let per_session = Quota::per_minute(nonzero(config.public_per_session_per_minute));
        Self {
            config: config.clone(),
            per_ip: DefaultKeyedRateLimiter::keyed(per_ip),
            per_session: DefaultKeyedRateLimiter::keyed(per_session),
            streams: Mutex::default(),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one public request from `ip` about `subject` (a session id or
    /// a claim token).
    pub fn admit(&self, ip: IpAddr, subject: Option<&str>) -> Result<(), ApiError> {
        if let Err(wait) = self.per_ip.check_key(&ip) {
            return Err(too_many(
                "Too many requests from this address",
                wait.wait_time_from(self.clock.now()),
            ));
        }
        if let Some(subject) = subject
            && let Err(wait) = self.per_session.check_key(&subject.to_owned())
        {
            return Err(too_many(
                "Too many requests for this checkout",
                wait.wait_time_from(self.clock.now()),
            ));
        }
        Ok(())
    }

    /// Opens a live stream of `session` for `ip`, if both are under their
    /// caps; the stream counts until the guard drops.
    pub fn open_stream(
        self: &Arc<Self>,
        ip: IpAddr,
        session: &str,
    ) -> Result<StreamGuard, ApiError> {
        let mut streams = self.streams.lock().expect("stream counts");
        let on_session = streams.by_session.get(session).copied().unwrap_or(0);
        let from_ip = streams.by_ip.get(&ip).copied().unwrap_or(0);
        if on_session >= self.config.streams_per_session {
            return Err(too_many(
                "Too many live streams open on this checkout",
                STREAM_RETRY,
            ));
        }
        if from_ip >= self.config.streams_per_ip {
            return Err(too_many(
                "Too many live streams open from this address",
                STREAM_RETRY,
            ));
        }
        *streams.by_session.entry(session.to_owned()).or_default() += 1;
        *streams.by_ip.entry(ip).or_default() += 1;
        Ok(StreamGuard {
            limits: self.clone(),
            ip,
            session: session.to_owned(),
        })
    }

    /// Forgets addresses and sessions whose limits have fully recovered, so
    /// the maps do not grow with every address ever seen.
    pub fn forget_idle(&self) {
        self.per_ip.retain_recent();
        self.per_session.retain_recent();
        self.per_ip.shrink_to_fit();
        self.per_session.shrink_to_fit();
    }
}

/// When a client refused a stream should try again.
const STREAM_RETRY: Duration = Duration::from_secs(5);

fn too_many(what: &str, wait: Duration) -> ApiError {
    // Whole seconds, at least one: what Retry-After can say.
    let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let retry_after = retry_after.max(1);
    ApiError::RateLimited {
        message: format!("{what}; try again in {retry_after} s"),
        retry_after,
    }
}

/// One open live stream, counted until dropped.
pub struct StreamGuard {
    limits: Arc<Limits>,
    ip: IpAddr,
    session: String,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        let mut streams = self.limits.streams.lock().expect("stream counts");
        fn release<K: std::hash::Hash + Eq>(map: &mut HashMap<K, u32>, key: &K) {
            if let Some(n) = map.get_mut(key) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    map.remove(key);
                }
            }
        }
        release(&mut streams.by_session, &self.session);
        release(&mut streams.by_ip, &self.ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tight() -> LimitsConfig {
        LimitsConfig {
            public_per_ip_per_minute: 60,
            public_burst_per_ip: 3,
            public_per_session_per_minute: 5,
            streams_per_session: 2,
            streams_per_ip: 3,
            ..LimitsConfig::default()
        }
    }

    #[test]
    fn a_burst_then_a_refusal_with_a_wait() {
        let limits = Limits::new(&tight());
        let ip: IpAddr = "127.0.0.2".parse().unwrap();
        for _ in 0..3 {
            limits.admit(ip, None).unwrap();
        }
        match limits.admit(ip, None) {
            Err(ApiError::RateLimited { retry_after, .. }) => {
                assert!((1..=2).contains(&retry_after))
            }
            other => panic!("{other:?}"),
        }
        let other: IpAddr = "127.0.0.3".parse().unwrap();
        assert!(
            limits.admit(other, None).is_ok(),
            "addresses are counted apart"
        );
    }

    #[test]
    fn a_session_is_limited_across_addresses() {
        let limits = Limits::new(&tight());
        for n in 0..5u8 {
            limits
                .admit(IpAddr::from([127, 0, 1, n]), Some("cs_1"))
                .unwrap();
        }
        assert!(
            limits
                .admit(IpAddr::from([127, 0, 2, 1]), Some("cs_1"))
                .is_err()
        );
        assert!(
            limits
                .admit(IpAddr::from([127, 0, 2, 1]), Some("cs_2"))
                .is_ok()
        );
    }

    #[test]
    fn streams_are_counted_until_dropped() {
        let limits = Arc::new(Limits::new(&tight()));
        let ip: IpAddr = "127.0.0.2".parse().unwrap();
        let a = limits.open_stream(ip, "cs_1").unwrap();
        let _b = limits.open_stream(ip, "cs_1").unwrap();
        assert!(limits.open_stream(ip, "cs_1").is_err(), "per session");
        let _c = limits.open_stream(ip, "cs_2").unwrap();
        assert!(limits.open_stream(ip, "cs_3").is_err(), "per address");
        drop(a);
        assert!(limits.open_stream(ip, "cs_3").is_ok());
    }
}
