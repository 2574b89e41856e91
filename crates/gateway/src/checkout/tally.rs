//! What a session's payments add up to, and the status that follows: pure
//! arithmetic, shared by the payment rules and the read model.

use alloy::primitives::U256;
use tender_protocol::SessionStatus;

/// A payment seen on chain, short of its confirmations.
pub const PENDING: &str = "pending";
/// A payment with its confirmations: it counts.
pub const CONFIRMED: &str = "confirmed";
/// A confirmed payment a reorg took off the chain: it no longer counts.
pub const REORGED: &str = "reorged";

/// The payments of a session, for deciding its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    /// Confirmed payments, in the session's fiat minor units (rounded down).
    pub confirmed_minor: u128,
    pub any_pending: bool,
}

/// What a payment is worth in the session's currency (minor units, rounded
/// down): paying a quote's full amount covers exactly what the quote covers.
pub fn worth(paid_raw: &str, covers_minor: &str, quoted_raw: &str) -> anyhow::Result<u128> {
    let paid: U256 = paid_raw.parse()?;
    let covers: U256 = covers_minor.parse()?;
    let quoted: U256 = quoted_raw.parse::<U256>()?.max(U256::from(1));
    // 256-bit: a large token amount times a large token price overflows u128.
    Ok(u128::try_from(paid * covers / quoted).unwrap_or(u128::MAX))
}

/// The status a payable session should have given its payments.
pub fn next_status(amount_due_minor: u128, tally: Tally) -> SessionStatus {
    if tally.confirmed_minor >= amount_due_minor {
        SessionStatus::Paid
    } else if tally.any_pending {
        SessionStatus::Processing
    } else if tally.confirmed_minor > 0 {
        SessionStatus::Underpaid
    } else {
        SessionStatus::Open
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn status_follows_confirmed_total_and_pending_payments() {
        let t = |confirmed_minor, any_pending| Tally {
            confirmed_minor,
            any_pending,
        };
        assert_eq!(next_status(100, t(0, false)), SessionStatus::Open);
        assert_eq!(next_status(100, t(0, true)), SessionStatus::Processing);
        assert_eq!(next_status(100, t(40, false)), SessionStatus::Underpaid);
        assert_eq!(next_status(100, t(40, true)), SessionStatus::Processing);
        assert_eq!(next_status(100, t(100, false)), SessionStatus::Paid);
        assert_eq!(next_status(100, t(150, true)), SessionStatus::Paid);
    }
}
