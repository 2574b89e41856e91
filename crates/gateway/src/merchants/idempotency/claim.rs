//! Claiming a key before its request runs: this process's requests wait
//! for each other in memory ([`Flight`]); on PostgreSQL, where several
//! instances share the table, a key is also claimed by a row of no answer.
//! What a key is found to be ([`Claim`]) decides what the middleware does.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use crate::clock::now_seconds;
use crate::db::{Backend, Db, WriteOne};
use crate::error::ApiError;
use crate::state::AppState;

use super::{KEEP_SECONDS, Pending};

/// A claim with no answer after this long is taken to have died with its
/// process, and the key is free again.
const ABANDONED_SECONDS: i64 = 60;
/// How long a concurrent duplicate waits for the first request's answer.
const WAIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(25);

/// The keys this process is running a request for.
static IN_FLIGHT: LazyLock<Mutex<HashSet<(String, String)>>> = LazyLock::new(Default::default);

/// This process's hold on a key while its request runs.
pub(super) struct Flight((String, String));

impl Flight {
    pub(super) fn take(scope: &str, key: &str) -> Option<Self> {
        let entry = (scope.to_owned(), key.to_owned());
        let taken = IN_FLIGHT
            .lock()
            .expect("idempotency in flight")
            .insert(entry.clone());
        // Made only when taken: dropping one releases the key.
        taken.then(|| Flight(entry))
    }
}

impl Drop for Flight {
    fn drop(&mut self) {
        IN_FLIGHT
            .lock()
            .expect("idempotency in flight")
            .remove(&self.0);
    }
}

pub(super) enum Claim {
    /// This request is the first with its key: run it.
    Fresh(Flight),
    /// The first answer, to send again.
    Replay(u16, Vec<u8>),
    /// The key was used with a different request.
    Mismatch,
    /// The first request has not finished within the wait.
    InProgress,
}

/// A kept key: the request's hash, the answer's status and body (none yet
/// while claimed), when it was made.
type Stored = (String, Option<i64>, Option<Vec<u8>>, i64);

/// Looks at the key of `pending`, `held` already or taken here.
pub(super) async fn claim(
    state: &AppState,
    pending: &Pending,
    mut held: Option<Flight>,
) -> Result<Claim, ApiError> {
    let (scope, key, hash) = (&pending.scope[..], &pending.key[..], &pending.hash[..]);
    let started = tokio::time::Instant::now();
    loop {
        let now = now_seconds();
        // Held before reading: a request of this process with the key
        // keeps its answer before it lets go, so what we read is current.
        let mut flight = held.take().or_else(|| Flight::take(scope, key));
        // On PostgreSQL a key not seen before (the usual case) is claimed
        // at once, in one statement, without reading it first.
        let shared = Backend::of(&state.db) == Backend::Postgres;
        if let Some(held) = flight.take_if(|_| shared) {
            if claimed_in_database(&state.db, scope, key, hash, now).await? {
                return Ok(Claim::Fresh(held));
            }
            flight = Some(held);
        }
        let row: Option<Stored> = sqlx::query_as(
            "SELECT request_hash, status_code, response_body, created_at FROM idempotency_keys
             WHERE scope = $1 AND key = $2",
        )
        .bind(scope)
        .bind(key)
        .fetch_optional(&state.db)
        .await?;
        match row {
            Some((_, status, _, created))
                if created < now - KEEP_SECONDS
                    || (status.is_none() && created < now - ABANDONED_SECONDS) =>
            {
                // Past its window, or a claim whose process died: free.
                sqlx::query(
                    "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND created_at = $3",
                )
                .bind(scope)
                .bind(key)
                .bind(created)
                .write(&state.db)
                .await?;
                continue;
            }
            Some((stored, _, _, _)) if stored != hash => return Ok(Claim::Mismatch),
            Some((_, Some(status), body, _)) => {
                return Ok(Claim::Replay(status as u16, body.unwrap_or_default()));
            }
            Some(_) => {}
            None => {
                // One process per SQLite file: holding the key here is the
                // claim.
                if !shared && let Some(flight) = flight {
                    return Ok(Claim::Fresh(flight));
                }
                // Else running here, or (on PostgreSQL) its claim gone
                // between our two statements: look again.
            }
        }
        if started.elapsed() >= WAIT {
            return Ok(Claim::InProgress);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Claims a key this process holds on PostgreSQL, where several instances
/// share the table, with a row of no answer: false if the key has a row
/// already (claimed elsewhere, answered, or past its window).
async fn claimed_in_database(
    db: &Db,
    scope: &str,
    key: &str,
    hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (scope, key, request_hash, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (scope, key) DO NOTHING",
    )
    .bind(scope)
    .bind(key)
    .bind(hash)
    .bind(now)
    .write(db)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}
