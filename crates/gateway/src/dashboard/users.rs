//! The people who sign in to the merchant dashboard (owns
//! `dashboard_users`): one merchant's each, by email and password. Passwords
//! are kept as argon2id hashes; five wrong ones in a row lock the account,
//! for 30 s and then twice as long at each further wrong one (an hour at
//! most), whatever the password tried meanwhile.

use std::sync::LazyLock;

use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use rand::Rng;
use tender_protocol::{MerchantId, UserId};

use crate::clock::now_seconds;
use crate::db::{Conn, Db, WriteOne, begin_write};
use crate::error::ApiError;

/// Wrong passwords in a row before the account is locked.
pub const MAX_FAILURES: i64 = 5;
const FIRST_LOCK_SECONDS: i64 = 30;
const LONGEST_LOCK_SECONDS: i64 = 3600;
/// Shortest password a user may choose.
pub const MIN_PASSWORD_CHARS: usize = 12;
const MAX_PASSWORD_BYTES: usize = 1024;

/// How a sign-in attempt ended.
#[derive(Debug)]
pub enum Checked {
    Right {
        user: UserId,
        merchant: MerchantId,
    },
    /// No such user, or the wrong password (the caller is not told which).
    Wrong,
    /// Locked for this many more seconds.
    Locked {
        seconds: i64,
    },
}

/// An argon2id hash of `password`, with a fresh salt, in PHC form.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?;
    Ok(hash.to_string())
}

fn verify(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Password checks at once, at most: each takes tens of milliseconds of CPU
/// and 19 MiB, so a flood of sign-ins waits here instead of filling the
/// blocking pool (and memory) with them.
static CHECKING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Checked against when the email is unknown, so that an unknown email
/// takes as long to refuse as a wrong password.
static UNKNOWN: LazyLock<String> =
    LazyLock::new(|| hash_password("no user has this password").expect("hashing"));

/// Refuses an email a user could not have.
pub fn check_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim().to_lowercase();
    let ok = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(email)
    } else {
        Err(ApiError::invalid("email", "email must be an email address"))
    }
}

/// Refuses a password too short or too long to be a chosen one.
pub fn check_password(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < MIN_PASSWORD_CHARS || password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::invalid(
            "password",
            format!("password must be {MIN_PASSWORD_CHARS} characters or more"),
        ));
    }
    Ok(())
}

/// Adds a user to `merchant`, in the caller's transaction.
pub async fn create(
    conn: &mut Conn,
    merchant: &MerchantId,
    email: &str,
    password: &str,
) -> Result<UserId, ApiError> {
    check_password(password)?;
    let hash = hash_password(password)?;
    insert(conn, merchant, email, &hash).await
}

/// A hash of a chosen password, made in turn with the password checks and
/// off the async threads.
pub async fn hash_in_turn(password: &str) -> Result<String, ApiError> {
    check_password(password)?;
    let password = password.to_owned();
    let _turn = CHECKING.acquire().await.map_err(anyhow::Error::from)?;
    Ok(
        tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(anyhow::Error::from)??,
    )
}

/// Adds a user with the password hash `hash`, in the caller's transaction;
/// a taken email is a conflict.
pub async fn insert(
    conn: &mut Conn,
    merchant: &MerchantId,
    email: &str,
    hash: &str,
) -> Result<UserId, ApiError> {
    let email = check_email(email)?;
    let id = UserId::generate();
    sqlx::query(
        "INSERT INTO dashboard_users (id, merchant_id, email, password_hash, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(merchant.as_str())
    .bind(&email)
    .bind(hash)
    .bind(now_seconds())
    .execute(&mut *conn)
    .await?
    .rows_affected()
    .eq(&1)
    .then_some(id)
    .ok_or_else(|| ApiError::Conflict(format!("a user with the email {email} already exists")))
}

/// Checks a sign-in, counting a wrong password against the account.
pub async fn check(db: &Db, email: &str, password: &str) -> Result<Checked, ApiError> {
    let email = email.trim().to_lowercase();
    let found: Option<(String, String, String, i64)> = sqlx::query_as(
        "SELECT id, merchant_id, password_hash, locked_until FROM dashboard_users WHERE email = $1",
    )
    .bind(&email)
    .fetch_optional(db)
    .await?;
    let now = now_seconds();
    if let Some((.., locked_until)) = &found
        && *locked_until > now
    {
        return Ok(Checked::Locked {
            seconds: locked_until - now,
        });
    }
    let hash = found
        .as_ref()
        .map_or_else(|| UNKNOWN.clone(), |(_, _, hash, _)| hash.clone());
    let attempt = password.to_owned();
    let _turn = CHECKING.acquire().await.map_err(anyhow::Error::from)?;
    // Tens of milliseconds of work on purpose: not on the async threads.
    let right = tokio::task::spawn_blocking(move || verify(&hash, &attempt))
        .await
        .map_err(anyhow::Error::from)?;
    let Some((id, merchant, ..)) = found else {
        return Ok(Checked::Wrong);
    };
    if right {
        sqlx::query(
            "UPDATE dashboard_users SET failed_attempts = 0, locked_until = 0
             WHERE id = $1 AND failed_attempts > 0",
        )
        .bind(&id)
        .write(db)
        .await?;
        return Ok(Checked::Right {
            user: UserId::parse(&id)?,
            merchant: MerchantId::parse(&merchant)?,
        });
    }
    record_failure(db, &id, now).await
}

/// Counts a wrong password; from the [`MAX_FAILURES`]th, locks the account.
async fn record_failure(db: &Db, id: &str, now: i64) -> Result<Checked, ApiError> {
    let mut tx = begin_write(db).await?;
    let (failures,): (i64,) = sqlx::query_as(
        "UPDATE dashboard_users SET failed_attempts = failed_attempts + 1 WHERE id = $1
         RETURNING failed_attempts",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let outcome = if failures >= MAX_FAILURES {
        let doublings = (failures - MAX_FAILURES).min(10) as u32;
        let seconds = (FIRST_LOCK_SECONDS << doublings).min(LONGEST_LOCK_SECONDS);
        sqlx::query("UPDATE dashboard_users SET locked_until = $2 WHERE id = $1")
            .bind(id)
            .bind(now + seconds)
            .execute(&mut *tx)
            .await?;
        tracing::warn!(user = id, failures, seconds, "dashboard account locked");
        Checked::Locked { seconds }
    } else {
        Checked::Wrong
    };
    tx.commit().await?;
    Ok(outcome)
}
