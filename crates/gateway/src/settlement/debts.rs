//! What merchants owe for refunds of their payments (owns
//! `merchant_debts`): recorded when such a refund is paid out, and taken
//! off the merchant's next payouts in the same currency, oldest first.

use tender_protocol::Currency;

use crate::clock::now_seconds;
use crate::db::Conn;
use crate::refunds::store::Row;

/// Records the debt a paid-out refund of a payment leaves, once.
pub async fn record(conn: &mut Conn, refund: &Row) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO merchant_debts (refund_id, merchant_id, currency, amount_minor, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (refund_id) DO NOTHING",
    )
    .bind(&refund.id)
    .bind(&refund.merchant_id)
    .bind(&refund.currency)
    .bind(&refund.amount_minor)
    .bind(now_seconds())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What `merchant` still owes in `currency`, debt by debt, oldest first:
/// (refund, still owed, repaid so far).
async fn open(
    conn: &mut Conn,
    merchant: &str,
    currency: Currency,
) -> anyhow::Result<Vec<(String, u128, u128)>> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT refund_id, amount_minor, repaid_minor FROM merchant_debts
         WHERE merchant_id = $1 AND currency = $2 ORDER BY created_at, refund_id",
    )
    .bind(merchant)
    .bind(currency.code())
    .fetch_all(&mut *conn)
    .await?;
    let mut open = Vec::new();
    for (refund, amount, repaid) in rows {
        let repaid: u128 = repaid.parse()?;
        let left = amount.parse::<u128>()?.saturating_sub(repaid);
        if left > 0 {
            open.push((refund, left, repaid));
        }
    }
    Ok(open)
}

/// Takes up to `at_most` off what `merchant` owes in `currency`, in the
/// caller's transaction; answers how much was taken.
pub async fn repay(
    conn: &mut Conn,
    merchant: &str,
    currency: Currency,
    at_most: u128,
) -> anyhow::Result<u128> {
    let mut taken = 0u128;
    for (refund, left, repaid) in open(conn, merchant, currency).await? {
        let take = left.min(at_most - taken);
        if take == 0 {
            break;
        }
        sqlx::query("UPDATE merchant_debts SET repaid_minor = $1 WHERE refund_id = $2")
            .bind((repaid + take).to_string())
            .bind(&refund)
            .execute(&mut *conn)
            .await?;
        taken += take;
    }
    Ok(taken)
}
