//! The database: SQLite (the embedded default) or PostgreSQL (for several
//! gateway instances), behind one pool; each with its own migrations, run
//! at start-up.

use std::ops::{Deref, DerefMut};
use std::time::Duration;

use anyhow::Context;
use sqlx::Executor;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use tokio_util::sync::CancellationToken;

mod batch;
mod group;
mod joint;
pub mod serial;
mod value;

use batch::run_many;
pub use batch::{Batch, Row, Value};

pub type Db = sqlx::AnyPool;
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;
pub type Conn = sqlx::AnyConnection;

/// Which database a pool talks to, where their SQL differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> anyhow::Result<Self> {
        match url.split(':').next() {
            Some("sqlite") => Ok(Backend::Sqlite),
            Some("postgres" | "postgresql") => Ok(Backend::Postgres),
            _ => anyhow::bail!(
                "unsupported database URL {url:?}: use sqlite://... or postgres://..."
            ),
        }
    }

    pub fn of(db: &Db) -> Self {
        Self::of_url(db.connect_options().database_url.as_str())
            .expect("a pool only opens supported URLs")
    }
}

/// Opens (creating a SQLite file if missing) the database and brings its
/// schema up to date.
pub async fn connect(url: &str) -> anyhow::Result<Db> {
    install_default_drivers();
    let backend = Backend::of_url(url)?;
    if backend == Backend::Sqlite && (url.contains(":memory:") || url.contains("mode=memory")) {
        // Its batches are written on a connection of their own
        // (`group::direct`), which would open a database of its own.
        anyhow::bail!(
            "an in-memory SQLite database ({}) is not supported: give a file, sqlite://path/to/tender.db",
            redact(url)
        );
    }
    let url = match backend {
        // Create the file if it does not exist yet.
        Backend::Sqlite if !url.contains("mode=") => {
            format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
        }
        _ => url.to_owned(),
    };
    let pool = pool_options(backend)
        // SQLite: one writer at a time takes its turn whatever the number
        // (on a connection of its own, `group`), so a few connections
        // (each with its page and statement caches) serve the readers;
        // PostgreSQL writes side by side.
        .max_connections(match backend {
            Backend::Sqlite => 4,
            Backend::Postgres => 8,
        })
        .connect(&url)
        .await
        .with_context(|| format!("cannot open database {}", redact(&url)))?;
    let migrations = match backend {
        Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
    };
    migrations
        .run(&pool)
        .await
        .context("cannot apply database migrations")?;
    Ok(pool)
}

/// How every SQLite connection is set up: for the write-ahead log, with
/// checkpoints left to [`checkpoints`].
const CONNECTION_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
     PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; \
     PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864;";

/// A pool's options on `backend`: each SQLite connection set up for the
/// write-ahead log, with checkpoints left to [`checkpoints`].
fn pool_options(backend: Backend) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    conn.execute(CONNECTION_PRAGMAS).await?;
                }
                Ok(())
            })
        })
        // A SQLite connection is a file handle in this process: it cannot
        // go stale, so it is never pinged (a round trip to its thread). A
        // PostgreSQL one is pinged only after lying idle a while: one in
        // use a moment ago is alive, and a round trip on every acquire
        // would be one more per query.
        .test_before_acquire(false)
        .before_acquire(move |conn, meta| {
            Box::pin(async move {
                if backend == Backend::Postgres && meta.idle_for >= PING_AFTER_IDLE {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .acquire_timeout(Duration::from_secs(30))
}

/// How long a PostgreSQL connection may lie idle in the pool before it is
/// checked (a ping) on its way out.
const PING_AFTER_IDLE: Duration = Duration::from_secs(5);

/// The one connection SQLite's writers share (`group`), beside `db`'s
/// readers: always the same, so its page cache stays warm (a reader's is
/// dropped whenever another connection has written), where taking any of
/// the pool's would re-read every page it touches.
pub(super) fn writer_pool(db: &Db) -> Db {
    pool_options(Backend::Sqlite)
        .max_connections(1)
        .connect_lazy_with((*db.connect_options()).clone())
}

/// How often SQLite's log is copied back into the database file. Often,
/// with [`LONG_LOG_FRAMES`] small, so the log starts again from its
/// beginning every few megabytes: under a flood of creates, once a second
/// and 4,096 pages let it reach 100-180 MB a round, and writing it was
/// half the writer thread's time, mostly the kernel copying each page into
/// memory not touched for a while (or zeroing it, past the file's end).
/// Kept to about 20 MB, the same memory is written again while still warm:
/// the gateway's CPU per create fell about a tenth.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);
/// A log longer than this (pages) is caught up with between two group
/// commits (`group::catch_up`), so that it starts again from its beginning.
const LONG_LOG_FRAMES: i64 = 512;

/// Checkpoints SQLite's write-ahead log in the background, so no commit
/// pays for one (each connection's automatic checkpoint is off); passive,
/// so readers are never made to wait. Nothing to do on PostgreSQL.
pub async fn checkpoints(db: Db, shutdown: CancellationToken) {
    if Backend::of(&db) != Backend::Sqlite {
        return;
    }
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(CHECKPOINT_EVERY) => {}
        }
        if let Err(err) = checkpoint(&db, LONG_LOG_FRAMES).await {
            tracing::warn!(error = %err, "checkpoint failed");
        }
    }
    // A last full one, so the file is whole without its log.
    let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&db)
        .await;
}

/// One pass of [`checkpoints`]: a passive checkpoint beside readers and
/// writers; if the log holds more than `long` frames, the batches' leader
/// is asked to catch up with it between two commits (`group::catch_up`),
/// so the next commit writes it from its beginning. Answers the frames
/// the log held.
pub async fn checkpoint(db: &Db, long: i64) -> Result<i64, sqlx::Error> {
    let (_, frames, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(db)
        .await?;
    if frames > long {
        group::catch_up(db);
    }
    Ok(frames)
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// A write transaction; commit it, or dropping it rolls back.
pub struct WriteTx(Inner);

enum Inner {
    /// SQLite: this writer's savepoint in the transaction it shares.
    Shared(group::Turn),
    /// PostgreSQL: a transaction of its own.
    Own(Tx),
}

impl Deref for WriteTx {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        match &self.0 {
            Inner::Shared(turn) => turn,
            Inner::Own(tx) => tx,
        }
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Conn {
        match &mut self.0 {
            Inner::Shared(turn) => turn,
            Inner::Own(tx) => tx,
        }
    }
}

impl WriteTx {
    /// Commits; returns once the changes are durable in the database.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self.0 {
            Inner::Shared(turn) => turn.commit().await,
            Inner::Own(tx) => tx.commit().await,
        }
    }
}

/// Starts a write transaction. On SQLite, writers of this process take
/// turns on one shared transaction that commits many of them at once
/// (`group`). On PostgreSQL writers run side by side, across instances:
/// what must not interleave takes a row lock ([`lock_session`],
/// [`lock_merchant`], the counters) or is a conditional update, and what
/// must run once (a network's watcher, the settler) is led (`leader`).
pub async fn begin_write(db: &Db) -> Result<WriteTx, sqlx::Error> {
    Ok(WriteTx(match Backend::of(db) {
        Backend::Sqlite => Inner::Shared(group::begin(db).await?),
        Backend::Postgres => Inner::Own(db.begin().await?),
    }))
}

/// Runs `batch` in a write transaction and commits it. On SQLite the
/// batch joins the others submitted meanwhile: the batches' own
/// connection runs them all, each in a savepoint, and one commit makes
/// them durable (`group`); the answer comes after that commit. On PostgreSQL a batch that may run as one statement
/// joins those submitted meanwhile the same way (`joint`). Suits a change
/// that need not read what it writes.
pub async fn write(db: &Db, batch: Batch) -> Result<(), sqlx::Error> {
    match Backend::of(db) {
        Backend::Sqlite => group::submit(db, batch).await.map(drop),
        // Atomic on its own, joined with the others of the moment;
        // whatever it locks, it holds at most while it runs, which is
        // what is counted.
        Backend::Postgres if batch.is_one_statement() => joint::submit(db, batch).await,
        Backend::Postgres => {
            let mut tx = db.begin().await?;
            let locked = batch.run_locking(&mut tx).await?;
            tx.commit().await?;
            if let Some(since) = locked {
                serial::record(since.elapsed());
            }
            Ok(())
        }
    }
}

/// [`write`], reading back the rows its statements return (`RETURNING`),
/// in order: the rows it changed, as committed.
pub async fn write_returning(db: &Db, batch: Batch) -> Result<Vec<Row>, sqlx::Error> {
    match Backend::of(db) {
        Backend::Sqlite => group::submit(db, batch).await,
        Backend::Postgres => {
            let mut tx = db.begin().await?;
            let rows = batch.fetch(&mut tx).await?;
            tx.commit().await?;
            Ok(rows)
        }
    }
}

/// Writes independent batches (none touches a row another does), each
/// committed before this returns: on SQLite each joins the group commit
/// like any [`write`] (with the writes of the moment, not a turn of its
/// own held over several round trips); on PostgreSQL all in one
/// transaction, joined a few of one shape per statement (`run_many`). On
/// an error, some may have been committed on SQLite; none on PostgreSQL.
pub async fn write_many(db: &Db, batches: Vec<Batch>) -> Result<(), sqlx::Error> {
    match Backend::of(db) {
        Backend::Sqlite => {
            futures_util::future::try_join_all(batches.into_iter().map(|b| write(db, b))).await?;
        }
        Backend::Postgres => {
            let mut tx = db.begin().await?;
            run_many(&mut tx, batches).await?;
            tx.commit().await?;
        }
    }
    Ok(())
}

/// A single write statement, run in a write transaction of its own (on
/// PostgreSQL the statement's own): on SQLite a turn in the group, since a write beside the group's open
/// transaction would wait on SQLite's lock (and make the group wait).
pub trait WriteOne {
    fn write(
        self,
        db: &Db,
    ) -> impl Future<Output = Result<sqlx::any::AnyQueryResult, sqlx::Error>> + Send;
}

impl WriteOne for sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments> {
    async fn write(self, db: &Db) -> Result<sqlx::any::AnyQueryResult, sqlx::Error> {
        if Backend::of(db) == Backend::Postgres {
            // One statement is atomic on its own: no BEGIN and COMMIT
            // round trips around it.
            return self.execute(db).await;
        }
        let mut tx = begin_write(db).await?;
        let done = self.execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done)
    }
}

/// `$1, $2, …, $n`: the parameters of an `IN (…)` list of `n`.
pub fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a connection needs explicit row locks: only PostgreSQL's do
/// (a SQLite write transaction already excludes every other writer).
fn locks_rows(conn: &Conn) -> bool {
    conn.backend_name() == "PostgreSQL"
}

/// Locks a session's row until the transaction ends, so changes that read
/// it before writing (its tally, its quotes, its refunds) do not
/// interleave. Lock sessions before the merchant (events lock it last).
pub async fn lock_session(conn: &mut Conn, id: &str) -> Result<(), sqlx::Error> {
    if locks_rows(conn) {
        sqlx::query("SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE")
            .bind(id)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Locks a merchant's row until the transaction ends (a cap on what it may
/// have; recording an event takes the same lock).
pub async fn lock_merchant(conn: &mut Conn, id: &str) -> Result<(), sqlx::Error> {
    if locks_rows(conn) {
        sqlx::query("SELECT 1 FROM merchants WHERE id = $1 FOR UPDATE")
            .bind(id)
            .execute(conn)
            .await?;
    }
    Ok(())
}
