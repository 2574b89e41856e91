//! SQLite's group commit: many writers share one transaction, each in a
//! savepoint of its own. One that gives up is rolled back alone, and a
//! writer is answered only once its change is committed (readers on other
//! connections see it then). Joined batches fail alone on PostgreSQL too
//! (that test runs on `TENDER_TEST_POSTGRES` when set).

use std::sync::Arc;

use tender_gateway::db::{self, Db};

mod common;

async fn kept(db: &Db, key: &str) -> bool {
    let row: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM idempotency_keys WHERE key = $1")
        .bind(key)
        .fetch_optional(db)
        .await
        .unwrap();
    row.is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_writer_that_gives_up_is_rolled_back_alone() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("group.db").display());
    let db = Arc::new(db::connect(&url).await.unwrap());
    let writers = (0..120).map(|i| {
        let db = db.clone();
        tokio::spawn(async move {
            let key = format!("w{i}");
            let mut tx = db::begin_write(&db).await.unwrap();
            sqlx::query(
                "INSERT INTO idempotency_keys (scope, key, request_hash, created_at) VALUES ('t', $1, '', 0)",
            )
            .bind(&key)
            .execute(&mut *tx)
            .await
            .unwrap();
            if i % 3 == 0 {
                // Gives up: dropped without a commit.
                return (key, false);
            }
            tx.commit().await.unwrap();
            // Answered only after the commit: another connection sees it.
            assert!(kept(&db, &key).await, "{key} answered before its commit");
            (key, true)
        })
    });
    let done = futures_util::future::join_all(writers).await;
    for outcome in done {
        let (key, committed) = outcome.unwrap();
        assert_eq!(kept(&db, &key).await, committed, "{key}");
    }
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM idempotency_keys")
        .fetch_one(&*db)
        .await
        .unwrap();
    assert_eq!(count, 80);
}

/// Batches submitted together run in one query (SQLite) or, those that
/// lock one row, as one statement (PostgreSQL, `db::joint`); one that
/// fails (a duplicate key, half-way through its statements) fails alone,
/// with none of its statements kept, and the others are committed when
/// answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_batch_fails_alone_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = common::database_url(dir.path()).await;
    let db = Arc::new(db::connect(&url).await.unwrap());
    const INSERT: &str = "INSERT INTO idempotency_keys (scope, key, request_hash, created_at) VALUES ('t', $1, '', $2)";
    // `dup` is taken before the batches run.
    let mut first = db::Batch::new();
    first.add(INSERT).bind("dup").bind(0);
    db::write(&db, first).await.unwrap();
    let writers = (0..200).map(|i| {
        let db = db.clone();
        tokio::spawn(async move {
            let mut batch = db::Batch::new();
            batch.as_one_statement_locking(if i % 2 == 0 { "even" } else { "odd" });
            batch.add(INSERT).bind(format!("a{i}")).bind(1);
            // Every tenth batch's second statement collides.
            let second = if i % 10 == 0 {
                "dup".to_owned()
            } else {
                format!("b{i}")
            };
            batch.add(INSERT).bind(second).bind(2);
            let outcome = db::write(&db, batch).await;
            match &outcome {
                Ok(()) => assert!(
                    kept(&db, &format!("a{i}")).await,
                    "a{i} answered before its commit"
                ),
                // Its own error, told as the database tells it: what the
                // idempotency layer answers 409 on.
                Err(sqlx::Error::Database(e)) => assert!(
                    e.is_unique_violation() && e.message().contains("idempotency_keys"),
                    "batch {i}: {e}"
                ),
                Err(other) => panic!("batch {i}: not its own error: {other}"),
            }
            (i, outcome.is_ok())
        })
    });
    for done in futures_util::future::join_all(writers).await {
        let (i, ok) = done.unwrap();
        assert_eq!(ok, i % 10 != 0, "batch {i}");
        assert_eq!(kept(&db, &format!("a{i}")).await, ok, "a{i}");
    }
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM idempotency_keys")
        .fetch_one(&*db)
        .await
        .unwrap();
    assert_eq!(count, 1 + 180 * 2);
}

/// A write reads back the rows it changed (`RETURNING`), as committed,
/// and sees what a writer's turn committed just before it (on SQLite the
/// two run on different connections).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_reads_back_what_it_changed() {
    let dir = tempfile::tempdir().unwrap();
    let url = common::database_url(dir.path()).await;
    let db = Arc::new(db::connect(&url).await.unwrap());
    let writers = (0..40).map(|i| {
        let db = db.clone();
        tokio::spawn(async move {
            let key = format!("r{i}");
            let mut tx = db::begin_write(&db).await.unwrap();
            sqlx::query(
                "INSERT INTO idempotency_keys (scope, key, request_hash, created_at) VALUES ('t', $1, '', $2)",
            )
            .bind(&key)
            .bind(i64::from(i))
            .execute(&mut *tx)
            .await
            .unwrap();
            tx.commit().await.unwrap();
            let mut update = db::Batch::new();
            update
                .add(
                    "UPDATE idempotency_keys SET status_code = $2 WHERE key = $1
                     RETURNING key, created_at, status_code, response_body",
                )
                .bind(key.as_str())
                .bind(200 + i64::from(i));
            let rows = db::write_returning(&db, update).await.unwrap();
            assert_eq!(
                rows,
                vec![vec![
                    db::Value::Text(key.clone()),
                    db::Value::Int(i64::from(i)),
                    db::Value::Int(200 + i64::from(i)),
                    db::Value::Null,
                ]],
                "{key}"
            );
            let (code,): (Option<i64>,) =
                sqlx::query_as("SELECT status_code FROM idempotency_keys WHERE key = $1")
                    .bind(&key)
                    .fetch_one(&*db)
                    .await
                    .unwrap();
            assert_eq!(code, Some(200 + i64::from(i)), "{key} answered before its commit");
        })
    });
    for done in futures_util::future::join_all(writers).await {
        done.unwrap();
    }
    let mut none = db::Batch::new();
    none.add("UPDATE idempotency_keys SET status_code = 0 WHERE key = 'missing' RETURNING key");
    assert!(db::write_returning(&db, none).await.unwrap().is_empty());
}

/// A writer that takes a turn of its own (a payment's confirmation,
/// say) gets it while batches keep coming without a pause: the batches'
/// leader, which runs group after group on its thread, hands the turn
/// back once someone queues for it, instead of keeping it while its queue
/// refills.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_turn_is_not_starved_by_batches_that_never_stop() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("flood.db").display());
    let db = Arc::new(db::connect(&url).await.unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicUsize::new(0));
    // Batches sent without waiting for each other, until told to stop (or
    // for at most 20 s).
    let flood = {
        let (db, stop, written) = (db.clone(), stop.clone(), written.clone());
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let mut i = 0u64;
            let mut writes = tokio::task::JoinSet::new();
            while !stop.load(Ordering::Acquire) && started.elapsed().as_secs() < 20 {
                for _ in 0..8 {
                    i += 1;
                    let (db, written) = (db.clone(), written.clone());
                    writes.spawn(async move {
                        let mut batch = db::Batch::new();
                        batch
                            .add("INSERT INTO idempotency_keys (scope, key, request_hash, created_at) VALUES ('f', $1, '', 0)")
                            .bind(format!("f{i}"));
                        db::write(&db, batch).await.unwrap();
                        written.fetch_add(1, Ordering::AcqRel);
                    });
                }
                tokio::task::yield_now().await;
                while writes.try_join_next().is_some() {}
            }
            while writes.join_next().await.is_some() {}
        })
    };
    // Once the flood is well under way, a turn of its own.
    while written.load(Ordering::Acquire) < 2_000 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let mut tx = db::begin_write(&db).await.unwrap();
    sqlx::query("INSERT INTO idempotency_keys (scope, key, request_hash, created_at) VALUES ('t', 'turn', '', 0)")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let flooding = !flood.is_finished();
    stop.store(true, Ordering::Release);
    flood.await.unwrap();
    assert!(kept(&db, "turn").await);
    assert!(
        flooding,
        "the turn came only when the batches stopped ({} written)",
        written.load(Ordering::Acquire)
    );
}

/// Writes that never pause, with a reader beside them: once the log holds
/// more than the limit, the batches' leader catches up with it between two
/// commits and the next starts it again from its beginning, where a
/// passive checkpoint beside the writes never caught up with the last
/// commit and the log only grew. Stays within a few passes' writes of the
/// limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_log_starts_again_under_steady_writes() {
    const LIMIT: i64 = 1000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.db");
    let db = Arc::new(
        db::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap(),
    );
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let running = |task: &'static str| {
        let (db, stop) = (db.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0u64;
            // Bounded, should the log never start again.
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && n < 20_000 {
                n += 1;
                if task.starts_with("write") {
                    let mut batch = db::Batch::new();
                    batch
                        .add("INSERT INTO idempotency_keys (scope, key, request_hash, created_at) VALUES ('t', $1, $2, 0)")
                        .bind(format!("{task}{n}"))
                        .bind("h".repeat(2000));
                    db::write(&db, batch).await.unwrap();
                } else {
                    let _: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM idempotency_keys")
                        .fetch_one(&*db)
                        .await
                        .unwrap();
                }
            }
            n
        })
    };
    let tasks = [running("write1"), running("write2"), running("read")];
    let mut frames = Vec::new();
    for _ in 0..30 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let pass = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            db::checkpoint(&db, LIMIT),
        );
        frames.push(pass.await.expect("a checkpoint pass ends").unwrap());
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut writes = 0;
    for task in tasks {
        writes += task.await.unwrap();
    }
    let most = *frames.iter().max().unwrap();
    let wal = std::fs::metadata(dir.path().join("log.db-wal"))
        .unwrap()
        .len();
    eprintln!("{writes} writes and reads; frames at each pass {frames:?}; log file {wal} B");
    assert!(writes > 3000, "too few writes to tell: {writes}");
    // A pass sees the limit and what was written since the last, which
    // is well under the limit here (a few hundred frames); without the
    // restart the log held tens of thousands by the end.
    assert!(
        most < 10 * LIMIT,
        "the log grew to {most} frames: {frames:?}"
    );
    assert!(
        wal < 10 * LIMIT as u64 * 4200,
        "the log file grew to {wal} B"
    );
}

/// An in-memory SQLite database is refused at start-up with a clear error:
/// the batches' own connection would open a database of its own.
#[tokio::test]
async fn an_in_memory_database_is_refused() {
    for url in ["sqlite::memory:", "sqlite://tender.db?mode=memory"] {
        let err = db::connect(url).await.expect_err(url).to_string();
        assert!(
            err.contains("in-memory SQLite database") && err.contains("sqlite://path/to"),
            "{url}: {err}"
        );
    }
}
