//! Money that paid nothing (owns `unallocated`): the part of each confirmed
//! payment its session did not need. It is a claim on the gateway, kept
//! apart from its own money even once the coins are swept into the
//! treasury, until it is refunded.

use tender_protocol::{Currency, SessionId};

use crate::clock::now_seconds;
use crate::db::Conn;

/// A payment's unallocated part: (payment id, minor units, base units).
pub type Part = (i64, u128, u128);

/// Makes the session's unallocated record `parts` (in its `currency`),
/// in the caller's transaction; answers whether it grew (a payment's part
/// new or larger, dust worth nothing in the currency included).
pub async fn replace(
    conn: &mut Conn,
    session: &SessionId,
    currency: Currency,
    parts: &[Part],
) -> anyhow::Result<bool> {
    let before: Vec<(i64, String)> =
        sqlx::query_as("SELECT payment_id, amount_raw FROM unallocated WHERE session_id = $1")
            .bind(session.as_str())
            .fetch_all(&mut *conn)
            .await?;
    sqlx::query("DELETE FROM unallocated WHERE session_id = $1")
        .bind(session.as_str())
        .execute(&mut *conn)
        .await?;
    for (payment, minor, raw) in parts {
        sqlx::query(
            "INSERT INTO unallocated (payment_id, session_id, chain_id, token, amount_raw,
                                      amount_minor, currency, created_at)
             SELECT p.id, p.session_id, p.chain_id, p.token, $2, $3, $4, $5
             FROM payments p WHERE p.id = $1",
        )
        .bind(payment)
        .bind(raw.to_string())
        .bind(minor.to_string())
        .bind(currency.code())
        .bind(now_seconds())
        .execute(&mut *conn)
        .await?;
    }
    let grew = parts.iter().any(|(payment, _, raw)| {
        !before.iter().any(|(had, had_raw)| {
            had == payment && had_raw.parse::<u128>().is_ok_and(|r| r >= *raw)
        })
    });
    Ok(grew)
}
