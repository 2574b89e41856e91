//! Payouts to merchants (owns `settlements`): how much a paid session pays
//! out, and each payout transaction, stored signed before it is broadcast
//! (`sent`), then `confirmed` or `failed`.

use tender_protocol::{ExchangeRate, Money};

use crate::chain::treasury::Signed;
use crate::clock::now_seconds;
use crate::db::{Conn, Db};

/// The payout of one session, in the destination token's base units, and
/// the fee kept.
pub fn payout(
    due: Money,
    fee_bps: u32,
    rate: Option<&ExchangeRate>,
    decimals: u32,
) -> Option<(u128, Money)> {
    let fee = Money::from_minor(due.minor() * u128::from(fee_bps) / 10_000, due.currency());
    let net = Money::from_minor(due.minor() - fee.minor(), due.currency());
    let units = if due.currency().is_fiat() {
        rate?.to_token_units_down(net, decimals)?
    } else {
        // A token price: pay in that token, dropping digits it does not have.
        let scale = 10u128.pow(tender_protocol::money::TOKEN_PRICE_DECIMALS - decimals);
        net.minor() / scale
    };
    Some((units, fee))
}

/// A payout about to be broadcast.
pub struct NewPayout<'a> {
    pub session_id: &'a str,
    pub network: &'a str,
    pub chain_id: u64,
    pub token: &'a str,
    pub decimals: u32,
    pub address: &'a str,
    pub units: u128,
    pub fee: Money,
    pub nonce: u64,
    pub signed: &'a Signed,
}

/// Stores a signed payout as `sent`, once per session: answers whether it
/// was stored (and so may be broadcast).
pub async fn store(db: &Db, payout: &NewPayout<'_>) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO settlements (session_id, network, chain_id, token, decimals, address, amount_raw,
                                  fee_minor, fee_currency, nonce, raw_tx, tx_hash, status,
                                  created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'sent', $13, $13)
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
    .bind(payout.nonce as i64)
    .bind(payout.signed.raw.to_string())
    .bind(payout.signed.hash.to_string())
    .bind(now_seconds())
    .execute(db)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// A payout on its way: (session id, tx hash, raw transaction).
pub async fn in_flight(
    db: &Db,
    chain_id: u64,
) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT session_id, tx_hash, raw_tx FROM settlements WHERE chain_id = $1 AND status = 'sent'",
    )
    .bind(chain_id as i64)
    .fetch_all(db)
    .await
}

/// The payout's transaction reverted.
pub async fn fail(db: &Db, session: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE settlements SET status = 'failed', updated_at = $1 WHERE session_id = $2")
        .bind(now_seconds())
        .bind(session)
        .execute(db)
        .await?;
    Ok(())
}

/// The payout has its confirmations, mined in `block`; in the caller's
/// transaction (the session completes in the same one).
pub async fn confirm(conn: &mut Conn, session: &str, block: u64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE settlements SET status = 'confirmed', block_number = $1, updated_at = $2
         WHERE session_id = $3",
    )
    .bind(block as i64)
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
        let (units, fee) = payout(usd("25.00"), 100, Some(&rate), 18).unwrap();
        assert_eq!(units, 12_375_000_000_000_000);
        assert_eq!(fee, usd("0.25"));
        let stable = ExchangeRate {
            token: "TUSD".into(),
            currency: Currency::Usd,
            price: "1".into(),
        };
        let (units, fee) = payout(usd("10.00"), 0, Some(&stable), 6).unwrap();
        assert_eq!((units, fee.minor()), (10_000_000, 0));
        assert!(
            payout(usd("1.00"), 0, None, 18).is_none(),
            "fiat needs a rate"
        );
    }
}
