//! How hard the dispatcher pushes each endpoint: its concurrency grows by
//! one with each delivered webhook and halves with each failure (additive
//! increase, multiplicative decrease), and an endpoint that refuses
//! connections or times out again and again is left alone for a while
//! (a circuit breaker), so its deliveries wait without spending attempts
//! and without holding slots. Pure bookkeeping, in this process's memory.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Where every endpoint starts, and the floor after failures.
pub const INITIAL: usize = 4;
/// The most deliveries in flight to one endpoint.
pub const MAX: usize = 32;
/// Consecutive refusals or timeouts that open the breaker.
pub const TRIP_AFTER: u32 = 5;
const FIRST_PAUSE: Duration = Duration::from_secs(5);
const LONGEST_PAUSE: Duration = Duration::from_secs(300);

/// What an attempt's answer says about the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// 2xx.
    Delivered,
    /// It answered, with something else.
    Answered,
    /// No answer: refused, reset or timed out.
    Unreachable,
}

#[derive(Debug, Clone)]
struct Endpoint {
    limit: usize,
    in_flight: usize,
    unreachable_in_a_row: u32,
    /// While set and in the future, nothing is sent.
    paused_until: Option<Instant>,
    pause: Duration,
}

impl Default for Endpoint {
    fn default() -> Self {
        Self {
            limit: INITIAL,
            in_flight: 0,
            unreachable_in_a_row: 0,
            paused_until: None,
            pause: FIRST_PAUSE,
        }
    }
}

/// Every endpoint's pace.
#[derive(Debug, Default)]
pub struct Pacing {
    endpoints: HashMap<String, Endpoint>,
}

impl Pacing {
    /// How many more deliveries may start to `endpoint` now: none while its
    /// breaker is open, one while it is half open (the probe).
    pub fn free(&self, endpoint: &str, now: Instant) -> usize {
        let Some(e) = self.endpoints.get(endpoint) else {
            return INITIAL;
        };
        match e.paused_until {
            Some(until) if now < until => 0,
            Some(_) => 1usize.saturating_sub(e.in_flight),
            None => e.limit.saturating_sub(e.in_flight),
        }
    }

    pub fn start(&mut self, endpoint: &str) {
        self.endpoints
            .entry(endpoint.to_owned())
            .or_default()
            .in_flight += 1;
    }

    /// An attempt to `endpoint` ended with `signal`; its slot is free.
    pub fn finish(&mut self, endpoint: &str, signal: Signal, now: Instant) {
        let e = self.endpoints.entry(endpoint.to_owned()).or_default();
        e.in_flight = e.in_flight.saturating_sub(1);
        match signal {
            Signal::Delivered => {
                e.limit = (e.limit + 1).min(MAX);
                e.unreachable_in_a_row = 0;
                e.paused_until = None;
                e.pause = FIRST_PAUSE;
            }
            Signal::Answered => {
                e.limit = (e.limit / 2).max(1);
                e.unreachable_in_a_row = 0;
                e.paused_until = None;
            }
            Signal::Unreachable => {
                e.limit = (e.limit / 2).max(1);
                e.unreachable_in_a_row += 1;
                let half_open = e.paused_until.is_some();
                if half_open || e.unreachable_in_a_row >= TRIP_AFTER {
                    if half_open {
                        e.pause = (e.pause * 2).min(LONGEST_PAUSE);
                    }
                    e.paused_until = Some(now + e.pause);
                }
            }
        }
        // Nothing to remember about an endpoint back at its start.
        if e.in_flight == 0
            && e.limit == INITIAL
            && e.paused_until.is_none()
            && e.unreachable_in_a_row == 0
        {
            self.endpoints.remove(endpoint);
        }
    }

    /// The endpoints whose breaker is open now, for the log.
    pub fn paused(&self, endpoint: &str, now: Instant) -> Option<Duration> {
        let until = self.endpoints.get(endpoint)?.paused_until?;
        (now < until).then(|| until - now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_healthy_endpoint_gets_more_slots_and_a_failing_one_fewer() {
        let mut p = Pacing::default();
        let now = Instant::now();
        assert_eq!(p.free("we_a", now), INITIAL);
        for _ in 0..40 {
            p.start("we_a");
            p.finish("we_a", Signal::Delivered, now);
        }
        assert_eq!(p.free("we_a", now), MAX);
        p.start("we_a");
        p.finish("we_a", Signal::Answered, now);
        assert_eq!(p.free("we_a", now), MAX / 2);
    }

    #[test]
    fn the_breaker_opens_probes_and_closes() {
        let mut p = Pacing::default();
        let now = Instant::now();
        for _ in 0..TRIP_AFTER {
            p.start("we_b");
            p.finish("we_b", Signal::Unreachable, now);
        }
        assert_eq!(p.free("we_b", now), 0, "open");
        assert!(p.paused("we_b", now).is_some());
        let later = now + FIRST_PAUSE;
        assert_eq!(p.free("we_b", later), 1, "half open: one probe");
        p.start("we_b");
        assert_eq!(p.free("we_b", later), 0);
        p.finish("we_b", Signal::Unreachable, later);
        assert_eq!(p.free("we_b", later + FIRST_PAUSE), 0, "the pause doubled");
        let after = later + FIRST_PAUSE * 2;
        p.start("we_b");
        p.finish("we_b", Signal::Delivered, after);
        assert!(p.free("we_b", after) >= 1, "closed again");
        assert!(p.paused("we_b", after).is_none());
    }
}
