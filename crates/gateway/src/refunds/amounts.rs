//! What a session can give back, and in which coins: its unallocated money
//! by (network, token), or what paid it, less the refunds already standing.

use alloy::primitives::U256;
use tender_protocol::{Money, RefundSource, SessionId};

use crate::db::Conn;
use crate::refunds::store::Row;

/// Coins on one network in one token, and their value in the session's
/// currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub chain_id: i64,
    pub token: String,
    pub raw: u128,
    pub minor: u128,
    /// The rate the coins were valued at (payments only).
    pub rate: Option<String>,
}

impl Bucket {
    /// The share of the coins `minor` of their value stands for (rounded
    /// down); all of them for all of the value.
    pub fn raw_for(&self, minor: u128) -> u128 {
        if minor >= self.minor {
            return self.raw;
        }
        let share = U256::from(self.raw) * U256::from(minor) / U256::from(self.minor.max(1));
        u128::try_from(share).unwrap_or(self.raw)
    }
}

/// The session's unallocated money by (network, token), less what standing
/// refunds of it take; the fullest first.
pub async fn unallocated(
    conn: &mut Conn,
    session: &SessionId,
    standing: &[Row],
) -> anyhow::Result<Vec<Bucket>> {
    let parts: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT chain_id, token, amount_raw, amount_minor FROM unallocated WHERE session_id = $1",
    )
    .bind(session.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let mut buckets: Vec<Bucket> = Vec::new();
    for (chain_id, token, raw, minor) in parts {
        let (raw, minor): (u128, u128) = (raw.parse()?, minor.parse()?);
        match buckets
            .iter_mut()
            .find(|b| b.chain_id == chain_id && b.token == token)
        {
            Some(bucket) => {
                bucket.raw += raw;
                bucket.minor += minor;
            }
            None => buckets.push(Bucket {
                chain_id,
                token,
                raw,
                minor,
                rate: None,
            }),
        }
    }
    for refund in standing {
        if refund.source()? != RefundSource::Unallocated {
            continue;
        }
        if let Some(bucket) = buckets
            .iter_mut()
            .find(|b| b.chain_id == refund.chain_id && b.token == refund.token)
        {
            bucket.raw = bucket.raw.saturating_sub(refund.amount_raw()?.unwrap_or(0));
            bucket.minor = bucket.minor.saturating_sub(refund.amount()?.minor());
        }
    }
    buckets.retain(|b| b.raw > 0);
    buckets.sort_by_key(|b| std::cmp::Reverse((b.minor, b.raw)));
    Ok(buckets)
}

/// The session's largest confirmed payment: the coins a refund of what
/// paid it goes back in.
pub async fn main_payment(conn: &mut Conn, session: &SessionId) -> anyhow::Result<Option<Bucket>> {
    #[derive(sqlx::FromRow)]
    struct Paid {
        chain_id: i64,
        token: String,
        amount_raw: String,
        credited_minor: Option<String>,
        credited_rate: Option<String>,
    }
    let rows: Vec<Paid> = sqlx::query_as(
        "SELECT chain_id, token, amount_raw, credited_minor, credited_rate FROM payments
         WHERE session_id = $1 AND status = 'confirmed'",
    )
    .bind(session.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let mut best: Option<Bucket> = None;
    for row in rows {
        let bucket = Bucket {
            chain_id: row.chain_id,
            token: row.token,
            raw: row.amount_raw.parse()?,
            minor: row.credited_minor.as_deref().unwrap_or("0").parse()?,
            rate: row.credited_rate,
        };
        if best.as_ref().is_none_or(|b| bucket.minor > b.minor) {
            best = Some(bucket);
        }
    }
    Ok(best)
}

/// What can still be refunded of what paid the session: the amount due
/// less the standing refunds of payments.
pub fn of_payment(due: Money, standing: &[Row]) -> anyhow::Result<u128> {
    let mut left = due.minor();
    for refund in standing {
        if refund.source()? == RefundSource::Payment {
            left = left.saturating_sub(refund.amount()?.minor());
        }
    }
    Ok(left)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_of_the_value_is_the_same_share_of_the_coins() {
        let bucket = Bucket {
            chain_id: 1,
            token: "ETH".into(),
            raw: 12_500_000_000_000_000,
            minor: 2500,
            rate: None,
        };
        assert_eq!(bucket.raw_for(1000), 5_000_000_000_000_000);
        assert_eq!(bucket.raw_for(2500), bucket.raw);
        assert_eq!(bucket.raw_for(9999), bucket.raw);
    }
}
