//! SQLite's group commit: many writers share one transaction, each in a
//! savepoint of its own. One that gives up is rolled back alone, and a
//! writer is answered only once its change is committed (readers on other
//! connections see it then).

use std::sync::Arc;

use tender_gateway::db::{self, Db};

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
