//! The database: SQLite (the embedded default) or PostgreSQL (for several
//! gateway instances), behind one pool; each with its own migrations, run
//! at start-up.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use anyhow::Context;
use sqlx::Executor;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use tokio::sync::{Mutex, OwnedMutexGuard};

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
    let url = match backend {
        // Create the file if it does not exist yet.
        Backend::Sqlite if !url.contains("mode=") => {
            format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
        }
        _ => url.to_owned(),
    };
    let pool = AnyPoolOptions::new()
        .max_connections(8)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .acquire_timeout(Duration::from_secs(30))
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
pub struct WriteTx {
    tx: Tx,
    /// SQLite's in-process writer turn, held until commit or drop.
    _turn: Option<OwnedMutexGuard<()>>,
}

impl Deref for WriteTx {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.tx
    }
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

/// This process's writers to one SQLite database queue here first, in
/// order, rather than on the database's lock (SQLite's busy handler backs
/// off in sleeps of up to 100 ms, which is where latency tails came from).
fn turn(db: &Db) -> Arc<Mutex<()>> {
    static TURNS: LazyLock<std::sync::Mutex<HashMap<String, Arc<Mutex<()>>>>> =
        LazyLock::new(Default::default);
    let url = db.connect_options().database_url.to_string();
    TURNS
        .lock()
        .expect("write turns lock")
        .entry(url)
        .or_default()
        .clone()
}

/// Starts a write transaction. On SQLite writers take turns: in this
/// process, in order, then SQLite's write lock at once (so a writer never
/// fails mid-transaction). On PostgreSQL writers run side by side, across
/// instances: what must not interleave takes a row lock ([`lock_session`],
/// [`lock_merchant`], the counters) or is a conditional update, and what
/// must run once (a network's watcher, the settler) is led (`leader`).
pub async fn begin_write(db: &Db) -> Result<WriteTx, sqlx::Error> {
    match Backend::of(db) {
        Backend::Sqlite => {
            let turn = turn(db).lock_owned().await;
            let tx = db.begin_with("BEGIN IMMEDIATE").await?;
            Ok(WriteTx {
                tx,
                _turn: Some(turn),
            })
        }
        Backend::Postgres => Ok(WriteTx {
            tx: db.begin().await?,
            _turn: None,
        }),
    }
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
