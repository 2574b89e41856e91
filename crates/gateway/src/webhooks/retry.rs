//! What an endpoint's answer means for its delivery: only 2xx is success;
//! `410 Gone` stops deliveries to the endpoint; anything else is retried on
//! the configured schedule, each delay with ±20% jitter, never sooner than
//! the endpoint's `Retry-After`, until the schedule runs out.

use std::time::Duration;

use rand::Rng;

use crate::clock::now_ms;
use crate::webhooks::targets::Refused;

/// An endpoint's answer to one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Its HTTP status, if it answered.
    pub code: Option<u16>,
    /// Why the attempt failed, if it did.
    pub error: Option<String>,
    pub retry_after: Option<Duration>,
}

impl Answer {
    /// Reads the outcome of a request (no redirects are followed: a 3xx
    /// is a failure like any other non-2xx).
    pub fn of(response: &Result<reqwest::Response, reqwest::Error>) -> Self {
        match response {
            Ok(r) if r.status().is_success() => Answer {
                code: Some(r.status().as_u16()),
                error: None,
                retry_after: None,
            },
            Ok(r) => Answer {
                code: Some(r.status().as_u16()),
                error: Some(format!("endpoint answered {}", r.status())),
                retry_after: retry_after(r),
            },
            Err(e) => match refusal(e) {
                Some(refused) => Self::refused(refused),
                None => Answer {
                    code: None,
                    error: Some(
                        if e.is_timeout() {
                            "timed out"
                        } else if e.is_connect() {
                            "connection failed"
                        } else {
                            "request failed"
                        }
                        .to_owned(),
                    ),
                    retry_after: None,
                },
            },
        }
    }

    /// An attempt not made: the target is not one webhooks may go to.
    pub fn refused(why: &Refused) -> Self {
        Answer {
            code: None,
            error: Some(format!("not sent: {why}")),
            retry_after: None,
        }
    }

    pub fn delivered(&self) -> bool {
        self.error.is_none()
    }

    /// The endpoint asked never to be called again.
    pub fn gone(&self) -> bool {
        self.code == Some(410)
    }
}

/// The guarded resolver's refusal, if that is why a request failed.
fn refusal(error: &reqwest::Error) -> Option<&Refused> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Some(refused);
        }
        source = e.source();
    }
    None
}

/// What happens to a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Succeeded,
    /// Try again at this unix time in milliseconds.
    RetryAt(i64),
    Failed,
}

impl Next {
    /// The delivery's stored status.
    pub fn status(self) -> &'static str {
        match self {
            Next::Succeeded => "succeeded",
            Next::RetryAt(_) => "pending",
            Next::Failed => "failed",
        }
    }

    pub fn at_ms(self) -> i64 {
        match self {
            Next::RetryAt(at) => at,
            _ => 0,
        }
    }
}

/// Decides what follows attempt number `attempts` (1 for the first) on the
/// schedule `schedule_ms` (the delay before each attempt; its length is the
/// number of attempts).
pub fn next(schedule_ms: &[u64], attempts: usize, answer: &Answer) -> Next {
    if answer.delivered() {
        return Next::Succeeded;
    }
    if answer.gone() {
        return Next::Failed;
    }
    match schedule_ms.get(attempts) {
        Some(delay) => {
            let wait = answer.retry_after.map_or(0, |d| d.as_millis() as i64);
            Next::RetryAt(now_ms() + jittered(*delay).max(wait))
        }
        None => Next::Failed,
    }
}

/// `delay_ms` ±20%, so retries from many sessions do not arrive in lockstep.
fn jittered(delay_ms: u64) -> i64 {
    let factor = rand::rng().random_range(80..=120);
    (delay_ms as i64) * factor / 100
}

/// A `Retry-After` header in seconds (at most a day).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    let seconds: u64 = value.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds.min(24 * 3600)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(code: u16, retry_after: Option<u64>) -> Answer {
        Answer {
            code: Some(code),
            error: Some(format!("endpoint answered {code}")),
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        for _ in 0..1000 {
            let d = jittered(10_000);
            assert!((8_000..=12_000).contains(&d), "{d}");
        }
        assert_eq!(jittered(0), 0);
    }

    #[test]
    fn a_failure_waits_its_turn_in_the_schedule_then_gives_up() {
        let schedule = [0, 60_000, 120_000];
        let before = now_ms();
        let Next::RetryAt(at) = next(&schedule, 1, &failed(500, None)) else {
            panic!("the second attempt is scheduled");
        };
        assert!((before + 48_000..=now_ms() + 72_000).contains(&at), "{at}");
        assert_eq!(next(&schedule, 3, &failed(500, None)), Next::Failed);
    }

    #[test]
    fn retry_after_is_honoured_and_gone_stops_at_once() {
        let before = now_ms();
        let Next::RetryAt(at) = next(&[0, 1_000], 1, &failed(503, Some(3600))) else {
            panic!("scheduled");
        };
        assert!(at >= before + 3_600_000, "{at}");
        assert_eq!(next(&[0, 1_000], 1, &failed(410, None)), Next::Failed);
        let ok = Answer {
            code: Some(204),
            error: None,
            retry_after: None,
        };
        assert_eq!(next(&[0], 1, &ok), Next::Succeeded);
    }
}
