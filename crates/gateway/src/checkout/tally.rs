//! The money rules, as pure arithmetic: what a payment is worth, what a
//! session's payments make of it, and which money paid nothing. Shared by
//! the payment rules (`payments`) and the read model (`view`).
//!
//! Time is the chain's: a payment is late when its block's timestamp is
//! after the session's `expiresAt`. On-time money pays a session; late money
//! pays it only once its time is up, and only if, with what came on time,
//! it covers the amount due (`session.paid_late`). Money beyond what a
//! session needs, or that never made it paid, is unallocated.

use alloy::primitives::U256;
use tender_protocol::money::RATE_MAX_DECIMALS;
use tender_protocol::{Currency, EventType, SessionStatus};

/// A payment seen on chain, short of its confirmations.
pub const PENDING: &str = "pending";
/// A payment with its confirmations: it counts.
pub const CONFIRMED: &str = "confirmed";
/// A confirmed payment a reorg took off the chain: it no longer counts.
pub const REORGED: &str = "reorged";

/// What a payment is worth in the session's currency at its quote's rate
/// (minor units, rounded down): paying a quote's full amount covers exactly
/// what the quote covers.
pub fn worth(paid_raw: &str, covers_minor: &str, quoted_raw: &str) -> anyhow::Result<u128> {
    let paid: U256 = paid_raw.parse()?;
    let covers: U256 = covers_minor.parse()?;
    let quoted: U256 = quoted_raw.parse::<U256>()?.max(U256::from(1));
    // 256-bit: a large token amount times a large token price overflows u128.
    Ok(u128::try_from(paid * covers / quoted).unwrap_or(u128::MAX))
}

/// What `paid_raw` base units of a token with `decimals` are worth in
/// `currency` at `price` (one whole token, as a decimal string), rounded
/// down; for a session priced in the token itself, one for one.
pub fn value_at(paid_raw: u128, decimals: u32, currency: Currency, price: &str) -> Option<u128> {
    let paid = U256::from(paid_raw);
    if !currency.is_fiat() {
        // Token minor units have TOKEN_PRICE_DECIMALS digits.
        let scale = U256::from(10u8).pow(U256::from(currency.decimals().checked_sub(decimals)?));
        return u128::try_from(paid * scale).ok();
    }
    let price = tender_protocol::money::parse_units(price, RATE_MAX_DECIMALS).ok()?;
    // minor = paid / 10^td * price_scaled / 10^rs * 10^cd
    let numerator =
        paid * U256::from(price) * U256::from(10u8).pow(U256::from(currency.decimals()));
    let denominator = U256::from(10u8).pow(U256::from(decimals + RATE_MAX_DECIMALS));
    u128::try_from(numerator / denominator).ok()
}

/// One payment of a session, as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub id: i64,
    /// `PENDING`, `CONFIRMED` or `REORGED`.
    pub status: String,
    /// Mined after the session's expiry.
    pub late: bool,
    /// What it is worth in the session's currency (fixed when it confirmed;
    /// an estimate at its quote's rate while pending).
    pub minor: u128,
    pub amount_raw: u128,
}

/// A session's payments, added up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    pub on_time_minor: u128,
    pub late_minor: u128,
    pub pending_on_time: bool,
}

impl Tally {
    pub fn of(payments: &[Counted]) -> Self {
        let mut tally = Tally::default();
        for p in payments {
            match (p.status.as_str(), p.late) {
                (CONFIRMED, false) => tally.on_time_minor += p.minor,
                (CONFIRMED, true) => tally.late_minor += p.minor,
                (PENDING, false) => tally.pending_on_time = true,
                _ => {} // late and still confirming, or reorged: nothing yet
            }
        }
        tally
    }
}

/// What a session's payments make of it: its status, and the event that
/// says so when it differs from the status's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub status: SessionStatus,
    pub event: Option<EventType>,
}

impl Verdict {
    fn plain(status: SessionStatus) -> Self {
        Self {
            status,
            event: EventType::for_status(status),
        }
    }

    fn paid_late() -> Self {
        Self {
            status: SessionStatus::Paid,
            event: Some(EventType::SessionPaidLate),
        }
    }
}

/// The status a session in `current` should have, given its payments and
/// whether its time is up on every chain. `Paid` and `Completed` sessions
/// keep their status (a caller that must re-open a paid session after a
/// reorg passes `Open`).
pub fn decide(current: SessionStatus, due: u128, tally: Tally, time_up: bool) -> Verdict {
    let everything = tally.on_time_minor.saturating_add(tally.late_minor);
    match current {
        SessionStatus::Paid | SessionStatus::Completed => Verdict::plain(current),
        SessionStatus::Expired if tally.on_time_minor >= due => Verdict::plain(SessionStatus::Paid),
        SessionStatus::Expired if everything >= due => Verdict::paid_late(),
        SessionStatus::Expired => Verdict::plain(SessionStatus::Expired),
        _ if tally.on_time_minor >= due => Verdict::plain(SessionStatus::Paid),
        _ if tally.pending_on_time => Verdict::plain(SessionStatus::Processing),
        _ if time_up && everything >= due => Verdict::paid_late(),
        _ if time_up => Verdict::plain(SessionStatus::Expired),
        _ if tally.on_time_minor > 0 => Verdict::plain(SessionStatus::Underpaid),
        _ => Verdict::plain(SessionStatus::Open),
    }
}

/// The part of each confirmed payment that paid nothing, in the session's
/// minor units and the payment's base units, for a session in `status`.
/// A paid session keeps the amount due from its on-time payments first,
/// then its late ones, in the order they came; an expired one keeps
/// nothing; a payable one keeps everything (it is still being paid).
pub fn unallocated(
    status: SessionStatus,
    due: u128,
    payments: &[Counted],
) -> Vec<(i64, u128, u128)> {
    let keeps = match status {
        SessionStatus::Paid | SessionStatus::Completed => due,
        SessionStatus::Expired => 0,
        _ => return Vec::new(),
    };
    let mut confirmed: Vec<&Counted> = payments.iter().filter(|p| p.status == CONFIRMED).collect();
    confirmed.sort_by_key(|p| (p.late, p.id));
    let mut left = keeps;
    let mut out = Vec::new();
    for p in confirmed {
        let kept = p.minor.min(left);
        left -= kept;
        let spare = p.minor - kept;
        // Dust worth nothing in the currency is still someone's coins.
        if spare == 0 && (kept > 0 || p.amount_raw == 0) {
            continue;
        }
        let raw = if kept == 0 {
            p.amount_raw
        } else {
            // The part of the payment's coins the spare value stands for.
            let share = U256::from(p.amount_raw) * U256::from(spare) / U256::from(p.minor.max(1));
            u128::try_from(share).unwrap_or(p.amount_raw)
        };
        out.push((p.id, spare, raw));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payment(id: i64, status: &str, late: bool, minor: u128) -> Counted {
        Counted {
            id,
            status: status.into(),
            late,
            minor,
            amount_raw: minor * 1000,
        }
    }

    #[test]
    fn a_payment_is_worth_its_share_of_what_its_quote_covers() {
        assert_eq!(
            worth("12500000000000000", "2500", "12500000000000000").unwrap(),
            2500
        );
        assert_eq!(
            worth("6250000000000000", "2500", "12500000000000000").unwrap(),
            1250
        );
        // 2,000 tokens of 18 decimals priced at 1,000 tokens: no overflow.
        let big = "1000000000000000000000";
        assert_eq!(
            worth("2000000000000000000000", big, big).unwrap(),
            2 * 10u128.pow(21)
        );
    }

    #[test]
    fn a_payment_is_valued_at_a_rate_rounded_down() {
        // 0.0125 ETH at 3000 USD/ETH = 37.50 USD.
        let eth = 12_500_000_000_000_000;
        assert_eq!(value_at(eth, 18, Currency::Usd, "3000.00"), Some(3750));
        assert_eq!(value_at(eth - 1, 18, Currency::Usd, "3000.00"), Some(3749));
        // A billion tokens of 18 decimals at a high price: no overflow.
        let many = 10u128.pow(27);
        assert_eq!(
            value_at(many, 18, Currency::Usd, "99999.99999999"),
            Some(9_999_999_999_999_000)
        );
        assert_eq!(value_at(eth, 18, Currency::Usd, "nope"), None);
    }

    #[test]
    fn on_time_money_pays_and_pending_money_is_processing() {
        let due = 100;
        let open = SessionStatus::Open;
        let with = |ps: &[Counted]| decide(open, due, Tally::of(ps), false).status;
        assert_eq!(with(&[]), SessionStatus::Open);
        assert_eq!(
            with(&[payment(1, PENDING, false, 100)]),
            SessionStatus::Processing
        );
        assert_eq!(
            with(&[payment(1, CONFIRMED, false, 40)]),
            SessionStatus::Underpaid
        );
        assert_eq!(
            with(&[
                payment(1, CONFIRMED, false, 40),
                payment(2, PENDING, false, 60)
            ]),
            SessionStatus::Processing
        );
        assert_eq!(
            with(&[payment(1, CONFIRMED, false, 100)]),
            SessionStatus::Paid
        );
        assert_eq!(
            with(&[payment(1, REORGED, false, 100)]),
            SessionStatus::Open
        );
    }

    #[test]
    fn late_money_pays_only_when_time_is_up_and_it_covers_the_rest() {
        let late_dust = [payment(1, CONFIRMED, true, 1)];
        let verdict = decide(SessionStatus::Open, 100, Tally::of(&late_dust), true);
        assert_eq!(verdict, Verdict::plain(SessionStatus::Expired));
        let verdict = decide(SessionStatus::Expired, 100, Tally::of(&late_dust), true);
        assert_eq!(verdict.status, SessionStatus::Expired);

        let short_then_late = [
            payment(1, CONFIRMED, false, 30),
            payment(2, CONFIRMED, true, 70),
        ];
        let tally = Tally::of(&short_then_late);
        assert_eq!(
            decide(SessionStatus::Underpaid, 100, tally, false).status,
            SessionStatus::Underpaid,
            "not before the time is up"
        );
        assert_eq!(
            decide(SessionStatus::Underpaid, 100, tally, true),
            Verdict::paid_late()
        );
        assert_eq!(
            decide(SessionStatus::Expired, 100, tally, true),
            Verdict::paid_late()
        );

        // An on-time payment found after an unchecked expiry pays as on time.
        let found_later = [payment(1, CONFIRMED, false, 100)];
        assert_eq!(
            decide(SessionStatus::Expired, 100, Tally::of(&found_later), true),
            Verdict::plain(SessionStatus::Paid)
        );
    }

    #[test]
    fn what_paid_nothing_is_unallocated_down_to_the_coin() {
        // Paid with an excess: the crossing payment keeps what was needed.
        let ps = [
            payment(1, CONFIRMED, false, 60),
            payment(2, CONFIRMED, false, 60),
        ];
        assert_eq!(
            unallocated(SessionStatus::Paid, 100, &ps),
            vec![(2, 20, 20_000)]
        );
        // Expired: everything.
        let ps = [
            payment(1, CONFIRMED, false, 30),
            payment(2, CONFIRMED, true, 1),
        ];
        assert_eq!(
            unallocated(SessionStatus::Expired, 100, &ps),
            vec![(1, 30, 30_000), (2, 1, 1000)]
        );
        // Paid on time, then late money: all of the late money.
        let ps = [
            payment(2, CONFIRMED, true, 5),
            payment(1, CONFIRMED, false, 100),
        ];
        assert_eq!(
            unallocated(SessionStatus::Completed, 100, &ps),
            vec![(2, 5, 5000)]
        );
        // Dust too small to be worth a cent is still recorded.
        let dust = [Counted {
            amount_raw: 1,
            ..payment(1, CONFIRMED, true, 0)
        }];
        assert_eq!(
            unallocated(SessionStatus::Expired, 100, &dust),
            vec![(1, 0, 1)]
        );
        // Still payable, pending or reorged: nothing.
        assert!(unallocated(SessionStatus::Underpaid, 100, &ps).is_empty());
        let ps = [
            payment(1, REORGED, false, 100),
            payment(2, PENDING, true, 5),
        ];
        assert!(unallocated(SessionStatus::Expired, 100, &ps).is_empty());
    }
}
