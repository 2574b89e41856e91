//! SQLite group commit: this process's writers to one database share one
//! transaction. Each writer works inside a savepoint of its own (so one
//! failing is rolled back alone) and is answered only once the shared
//! transaction commits; the writer that finds nobody queued behind it (or
//! that fills the group) commits for everyone. One commit then carries many
//! changes, and writers queue here, in order, rather than on SQLite's lock.
//! A writer's savepoint is never released on its own: each one nests in the
//! one before, and a writer that gives up rolls back to its own (the
//! innermost of the name) and releases it. Batches (`db::write`) take the
//! same turn but run on a connection of their own (`batches`, `direct`).

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

use super::batch::{Batch, Failed, Row};
use super::{Conn, Db, Tx, serial};

mod batches;
mod direct;

pub use batches::{catch_up, submit};

/// Changes committed together, at most.
const MOST: usize = 64;
/// How long a writer waits for the one behind it to commit for both before
/// committing itself (the one behind may have given up).
const HANDOVER: Duration = Duration::from_millis(50);

type Answer = oneshot::Sender<Result<(), Failed>>;
/// A batch's answer: the rows it read back, once committed.
type Returned = oneshot::Sender<Result<Vec<Row>, Failed>>;

/// The transaction writers share, between commits.
#[derive(Default)]
struct Shared {
    tx: Option<Tx>,
    /// Writers whose changes are in `tx`, waiting for its commit.
    waiting: Vec<Answer>,
}

/// One database's writers.
struct Writers {
    /// Their one connection.
    db: Db,
    shared: Arc<Mutex<Shared>>,
    /// Writers waiting for their turn.
    queued: AtomicUsize,
    /// The log is long: the batches' leader checkpoints it after its
    /// next commit ([`catch_up`]).
    catch_up: AtomicBool,
    /// Batches submitted, waiting for their leader to run them all at once.
    batches: std::sync::Mutex<Submitted>,
    /// The connection their leader runs them on.
    direct: direct::Direct,
}

/// Batches waiting, and whether a leader is on its way to run them.
#[derive(Default)]
struct Submitted {
    batches: Vec<(Batch, Returned)>,
    leading: bool,
}

fn writers(db: &Db) -> Arc<Writers> {
    static WRITERS: LazyLock<std::sync::Mutex<HashMap<String, Arc<Writers>>>> =
        LazyLock::new(Default::default);
    let url = db.connect_options().database_url.to_string();
    WRITERS
        .lock()
        .expect("group commit writers")
        .entry(url)
        .or_insert_with(|| {
            Arc::new(Writers {
                db: super::writer_pool(db),
                shared: Arc::default(),
                queued: AtomicUsize::new(0),
                catch_up: AtomicBool::new(false),
                batches: std::sync::Mutex::default(),
                direct: direct::Direct::of(db),
            })
        })
        .clone()
}

/// The turn: the shared transaction, held by one writer (or one batch
/// leader) at a time; how long each holds it is counted (`serial`).
struct Held {
    guard: OwnedMutexGuard<Shared>,
    since: std::time::Instant,
}

impl Held {
    async fn take(shared: &Arc<Mutex<Shared>>) -> Self {
        let guard = shared.clone().lock_owned().await;
        Self {
            guard,
            since: std::time::Instant::now(),
        }
    }
}

impl Deref for Held {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.guard
    }
}

impl DerefMut for Held {
    fn deref_mut(&mut self) -> &mut Shared {
        &mut self.guard
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        serial::record(self.since.elapsed());
    }
}

/// One writer's part of the shared transaction.
pub struct Turn {
    writers: Arc<Writers>,
    shared: Option<Held>,
}

/// Counts a writer as queued until it has its turn (or gives up waiting).
struct Queued<'a>(&'a AtomicUsize);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Waits for this writer's turn and opens its savepoint, beginning the
/// shared transaction if none is open.
pub async fn begin(db: &Db) -> Result<Turn, sqlx::Error> {
    let writers = writers(db);
    let mut shared = {
        writers.queued.fetch_add(1, Ordering::AcqRel);
        let _queued = Queued(&writers.queued);
        Held::take(&writers.shared).await
    };
    if shared.tx.is_none() {
        shared.tx = Some(writers.db.begin_with("BEGIN IMMEDIATE").await?);
    }
    let tx = shared.tx.as_mut().expect("just opened");
    if let Err(err) = sqlx::query("SAVEPOINT writer").execute(&mut **tx).await {
        fail(&mut shared, &err);
        return Err(err);
    }
    Ok(Turn {
        writers,
        shared: Some(shared),
    })
}

impl Deref for Turn {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.shared
            .as_ref()
            .and_then(|s| s.tx.as_ref())
            .expect("a turn holds its transaction until it ends")
    }
}

impl DerefMut for Turn {
    fn deref_mut(&mut self) -> &mut Conn {
        self.shared
            .as_mut()
            .and_then(|s| s.tx.as_mut())
            .expect("a turn holds its transaction until it ends")
    }
}

impl Turn {
    /// Keeps this writer's changes and answers once they are committed.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        let mut shared = self.shared.take().expect("a turn ends once");
        // The savepoint stays open: the next writer's nests inside it, and
        // the commit releases them all (one statement less per writer).
        let (answer, mut committed) = oneshot::channel();
        shared.waiting.push(answer);
        if self.writers.queued.load(Ordering::Acquire) == 0 || shared.waiting.len() >= MOST {
            // In a task of its own: a caller that stops waiting does not
            // stop the commit the others wait for.
            tokio::spawn(async move { flush(&mut shared).await });
        } else {
            drop(shared);
        }
        let outcome = match tokio::time::timeout(HANDOVER, &mut committed).await {
            Ok(outcome) => outcome,
            Err(_) => {
                // The writer behind did not commit for us: commit now.
                let writers = self.writers.clone();
                tokio::spawn(async move {
                    let mut shared = Held::take(&writers.shared).await;
                    if !shared.waiting.is_empty() {
                        flush(&mut shared).await;
                    }
                });
                committed.await
            }
        };
        outcome
            .map_err(|_| sqlx::Error::Protocol("the group commit ended unanswered".into()))?
            .map_err(sqlx::Error::from)
    }
}

impl Drop for Turn {
    /// A writer that ends without committing has its savepoint rolled back
    /// before anyone else writes (the turn stays held until then).
    fn drop(&mut self) {
        let Some(mut shared) = self.shared.take() else {
            return;
        };
        let writers = self.writers.clone();
        tokio::spawn(async move {
            let Some(tx) = shared.tx.as_mut() else { return };
            let mut undone = sqlx::query("ROLLBACK TO writer").execute(&mut **tx).await;
            if undone.is_ok() {
                undone = sqlx::query("RELEASE writer").execute(&mut **tx).await;
            }
            match undone {
                Err(err) => fail(&mut shared, &err),
                Ok(_) if shared.waiting.is_empty() => {
                    // Nothing of anyone's: end the transaction.
                    if let Some(tx) = shared.tx.take() {
                        let _ = tx.rollback().await;
                    }
                }
                Ok(_) if writers.queued.load(Ordering::Acquire) == 0 => flush(&mut shared).await,
                Ok(_) => {}
            }
        });
    }
}

/// Commits the shared transaction and answers everyone in it.
async fn flush(shared: &mut Shared) {
    let outcome = match shared.tx.take() {
        Some(tx) => tx.commit().await.map_err(|e| e.to_string()),
        None => Err("the shared transaction was already gone".to_owned()),
    };
    for answer in shared.waiting.drain(..) {
        let _ = answer.send(outcome.clone().map_err(Failed::Shared));
    }
}

/// Ends the shared transaction after an error that may have rolled it back
/// already: everyone waiting in it fails, and the next writer starts anew.
fn fail(shared: &mut Shared, err: &sqlx::Error) {
    tracing::error!(error = %err, writers = shared.waiting.len(), "group commit failed");
    // Dropping a transaction rolls it back.
    shared.tx = None;
    for answer in shared.waiting.drain(..) {
        let _ = answer.send(Err(Failed::Shared(format!(
            "the shared transaction failed: {err}"
        ))));
    }
}
