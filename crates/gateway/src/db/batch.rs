//! Statements sent to the database together. A batch submitted on its own
//! ([`super::write`]) shares its transaction and commit with every other
//! one queued at the time: on SQLite run on the batches' own connection
//! (`group`), on PostgreSQL joined into one statement (`joint`). Run in a
//! writer's transaction through sqlx, a batch is on SQLite one
//! multi-statement query (one round trip to the connection's worker
//! thread instead of one per statement); on PostgreSQL the statements run
//! one after the other, as they would unbatched.
//!
//! Each statement numbers its parameters from `$1`; joined statements are
//! renumbered so SQLite binds all of them from one list of arguments.

use super::Conn;
pub use super::value::{Arg, Row, Value};
use super::value::{arguments, values};

/// Statements to run in order, in one transaction.
#[derive(Default, Clone)]
pub struct Batch {
    statements: Vec<Sql>,
    /// The statement from which every writer like this one waits for
    /// this one's commit (see [`Batch::locks_here`]).
    lock_point: Option<usize>,
    /// Run as one statement on PostgreSQL ([`Batch::as_one_statement`]).
    one_statement: bool,
    /// The one row the batch locks, by which it joins others
    /// ([`Batch::as_one_statement_locking`]).
    lock: Option<String>,
}

/// One statement of a batch and its arguments.
#[derive(Clone)]
struct Sql {
    text: &'static str,
    args: Vec<Arg>,
    /// Left out on PostgreSQL ([`Batch::add_on_sqlite`]).
    sqlite_only: bool,
}

/// Why a submitted batch was not committed: its own statement's error (a
/// constraint it broke, kept whole so its caller can tell which), or one
/// it shared with the batches it ran beside.
#[derive(Debug)]
pub enum Failed {
    Own(sqlx::Error),
    Shared(String),
}

impl From<Failed> for sqlx::Error {
    fn from(failed: Failed) -> Self {
        match failed {
            Failed::Own(err) => err,
            Failed::Shared(message) => sqlx::Error::Protocol(message),
        }
    }
}

/// One statement of a batch, taking its arguments.
pub struct Statement<'b> {
    args: &'b mut Vec<Arg>,
}

impl Batch {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a statement (parameters `$1`, `$2`, …); bind its arguments in
    /// order on the answer.
    pub fn add(&mut self, sql: &'static str) -> Statement<'_> {
        self.push(sql, false)
    }

    /// [`add`](Self::add), for SQLite only: PostgreSQL leaves the statement
    /// out (where a trigger does its work, say).
    pub fn add_on_sqlite(&mut self, sql: &'static str) -> Statement<'_> {
        self.push(sql, true)
    }

    fn push(&mut self, text: &'static str, sqlite_only: bool) -> Statement<'_> {
        self.statements.push(Sql {
            text,
            args: Vec::new(),
            sqlite_only,
        });
        let sql = self.statements.last_mut().expect("just pushed");
        Statement {
            args: &mut sql.args,
        }
    }

    /// Marks the next statement as the one that takes a lock held to the
    /// commit (on PostgreSQL), for `serial`'s timers.
    pub fn locks_here(&mut self) {
        self.lock_point.get_or_insert(self.statements.len());
    }

    /// Lets PostgreSQL run the batch as one statement, each of its
    /// statements a part of a `WITH`: one round trip, atomic without a
    /// transaction, and any row lock taken in it held only while it runs.
    /// Only for statements none of which reads what another writes (they
    /// all see the database as it was before the statement; foreign keys
    /// are checked at its end, so a row may name one inserted beside it).
    pub fn as_one_statement(&mut self) {
        self.one_statement = true;
    }

    /// The statements SQLite runs, in order, each with its arguments.
    pub fn on_sqlite(&self) -> impl Iterator<Item = (&'static str, &[Arg])> {
        self.statements.iter().map(|sql| (sql.text, &sql.args[..]))
    }

    /// The batch as PostgreSQL runs it: without the statements for SQLite
    /// only (the lock point kept on its statement).
    fn on_postgres(mut self) -> Self {
        if let Some(point) = self.lock_point {
            let left_out = self.statements[..point.min(self.statements.len())]
                .iter()
                .filter(|sql| sql.sqlite_only)
                .count();
            self.lock_point = Some(point - left_out);
        }
        self.statements.retain(|sql| !sql.sqlite_only);
        self
    }

    /// Adds `other`'s statements after this one's.
    pub fn append(&mut self, other: Batch) {
        self.statements.extend(other.statements);
    }

    /// The statements' texts: batches of one shape join into one query
    /// text (see `group`).
    pub fn shape(&self) -> Vec<&'static str> {
        self.statements.iter().map(|sql| sql.text).collect()
    }

    /// [`as_one_statement`](Self::as_one_statement), where the only row
    /// the batch locks is the one named `lock` (a merchant's, whose event
    /// counter it bumps): on PostgreSQL the batches of one `lock`
    /// submitted at the same moment then run as one statement (`joint`),
    /// taking that lock once. One lock per statement: two joined
    /// statements never wait on each other in a cycle.
    pub fn as_one_statement_locking(&mut self, lock: &str) {
        self.one_statement = true;
        self.lock = Some(lock.to_owned());
    }

    /// The row a batch of [`as_one_statement_locking`] locks.
    pub fn lock(&self) -> Option<&str> {
        self.lock.as_deref()
    }

    pub fn is_one_statement(&self) -> bool {
        self.one_statement
    }

    /// Runs the statements in `conn`'s transaction, in order; the first
    /// failure ends the batch.
    pub async fn run(self, conn: &mut Conn) -> Result<(), sqlx::Error> {
        self.run_locking(conn).await.map(drop)
    }

    /// [`run`](Self::run); on PostgreSQL, says when the statement marked
    /// by [`locks_here`](Self::locks_here) had its lock.
    pub(super) async fn run_locking(
        self,
        conn: &mut Conn,
    ) -> Result<Option<std::time::Instant>, sqlx::Error> {
        if conn.backend_name() == "SQLite" {
            return self.run_as_one_query(conn).await.map(|()| None);
        }
        let batch = self.on_postgres();
        if batch.one_statement && batch.statements.len() > 1 {
            let (sql, args) = batch.into_with();
            sqlx::query_with(sqlx::AssertSqlSafe(sql), arguments(args)?)
                .execute(&mut *conn)
                .await?;
            return Ok(None);
        }
        let mut locked = None;
        for (i, sql) in batch.statements.into_iter().enumerate() {
            sqlx::query_with(sql.text, arguments(sql.args)?)
                .execute(&mut *conn)
                .await?;
            // Held from here (the wait for it is not the section).
            if batch.lock_point == Some(i) {
                locked = Some(std::time::Instant::now());
            }
        }
        Ok(locked)
    }

    /// Runs the statements in order, in `conn`'s transaction on
    /// PostgreSQL, and reads back the rows they return.
    pub(super) async fn fetch(self, conn: &mut Conn) -> Result<Vec<Row>, sqlx::Error> {
        let mut rows = Vec::new();
        for sql in self.on_postgres().statements {
            for row in sqlx::query_with(sql.text, arguments(sql.args)?)
                .fetch_all(&mut *conn)
                .await?
            {
                rows.push(values(&row)?);
            }
        }
        Ok(rows)
    }

    /// The statements as one (PostgreSQL): `WITH s0 AS (…), s1 AS (…) …`
    /// and the last, parameters renumbered into one list.
    fn into_with(self) -> (String, Vec<Arg>) {
        let mut sql = String::new();
        let mut all = Vec::new();
        let last = self.statements.len() - 1;
        for (i, Sql { text, args, .. }) in self.statements.into_iter().enumerate() {
            sql.push_str(match i {
                0 => "WITH ",
                _ if i == last => ")\n",
                _ => "),\n",
            });
            if i < last {
                sql.push_str(&format!("s{i} AS ("));
            }
            renumber(text, all.len(), &mut sql);
            all.extend(args);
        }
        (sql, all)
    }
}

impl Statement<'_> {
    /// Binds the statement's next parameter.
    pub fn bind(self, value: impl Into<Arg>) -> Self {
        self.args.push(value.into());
        self
    }
}

/// Batches joined into one PostgreSQL statement (`joint`, [`run_many`]),
/// in these numbers only: a joined statement is prepared once and kept by
/// the connection, so a few sizes keep
/// few prepared (and memory flat), where any number would keep thousands.
pub const JOINED: [usize; 3] = [16, 4, 1];

/// How many of `left` batches to join next.
pub fn next_join(left: usize) -> usize {
    JOINED.into_iter().find(|&n| n <= left).unwrap_or(1)
}

/// How many of `items` (sorted by their batch's shape) to join next: a
/// [`JOINED`] number of the first ones of one shape.
pub fn next_alike<T>(items: &[T], batch: impl Fn(&T) -> &Batch) -> usize {
    let Some(first) = items.first().map(&batch) else {
        return 0;
    };
    let alike = items
        .iter()
        .take_while(|item| batch(item).shape() == first.shape())
        .count();
    next_join(alike)
}

/// Runs independent batches (none reads or writes a row another writes)
/// in a PostgreSQL transaction, joined a few of one shape at a time
/// ([`JOINED`]) into one statement each ([`Batch::as_one_statement`]), so
/// many batches take few round trips and few statement texts. (SQLite's
/// batches run on their own connection, `group`.)
pub async fn run_many(conn: &mut Conn, mut batches: Vec<Batch>) -> Result<(), sqlx::Error> {
    batches.sort_by_cached_key(Batch::shape);
    while !batches.is_empty() {
        let rest = batches.split_off(next_alike(&batches, |batch| batch));
        let mut one = Batch::new();
        one.as_one_statement();
        for batch in batches {
            one.append(batch);
        }
        one.run(conn).await?;
        batches = rest;
    }
    Ok(())
}

impl Batch {
    /// On SQLite through sqlx: the statements as one multi-statement
    /// query, parameters renumbered into one list (one round trip to the
    /// connection's worker thread).
    async fn run_as_one_query(self, conn: &mut Conn) -> Result<(), sqlx::Error> {
        let mut sql = String::new();
        let mut all = Vec::new();
        for Sql { text, args, .. } in self.statements {
            renumber(text, all.len(), &mut sql);
            sql.push_str(";\n");
            all.extend(args);
        }
        if sql.is_empty() {
            return Ok(());
        }
        // Built from the statements' own text, renumbered: no value is in it.
        sqlx::query_with(sqlx::AssertSqlSafe(sql), arguments(all)?)
            .execute(conn)
            .await?;
        Ok(())
    }
}

/// Appends `sql` to `out` with each `$n` outside quotes made `$(n + offset)`.
fn renumber(sql: &str, offset: usize, out: &mut String) {
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        match c {
            '\'' => quoted = !quoted,
            '$' if !quoted && chars.peek().is_some_and(char::is_ascii_digit) => {
                let mut n = 0usize;
                while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                    n = n * 10 + d as usize;
                    chars.next();
                }
                out.push_str(&(n + offset).to_string());
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Batch, renumber};

    #[test]
    fn postgresql_leaves_out_the_statements_for_sqlite_only() {
        let mut batch = Batch::new();
        batch.add_on_sqlite("UPDATE a SET n = n + 1").bind(1);
        batch.locks_here();
        batch.add("INSERT INTO b VALUES ($1)").bind(2);
        assert_eq!(batch.on_sqlite().count(), 2);
        let postgres = batch.on_postgres();
        assert_eq!(postgres.shape(), ["INSERT INTO b VALUES ($1)"]);
        assert_eq!(postgres.lock_point, Some(0), "still the insert's");
    }

    #[test]
    fn parameters_are_renumbered_outside_quotes_only() {
        let mut out = String::new();
        renumber("INSERT INTO t VALUES ($1, '$2', $12, $1)", 3, &mut out);
        assert_eq!(out, "INSERT INTO t VALUES ($4, '$2', $15, $4)");
        let mut out = String::new();
        renumber("SELECT $2 WHERE x LIKE '%''$1%' AND y = $1", 0, &mut out);
        assert_eq!(out, "SELECT $2 WHERE x LIKE '%''$1%' AND y = $1");
    }
}
