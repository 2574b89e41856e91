//! The batches' side of the group commit: batches submitted at the same
//! moment are run by one leader, joined in one query, and committed
//! together (`db::write`); the leader also catches up with SQLite's log
//! when it has grown long.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::oneshot;

use super::super::Db;
use super::super::batch::{Batch, Failed, Joined, next_alike};
use super::{Answer, Held, MOST, Queued, Shared, Writers, fail, flush, writers};

/// Runs `batch` and commits it with the other batches submitted meanwhile:
/// their one leader runs them all in one round trip and commits for all (a
/// batch that fails is then run again alone, in a savepoint, so it fails
/// alone).
pub async fn submit(db: &Db, batch: Batch) -> Result<(), sqlx::Error> {
    let writers = writers(db);
    let (answer, committed) = oneshot::channel();
    let first = {
        let mut submitted = writers.batches.lock().expect("group commit batches");
        submitted.batches.push((batch, answer));
        !std::mem::replace(&mut submitted.leading, true)
    };
    if first {
        // In a task of its own: a caller that stops waiting does not stop
        // the batches of the others.
        tokio::spawn(leader(writers));
    }
    committed
        .await
        .map_err(|_| sqlx::Error::Protocol("the group commit ended unanswered".into()))?
        .map_err(sqlx::Error::from)
}

/// Runs the submitted batches, as many at a time as have come, until none
/// is left. The turn is taken anew for each group, behind the writers who
/// queued for it meanwhile: batches that never stop coming do not keep it
/// from them (the webhook dispatcher's claims, say).
async fn leader(writers: Arc<Writers>) {
    let mut ends = LeaderEnds {
        writers: writers.clone(),
        done: false,
    };
    loop {
        let mut shared = {
            writers.queued.fetch_add(1, Ordering::AcqRel);
            let _queued = Queued(&writers.queued);
            Held::take(&writers.shared).await
        };
        let batches: Option<Vec<_>> = {
            let mut submitted = writers.batches.lock().expect("group commit batches");
            let n = submitted.batches.len().min(MOST);
            // Cleared in the same hold as the last look: a batch submitted
            // after it finds no leader and starts one.
            submitted.leading = n > 0;
            ends.done = n == 0;
            (n > 0).then(|| submitted.batches.drain(..n).collect())
        };
        let Some(batches) = batches else {
            // A writer before may have left its changes for us to commit.
            if !shared.waiting.is_empty() {
                flush(&mut shared).await;
            }
            return;
        };
        lead(&writers.db, &mut shared, batches).await;
        flush(&mut shared).await;
        if writers.catch_up.swap(false, Ordering::AcqRel) {
            // Between two commits, in the turn: nothing is added to the
            // log meanwhile, so the checkpoint can copy all of it (passive:
            // it waits for no reader; one still reading old pages leaves
            // them for the next time).
            if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&writers.db)
                .await
            {
                tracing::warn!(error = %err, "checkpoint failed");
            }
        }
    }
}

/// A leader's end other than its own (a panic): the batches still waiting
/// are answered with an error (their senders dropped) rather than left
/// without a leader, and the next one submitted starts one.
struct LeaderEnds {
    writers: Arc<Writers>,
    /// Ended by finding nothing left, `leading` already cleared.
    done: bool,
}

impl Drop for LeaderEnds {
    fn drop(&mut self) {
        if !self.done
            && let Ok(mut submitted) = self.writers.batches.lock()
        {
            submitted.leading = false;
            submitted.batches.clear();
        }
    }
}

/// Asks the batches' leader to checkpoint the log after its next commit.
/// Under writes that never pause a checkpoint beside them never catches up
/// with the last commit, and SQLite starts the log again from its
/// beginning only once one has: written only at its end, it grew by
/// gigabytes (each write past its end also made the file system zero new
/// blocks). Caught up between two commits, the next one starts it again.
pub fn catch_up(db: &Db) {
    writers(db).catch_up.store(true, Ordering::Release);
}

/// Runs batches in the shared transaction: all in one query, or, if that
/// fails, each in a savepoint of its own. Those that ran wait for the commit.
async fn lead(db: &Db, shared: &mut Shared, mut batches: Vec<(Batch, Answer)>) {
    if shared.tx.is_none() {
        match db.begin_with("BEGIN IMMEDIATE").await {
            Ok(tx) => shared.tx = Some(tx),
            Err(err) => {
                for (_, answer) in batches {
                    let _ = answer.send(Err(Failed::Shared(err.to_string())));
                }
                return;
            }
        }
    }
    // Joined with their like only: a joined query is kept prepared by its
    // text, and mixing kinds in any order would make ever new texts (each
    // a few hundred KB of SQLite's memory, a hundred kept per connection).
    // Callers in one group are independent, so any order is theirs.
    batches.sort_by_cached_key(|(batch, _)| batch.shape());
    while !batches.is_empty() {
        let rest = batches.split_off(next_alike(&batches, |(batch, _)| batch));
        if let Err(err) = run_joined(shared, batches).await {
            fail(shared, &err);
            for (_, answer) in rest {
                let _ = answer.send(Err(Failed::Shared(format!(
                    "the shared transaction failed: {err}"
                ))));
            }
            return;
        }
        batches = rest;
    }
}

/// Runs batches as one query; if it fails, each again in a savepoint of
/// its own, so only a bad one fails. An error here means the shared
/// transaction itself is gone.
async fn run_joined(shared: &mut Shared, batches: Vec<(Batch, Answer)>) -> Result<(), sqlx::Error> {
    let Some(tx) = shared.tx.as_mut() else {
        return Err(sqlx::Error::Protocol("no shared transaction".into()));
    };
    let mut joined = Joined::default();
    joined.statement("SAVEPOINT batches", Vec::new());
    for (batch, _) in &batches {
        joined.push(batch.clone());
    }
    if joined.run(tx).await.is_ok() {
        shared
            .waiting
            .extend(batches.into_iter().map(|(_, answer)| answer));
        return Ok(());
    }
    sqlx::query("ROLLBACK TO batches")
        .execute(&mut **tx)
        .await?;
    for (batch, answer) in batches {
        sqlx::query("SAVEPOINT writer").execute(&mut **tx).await?;
        match batch.run(tx).await {
            Ok(()) => shared.waiting.push(answer),
            Err(err) => {
                let _ = answer.send(Err(Failed::Own(err)));
                sqlx::query("ROLLBACK TO writer; RELEASE writer")
                    .execute(&mut **tx)
                    .await?;
            }
        }
    }
    Ok(())
}
