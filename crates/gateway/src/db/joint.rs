//! PostgreSQL: one-statement batches that lock one row
//! ([`Batch::as_one_statement_locking`]) submitted at the same moment run
//! as one statement, a few of one row and one shape at a time
//! ([`JOINED`](super::batch::JOINED)). Each statement costs the
//! database its round trip, its planning and its commit whatever it
//! carries, and a merchant's event counter is a row lock held to the
//! commit: sixteen creates in one statement take that lock once where
//! sixteen statements would queue for it one by one. A joined statement
//! that fails (all of it undone: it is one statement) is run again a
//! batch at a time, so only a bad batch fails.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use tokio::sync::{Semaphore, oneshot};

use super::batch::{Batch, Failed, next_alike};
use super::{Db, serial};

/// Joined statements of one process running at once, at most (of as many
/// rows): the pool keeps connections for the reads.
const AT_ONCE: usize = 4;
/// Batches taken by one statement, at most (the largest join).
const MOST: usize = super::batch::JOINED[0];

type Answer = oneshot::Sender<Result<(), Failed>>;

/// One database's batches waiting, by the row they lock.
struct Queue {
    /// A row's batches waiting; a row is here while a runner of its runs.
    waiting: Mutex<HashMap<String, Vec<(Batch, Answer)>>>,
    runners: Semaphore,
}

fn queue(db: &Db) -> Arc<Queue> {
    static QUEUES: LazyLock<Mutex<HashMap<String, Arc<Queue>>>> = LazyLock::new(Default::default);
    let url = db.connect_options().database_url.to_string();
    QUEUES
        .lock()
        .expect("joint queues")
        .entry(url)
        .or_insert_with(|| {
            Arc::new(Queue {
                waiting: Mutex::default(),
                runners: Semaphore::new(AT_ONCE),
            })
        })
        .clone()
}

/// Runs `batch` (one statement on its own), joined with the batches that
/// lock its row and come while one statement of that row runs: a row has
/// one statement at a time (they would queue for its lock anyway), and
/// what arrives meanwhile goes in its next. Answers once committed.
pub async fn submit(db: &Db, batch: Batch) -> Result<(), sqlx::Error> {
    let Some(lock) = batch.lock().map(str::to_owned) else {
        return once(db, batch).await;
    };
    let queue = queue(db);
    let (answer, done) = oneshot::channel();
    let first = {
        let mut waiting = queue.waiting.lock().expect("joint batches");
        let mut first = false;
        waiting
            .entry(lock.clone())
            .or_insert_with(|| {
                first = true;
                Vec::new()
            })
            .push((batch, answer));
        first
    };
    if first {
        // In a task of its own: a caller that stops waiting does not stop
        // the batches of the others.
        tokio::spawn(runner(db.clone(), queue, lock));
    }
    done.await
        .map_err(|_| sqlx::Error::Protocol("the joined statement ended unanswered".into()))?
        .map_err(sqlx::Error::from)
}

/// Runs `lock`'s batches, as many at a time as have come, until none is
/// left (then the row leaves the queue, in the same hold of it, so a batch
/// is never left without a runner).
async fn runner(db: Db, queue: Arc<Queue>, lock: String) {
    let mut ends = Ends {
        queue: queue.clone(),
        lock: lock.clone(),
        done: false,
    };
    loop {
        let mut batches: Vec<_> = {
            let mut waiting = queue.waiting.lock().expect("joint batches");
            let Some(row) = waiting.get_mut(&lock) else {
                ends.done = true;
                return;
            };
            if row.is_empty() {
                waiting.remove(&lock);
                ends.done = true;
                return;
            }
            let n = row.len().min(MOST);
            row.drain(..n).collect()
        };
        let Ok(_turn) = queue.runners.acquire().await else {
            return;
        };
        batches.sort_by_cached_key(|(batch, _)| batch.shape());
        while !batches.is_empty() {
            let rest = batches.split_off(next_alike(&batches, |(batch, _)| batch));
            run(&db, batches).await;
            batches = rest;
        }
    }
}

/// A runner's end other than its own (a panic): its row leaves the
/// queue, and batches still waiting there are answered with an error
/// (their senders dropped) rather than left without a runner.
struct Ends {
    queue: Arc<Queue>,
    lock: String,
    /// Ended by finding nothing left, the row already out of the queue.
    done: bool,
}

impl Drop for Ends {
    fn drop(&mut self) {
        if !self.done
            && let Ok(mut waiting) = self.queue.waiting.lock()
        {
            waiting.remove(&self.lock);
        }
    }
}

/// Runs batches of one shape as one statement, or each alone if that
/// fails, and answers each.
async fn run(db: &Db, batches: Vec<(Batch, Answer)>) {
    if batches.len() > 1 {
        let mut joined = Batch::new();
        joined.as_one_statement();
        for (batch, _) in &batches {
            joined.append(batch.clone());
        }
        if once(db, joined).await.is_ok() {
            for (_, answer) in batches {
                let _ = answer.send(Ok(()));
            }
            return;
        }
    }
    for (batch, answer) in batches {
        let _ = answer.send(once(db, batch).await.map_err(Failed::Own));
    }
}

/// Runs one statement, counting the time it holds what it locks.
async fn once(db: &Db, batch: Batch) -> Result<(), sqlx::Error> {
    let mut conn = db.acquire().await?;
    let started = std::time::Instant::now();
    batch.run(&mut conn).await?;
    serial::record(started.elapsed());
    Ok(())
}
