//! Payouts to merchants (owns `settlements`): how much a paid session pays
//! out, and where each payout stands: `sent` (its transaction with the
//! sender), `retrying` (a reverted one, waiting to be tried again),
//! `confirmed`, or `failed` after the last attempt.

use tender_protocol::{ExchangeRate, Money};

use crate::clock::now_seconds;
use crate::db::WriteOne;
use crate::db::{Conn, Db};

/// The payout of one session, in the destination token's base units, and
/// the fee kept.
pub fn payout(
    due: Money,
    fee_bps: u32,
    deducted: u128,
    rate: Option<&ExchangeRate>,
    decimals: u32,
) -> Option<(u128, Money)> {
    let fee = Money::from_minor(due.minor() * u128::from(fee_bps) / 10_000, due.currency());
    let net = Money::from_minor(
        due.minor()
            .checked_sub(fee.minor())?
            .checked_sub(deducted)?,
        due.currency(),
    );
    let units = if due.currency().is_fiat() {
        rate?.to_token_units_down(net, decimals)?
    } else {
        // A token price: pay in that token, dropping digits it does not have.
        let scale = 10u128.pow(tender_protocol::money::TOKEN_PRICE_DECIMALS - decimals);
        net.minor() / scale
    };
    Some((units, fee))
}

/// A payout, its transaction asked of the sender.
pub struct NewPayout<'a> {
    pub session_id: &'a str,
    pub network: &'a str,
    pub chain_id: u64,
    pub token: &'a str,
    pub decimals: u32,
    pub address: &'a str,
    pub units: u128,
    pub fee: Money,
    /// The sender's row for its transaction; `None` when refunds owed took
    /// the whole payout and nothing is sent.
    pub outgoing_id: Option<i64>,
    /// What was taken off for the merchant's refund debts.
    pub debt_minor: u128,
}

/// Stores a payout as `sent` (or, with nothing to send, `confirmed`), once
/// per session, in the caller's transaction (with its outgoing row):
/// answers whether it was stored.
pub async fn store(conn: &mut Conn, payout: &NewPayout<'_>) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO settlements (session_id, network, chain_id, token, decimals, address, amount_raw,
                                  fee_minor, fee_currency, nonce, raw_tx, tx_hash, status,
                                  outgoing_id, attempts, created_at, updated_at, debt_minor)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, -1, '', '', $12, $10, 1, $11, $11, $13)
         ON CONFLICT (session_id) DO NOTHING",
    )
    .bind(payout.session_id)
    .bind(payout.network)
    .bind(payout.chain_id as i64)
    .bind(payout.token)
    .bind(i64::from(payout.decimals))
    .bind(payout.address)
    .bind(payout.units.to_string())
    .bind(payout.fee.minor().to_string())
    .bind(payout.fee.currency().code())
    .bind(payout.outgoing_id)
    .bind(now_seconds())
    .bind(if payout.outgoing_id.is_some() { "sent" } else { "confirmed" })
    .bind(payout.debt_minor.to_string())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// A payout on its way or waiting to be tried again.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Open {
    pub session_id: String,
    pub status: String,
    pub outgoing_id: Option<i64>,
    pub attempts: i64,
    pub next_try_at: i64,
    pub address: String,
    pub token: String,
    pub amount_raw: String,
}

/// The payouts of `chain_id` that are `sent` or `retrying`.
pub async fn open(db: &Db, chain_id: u64) -> Result<Vec<Open>, sqlx::Error> {
    sqlx::query_as(
        "SELECT session_id, status, outgoing_id, attempts, next_try_at, address, token, amount_raw
         FROM settlements WHERE chain_id = $1 AND status IN ('sent', 'retrying')",
    )
    .bind(chain_id as i64)
    .fetch_all(db)
    .await
}

/// The payout's transaction reverted (or could not be mined): try again at
/// `at` unless it was the last attempt.
pub async fn retry_at(db: &Db, session: &str, at: i64, cause: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE settlements SET status = 'retrying', next_try_at = $1, last_error = $2, updated_at = $3
         WHERE session_id = $4",
    )
    .bind(at)
    .bind(cause)
    .bind(now_seconds())
    .bind(session)
    .write(db)
    .await?;
    Ok(())
}

/// A new attempt: another transaction, in the caller's transaction.
pub async fn resend(conn: &mut Conn, session: &str, outgoing_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE settlements SET status = 'sent', outgoing_id = $1, attempts = attempts + 1,
                updated_at = $2
         WHERE session_id = $3 AND status = 'retrying'",
    )
    .bind(outgoing_id)
    .bind(now_seconds())
    .bind(session)
    .execute(conn)
    .await?;
    Ok(())
}

/// The payout failed for good, in the caller's transaction.
pub async fn fail(conn: &mut Conn, session: &str, cause: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE settlements SET status = 'failed', last_error = $1, updated_at = $2 WHERE session_id = $3",
    )
    .bind(cause)
    .bind(now_seconds())
    .bind(session)
    .execute(conn)
    .await?;
    Ok(())
}

/// The payout has its confirmations, mined in `block` as `tx_hash`; in the
/// caller's transaction (the session completes in the same one).
pub async fn confirm(
    conn: &mut Conn,
    session: &str,
    block: u64,
    tx_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE settlements SET status = 'confirmed', block_number = $1, tx_hash = $2, updated_at = $3
         WHERE session_id = $4",
    )
    .bind(block as i64)
    .bind(tx_hash)
    .bind(now_seconds())
    .bind(session)
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tender_protocol::Currency;

    fn usd(amount: &str) -> Money {
        Money::parse(amount, Currency::Usd).unwrap()
    }

    #[test]
    fn a_payout_is_the_amount_due_less_the_fee_at_the_rate_rounded_down() {
        let rate = ExchangeRate {
            token: "ETH".into(),
            currency: Currency::Usd,
            price: "2000".into(),
        };
        // 25.00 USD less 1% = 24.75 USD = 0.012375 ETH.
        let (units, fee) = payout(usd("25.00"), 100, 0, Some(&rate), 18).unwrap();
        assert_eq!(units, 12_375_000_000_000_000);
        assert_eq!(fee, usd("0.25"));
        let stable = ExchangeRate {
            token: "TUSD".into(),
            currency: Currency::Usd,
            price: "1".into(),
        };
        let (units, fee) = payout(usd("10.00"), 0, 0, Some(&stable), 6).unwrap();
        assert_eq!((units, fee.minor()), (10_000_000, 0));
        assert!(
            payout(usd("1.00"), 0, 0, None, 18).is_none(),
            "fiat needs a rate"
        );
        // 3.00 USD of refunds owed comes off the 9.90 USD left after the fee.
        let (units, _) = payout(usd("10.00"), 100, 300, Some(&stable), 6).unwrap();
        assert_eq!(units, 6_900_000);
    }
}
