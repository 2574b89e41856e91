//! The batches' side of the group commit: batches submitted at the same
//! moment are run by one leader on the batches' own connection (`direct`)
//! and committed together (`db::write`); the leader also catches up with
//! SQLite's log when it has grown long.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::oneshot;

use super::super::Db;
use super::super::batch::{Batch, Row};
use super::{Held, MOST, Queued, Returned, Shared, Writers, flush, writers};

/// Runs `batch` and commits it with the other batches submitted meanwhile:
/// their one leader runs them all on the batches' connection, each in a
/// savepoint (one that fails, fails alone), and commits for all; answers
/// the rows the batch read back.
pub async fn submit(db: &Db, batch: Batch) -> Result<Vec<Row>, sqlx::Error> {
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
/// is left. The leader's thread runs group after group while nobody else
/// waits for the turn; once a writer queues for it, the turn is handed
/// back and taken anew behind that writer: batches that never stop coming
/// do not keep it from them (a payment's confirmation, say).
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
        lead(&writers, &mut shared, batches).await;
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

/// Runs batches on the batches' own connection (`direct`), in a
/// transaction of their own after the writers' (committed first: the two
/// connections never write at once), and answers each; then, on the same
/// thread, those submitted meanwhile ([`more`]).
async fn lead(writers: &Arc<Writers>, shared: &mut Shared, batches: Vec<(Batch, Returned)>) {
    if !shared.waiting.is_empty() || shared.tx.is_some() {
        flush(shared).await;
    }
    let more = {
        let writers = writers.clone();
        move || more(&writers)
    };
    writers.direct.run(batches, more).await;
}

/// The next group for the leader's thread, taken while it holds the turn:
/// none once a writer waits for the turn or the log is to be caught up
/// (both wait for the leader to hand the turn back).
fn more(writers: &Writers) -> Vec<(Batch, Returned)> {
    if writers.queued.load(Ordering::Acquire) > 0 || writers.catch_up.load(Ordering::Acquire) {
        return Vec::new();
    }
    let mut submitted = writers.batches.lock().expect("group commit batches");
    let n = submitted.batches.len().min(MOST);
    submitted.batches.drain(..n).collect()
}
