//! The batches' own SQLite connection, driven through SQLite's C library
//! (rusqlite) on a blocking thread: a whole group (`BEGIN`, each batch's
//! statements, `COMMIT`) runs there in one go.
//! Through sqlx every statement was a round trip between the async task
//! and the connection's worker thread, each a wake-up of one thread by
//! another; on a busy machine those waits, not SQLite, made up most of the
//! time a group held the turn. Only the leader that holds the turn uses
//! this connection, so it never waits on SQLite's lock for the writers'
//! sqlx one (`group`), nor they for it.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use sqlx::error::{DatabaseError, ErrorKind};

use super::super::Db;
use super::super::batch::{Arg, Batch, Failed, Row, Value};
use super::Returned;

/// Prepared statements kept: every batch statement's text, a few dozen.
const KEPT_STATEMENTS: usize = 256;

/// The connection, opened at its first group.
pub struct Direct {
    path: PathBuf,
    conn: Arc<Mutex<Option<rusqlite::Connection>>>,
}

impl Direct {
    pub fn of(db: &Db) -> Self {
        let url = db.connect_options().database_url.to_string();
        // The pool opened this URL already, so it parses.
        let path = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
            .map(|options| options.get_filename().to_owned())
            .unwrap_or_default();
        Self {
            path,
            conn: Arc::default(),
        }
    }

    /// Runs `next` in one transaction (`group`): a batch that fails is
    /// rolled back alone and gets its own error (`Failed::Own`), the
    /// others share the commit's outcome. Each batch
    /// is answered (with the rows it read back) as soon as its group
    /// commits; then the groups `more` hands run the same way, on the
    /// same thread, until it hands none. A thread woken for each group,
    /// and the leader's task woken after it, waited for a core on a busy
    /// machine: those two hops took a third of the time the turn was held.
    pub async fn run(
        &self,
        mut next: Vec<(Batch, Returned)>,
        mut more: impl FnMut() -> Vec<(Batch, Returned)> + Send + 'static,
    ) {
        let conn = self.conn.clone();
        let path = self.path.clone();
        let ran = tokio::task::spawn_blocking(move || {
            let mut conn = match conn.lock() {
                Ok(conn) => conn,
                Err(poisoned) => {
                    // A group panicked half-way: its connection may still
                    // be in that group's transaction, so this one opens anew.
                    conn.clear_poison();
                    let mut conn = poisoned.into_inner();
                    *conn = None;
                    conn
                }
            };
            while !next.is_empty() {
                let (batches, answers): (Vec<_>, Vec<_>) = next.into_iter().unzip();
                for (answer, outcome) in answers
                    .into_iter()
                    .zip(one_group(&mut conn, &path, batches))
                {
                    let _ = answer.send(outcome);
                }
                next = more();
            }
        })
        .await;
        if let Err(err) = ran {
            // The batches of the group it was running are answered with an
            // error (their senders dropped with the thread's stack).
            tracing::error!(error = %err, "the SQLite writer thread failed");
        }
    }
}

/// Runs one group on `conn`, opened first if need be; after a failure the
/// connection is closed, whatever state it was left in, and the next
/// group opens it anew.
fn one_group(
    conn: &mut Option<rusqlite::Connection>,
    path: &std::path::Path,
    batches: Vec<Batch>,
) -> Vec<Result<Vec<Row>, Failed>> {
    let n = batches.len();
    if conn.is_none() {
        match open(path) {
            Ok(opened) => *conn = Some(opened),
            Err(err) => return shared(n, &err.to_string()),
        }
    }
    match group(conn.as_ref().expect("just opened"), batches) {
        Ok(answers) => answers,
        Err(err) => {
            *conn = None;
            shared(n, &err.to_string())
        }
    }
}

fn shared(n: usize, message: &str) -> Vec<Result<Vec<Row>, Failed>> {
    (0..n)
        .map(|_| Err(Failed::Shared(message.to_owned())))
        .collect()
}

fn open(path: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.execute_batch(super::super::CONNECTION_PRAGMAS)?;
    conn.set_prepared_statement_cache_capacity(KEPT_STATEMENTS);
    Ok(conn)
}

/// One group's transaction. An error here is the transaction's own (it is
/// rolled back); a batch's is in its answer. The batches run first
/// without savepoints ([`together`]); only a group in which one fails
/// runs again with a savepoint for each ([`apart`]).
fn group(
    conn: &rusqlite::Connection,
    batches: Vec<Batch>,
) -> rusqlite::Result<Vec<Result<Vec<Row>, Failed>>> {
    match together(conn, &batches)? {
        Together::Committed(answers) => Ok(answers),
        // A batch alone fails alone: nothing to run again.
        Together::Failed(err) if batches.len() == 1 => Ok(vec![Err(own(err))]),
        Together::Failed(_) => apart(conn, &batches),
    }
}

/// How a group run [`together`] ended, short of the transaction's own error.
enum Together {
    Committed(Vec<Result<Vec<Row>, Failed>>),
    /// A batch's statement failed: the whole group was rolled back.
    Failed(rusqlite::Error),
}

/// The group's batches in one transaction with no savepoint between them:
/// a savepoint makes SQLite copy every page a batch changes that existed
/// before it (the last pages of each table and index, the same ones for
/// every batch) into its journal, in case it is rolled back, which took a
/// fifth of the writer thread's time.
fn together(conn: &rusqlite::Connection, batches: &[Batch]) -> rusqlite::Result<Together> {
    exec(conn, "BEGIN IMMEDIATE")?;
    let mut answers = Vec::with_capacity(batches.len());
    for batch in batches {
        match statements(conn, batch) {
            Ok(rows) => answers.push(Ok(rows)),
            Err(err) => {
                rollback(conn)?;
                return Ok(Together::Failed(err));
            }
        }
    }
    if let Err(err) = exec(conn, "COMMIT") {
        let _ = rollback(conn);
        return Err(err);
    }
    Ok(Together::Committed(answers))
}

/// The group's batches in one transaction, each in a savepoint of its own:
/// one that fails is rolled back alone and answered with its own error.
fn apart(
    conn: &rusqlite::Connection,
    batches: &[Batch],
) -> rusqlite::Result<Vec<Result<Vec<Row>, Failed>>> {
    exec(conn, "BEGIN IMMEDIATE")?;
    let mut answers = Vec::with_capacity(batches.len());
    let mut kept = 0;
    for batch in batches {
        let saved = exec(conn, "SAVEPOINT batch").and_then(|()| statements(conn, batch));
        match saved {
            Ok(rows) => {
                exec(conn, "RELEASE batch")?;
                kept += 1;
                answers.push(Ok(rows));
            }
            Err(err) => {
                let undone =
                    exec(conn, "ROLLBACK TO batch").and_then(|()| exec(conn, "RELEASE batch"));
                if let Err(gone) = undone {
                    let _ = rollback(conn);
                    return Err(gone);
                }
                answers.push(Err(own(err)));
            }
        }
    }
    let committed = exec(conn, if kept > 0 { "COMMIT" } else { "ROLLBACK" });
    if let Err(err) = committed {
        let _ = rollback(conn);
        return Err(err);
    }
    Ok(answers)
}

/// Ends the transaction, if SQLite has not already (some errors end it).
fn rollback(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    if conn.is_autocommit() {
        return Ok(());
    }
    conn.execute_batch("ROLLBACK")
}

/// A batch's own error, told apart as sqlx tells SQLite's.
fn own(err: rusqlite::Error) -> Failed {
    Failed::Own(sqlx::Error::Database(Box::new(WriteError::from(err))))
}

/// One statement without parameters, kept prepared.
fn exec(conn: &rusqlite::Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.raw_execute().map(drop)
}

/// A batch's statements, in order, each bound to its `$n` parameters; the
/// rows they return are read back.
fn statements(conn: &rusqlite::Connection, batch: &Batch) -> rusqlite::Result<Vec<Row>> {
    let mut read = Vec::new();
    // A parameter's name (`$n`), written anew for each in one buffer.
    let mut name = String::new();
    for (sql, args) in batch.on_sqlite() {
        let mut statement = conn.prepare_cached(sql)?;
        for (i, arg) in args.iter().enumerate() {
            name.clear();
            let _ = write!(name, "${}", i + 1);
            let Some(index) = statement.parameter_index(&name)? else {
                continue;
            };
            match arg {
                Arg::Int(v) => statement.raw_bind_parameter(index, v)?,
                Arg::Text(v) => statement.raw_bind_parameter(index, v.as_deref())?,
                Arg::Bytes(v) => statement.raw_bind_parameter(index, v.as_deref())?,
            }
        }
        let columns = statement.column_count();
        let mut rows = statement.raw_query();
        while let Some(row) = rows.next()? {
            read.push(
                (0..columns)
                    .map(|i| value(row.get_ref(i)?))
                    .collect::<rusqlite::Result<_>>()?,
            );
        }
    }
    Ok(read)
}

fn value(value: rusqlite::types::ValueRef<'_>) -> rusqlite::Result<Value> {
    use rusqlite::types::ValueRef;
    Ok(match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(v) => Value::Int(v),
        ValueRef::Text(v) => Value::Text(String::from_utf8_lossy(v).into_owned()),
        ValueRef::Blob(v) => Value::Bytes(v.to_vec()),
        // Money is kept in integers, never in floating point.
        ValueRef::Real(_) => {
            return Err(rusqlite::Error::InvalidColumnType(
                0,
                "a write read back a floating-point value".into(),
                rusqlite::types::Type::Real,
            ));
        }
    })
}

/// A statement's error, told apart as sqlx tells SQLite's (a key used
/// before is a unique violation, its message naming the table).
#[derive(Debug)]
struct WriteError {
    message: String,
    code: Option<i32>,
}

impl From<rusqlite::Error> for WriteError {
    fn from(err: rusqlite::Error) -> Self {
        match err {
            rusqlite::Error::SqliteFailure(failure, message) => Self {
                message: message.unwrap_or_else(|| failure.to_string()),
                code: Some(failure.extended_code),
            },
            other => Self {
                message: other.to_string(),
                code: None,
            },
        }
    }
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for WriteError {}

impl DatabaseError for WriteError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        self.code.map(|code| Cow::Owned(code.to_string()))
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> ErrorKind {
        use rusqlite::ffi;
        match self.code {
            Some(ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY) => {
                ErrorKind::UniqueViolation
            }
            Some(ffi::SQLITE_CONSTRAINT_FOREIGNKEY) => ErrorKind::ForeignKeyViolation,
            Some(ffi::SQLITE_CONSTRAINT_NOTNULL) => ErrorKind::NotNullViolation,
            Some(ffi::SQLITE_CONSTRAINT_CHECK) => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}
