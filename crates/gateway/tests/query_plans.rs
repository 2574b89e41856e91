//! Every background worker's query over a table that grows reads through
//! an index: SQLite's `EXPLAIN QUERY PLAN` for each shows no full scan of
//! such a table. (PostgreSQL picks plans from statistics, so an empty test
//! database says nothing there; the same indexes exist in its migrations.)

use tender_gateway::db;

/// Tables that grow with traffic; a scan of one is a scan of history.
const GROWING: &[&str] = &[
    "sessions",
    "quotes",
    "payments",
    "events",
    "deliveries",
    "delivery_attempts",
    "idempotency_keys",
    "sweeps",
    "settlements",
    "outgoing",
];

/// The tables a plan line scans in full (`SCAN t`, with no index named).
fn full_scans(line: &str) -> Option<&str> {
    let rest = line.trim().strip_prefix("SCAN ")?;
    let table = rest.split_whitespace().next()?;
    (!rest.contains("USING")).then_some(table)
}

#[tokio::test]
async fn worker_queries_use_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("plans.db").display());
    let db = db::connect(&url).await.unwrap();
    let queries = tender_gateway::plans::worker_queries();
    assert!(queries.len() >= 7);
    let mut problems = Vec::new();
    for (name, sql) in queries {
        let plan: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                .fetch_all(&db)
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        let lines: Vec<&str> = plan.iter().map(|(.., detail)| detail.as_str()).collect();
        // Aliases (`FROM sessions s`) are what the plan names.
        for line in &lines {
            if let Some(scanned) = full_scans(line) {
                let table = alias_of(&sql, scanned);
                if GROWING.contains(&table) {
                    problems.push(format!("{name}: {line} ({})", lines.join("; ")));
                }
            }
        }
    }
    assert!(problems.is_empty(), "full scans:\n{}", problems.join("\n"));
}

/// The table `name` stands for in `sql` (`FROM sessions s` → `sessions`).
fn alias_of<'a>(sql: &'a str, name: &'a str) -> &'a str {
    let words: Vec<&str> = sql.split_whitespace().collect();
    words
        .windows(2)
        .find(|w| w[1].trim_end_matches(',') == name && GROWING.contains(&w[0]))
        .map_or(name, |w| w[0])
}

#[test]
fn a_full_scan_is_recognised() {
    assert_eq!(full_scans("SCAN deliveries"), Some("deliveries"));
    assert_eq!(full_scans("SCAN w"), Some("w"));
    assert_eq!(full_scans("SCAN d USING INDEX deliveries_pending"), None);
    assert_eq!(full_scans("SEARCH sessions USING INDEX x (status=?)"), None);
    assert_eq!(
        alias_of("SELECT 1 FROM sessions s JOIN quotes q ON", "s"),
        "sessions"
    );
}
