//! Create-session on the real path, measured from outside. Each server
//! runs in a process of its own and this one only sends load: the gateway
//! as benchmarked (logging on, one webhook endpoint registered, every
//! request with its own `Idempotency-Key`, made as the SDK makes it), and
//! beside it a bare axum JSON handler (this program again, started with
//! `BENCH_SERVE=bare`; it also takes the webhooks). Every server is warmed
//! up, then measured `RUNS` times: the median and the spread (slowest to
//! fastest) are printed. The bare handler is measured again before the
//! PostgreSQL runs, with no gateway running, and their ratios are to that
//! figure: a machine whose speed drifts over the minutes between them
//! skews neither.
//! With `TENDER_BENCH_POSTGRES` (a server's admin URL, which `cargo xtask
//! bench` sets) the gateway runs on PostgreSQL too, as one instance and as
//! two sharing the database. Each run also gives the time the gateways
//! spent meanwhile in serialized write sections, read from their
//! `/metrics` before and after it. Then, on SQLite: the gateway's resident
//! memory after 100,000 sessions, and `/v1/events` p99 with 1,000,000
//! events stored. Prints one JSON line per figure set.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::routing::post;
use axum::{Json, Router};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tender_launch::gateway::{GatewayProcess, GatewayToml};
use tender_launch::supervise::Supervised;

/// Figures at full size when built to measure (`cargo bench`); a quick
/// pass when `cargo test --all-targets` runs this as a smoke test.
const FULL: bool = !cfg!(debug_assertions);
/// About a second a run at today's rates: runs of 3,000 (a third of a
/// second on SQLite) spread by 2,900 creates/s around 8,200 in one bench.
const REQUESTS: usize = if FULL { 10_000 } else { 60 };
/// The bare handler answers five to ten times as fast as a create: as many
/// more requests make its runs last about as long as the gateway's (a run
/// of a few tens of milliseconds mostly measures how the machine happened
/// to be at that moment).
const BARE_REQUESTS: usize = if FULL { 60_000 } else { 60 };
const WARM_UP: usize = if FULL { 500 } else { 20 };
const CONCURRENCY: usize = 32;
const RUNS: usize = 3;
const SESSIONS_FOR_RSS: usize = if FULL { 100_000 } else { 400 };
const EVENTS_FOR_LIST: i64 = if FULL { 1_000_000 } else { 10_000 };
const LIST_REQUESTS: usize = if FULL { 300 } else { 30 };

fn main() {
    if std::env::var("BENCH_SERVE").as_deref() == Ok("bare") {
        return serve_bare();
    }
    tokio::runtime::Runtime::new()
        .expect("a runtime")
        .block_on(run());
}

/// Webhooks the bare server took (it is every gateway's one endpoint).
static HOOKS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The webhooks the bare server has taken so far.
async fn hooks(http: &reqwest::Client, bare: &Bare) -> u64 {
    text(http, &format!("{}/hooks", bare.url))
        .await
        .parse()
        .unwrap()
}

/// The body of a GET of `url`.
async fn text(http: &reqwest::Client, url: &str) -> String {
    http.get(url).send().await.unwrap().text().await.unwrap()
}

/// Measures creates on `gateways` ([`measure`]), adding how many webhooks
/// they delivered meanwhile, per session made (a gateway that kept its
/// writes for the creates and left deliveries for later would look faster
/// than it is), and the time they spent meanwhile in serialized write
/// sections: per session made, and as a share of the time measured.
async fn measure_delivering(
    http: &reqwest::Client,
    gateways: &[&Gateway],
    keys: &[String],
    bare: &Bare,
) -> Value {
    let urls: Vec<String> = gateways.iter().map(|g| g.sessions()).collect();
    let delivered = hooks(http, bare).await;
    let held = serialized_seconds(http, gateways).await;
    let started = Instant::now();
    let mut figures = measure(http, &urls, keys, REQUESTS).await;
    let elapsed = started.elapsed().as_secs_f64();
    let held = serialized_seconds(http, gateways).await - held;
    let delivered = hooks(http, bare).await - delivered;
    let made = (WARM_UP + RUNS * REQUESTS) as f64;
    figures["webhooks_delivered_meanwhile_per_session"] = json!(round(delivered as f64 / made));
    figures["serialized_us_per_create"] = json!(round(held * 1e6 / made));
    figures["serialized_busy_share"] = json!(round(held / elapsed));
    figures
}

/// The baseline server: parse the same JSON, answer JSON, nothing else.
fn serve_bare() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let app = Router::new()
            .route(
                "/",
                post(|Json(body): Json<Value>| async move {
                    (
                        axum::http::StatusCode::CREATED,
                        Json(json!({"id": "cs_bare", "echo": body})),
                    )
                }),
            )
            .route(
                "/hook",
                post(|| async {
                    HOOKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    axum::http::StatusCode::NO_CONTENT
                }),
            )
            .route(
                "/hooks",
                axum::routing::get(|| async {
                    HOOKS.load(std::sync::atomic::Ordering::Relaxed).to_string()
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap().port());
        axum::serve(listener, app).await.unwrap();
    });
}

/// The bare server, started as a child of this program.
struct Bare {
    url: String,
    child: Child,
}

impl Drop for Bare {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_bare() -> Bare {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env("BENCH_SERVE", "bare")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the bare server");
    let mut port = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    Bare {
        url: format!("http://127.0.0.1:{}", port.trim()),
        child,
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A gateway process started for the benchmark.
struct Gateway {
    process: GatewayProcess,
    running: Supervised,
    /// Its `/metrics`.
    metrics: String,
}

impl Gateway {
    /// Its create-session URL.
    fn sessions(&self) -> String {
        format!("{}/v1/checkout/sessions", self.process.url)
    }
}

/// One gateway process on `database_url`, logging at info into `dir`.
fn start_gateway(dir: &Path, name: &str, database_url: &str) -> Gateway {
    let mut config = GatewayToml::new(free_port(), database_url);
    let metrics_port = free_port();
    config.metrics_port = Some(metrics_port);
    let process = GatewayProcess::prepare(
        Path::new(env!("CARGO_BIN_EXE_tender-gateway")),
        &config,
        &dir.join(format!("{name}.toml")),
    )
    .unwrap();
    let log = dir.join(format!("{name}.log"));
    let running = process.start(name, Some(&log), "info").unwrap();
    Gateway {
        process,
        running,
        metrics: format!("http://127.0.0.1:{metrics_port}/metrics"),
    }
}

/// The time `gateways` have spent in serialized write sections so far
/// (each serves its total on `/metrics`), in seconds.
async fn serialized_seconds(http: &reqwest::Client, gateways: &[&Gateway]) -> f64 {
    let mut total = 0.0;
    for gateway in gateways {
        let body = text(http, &gateway.metrics).await;
        let value = body
            .lines()
            .find_map(|l| l.strip_prefix("tender_serialized_write_seconds_total "))
            .expect("the gateway serves its serialized time");
        total += value.trim().parse::<f64>().unwrap();
    }
    total
}

struct Figures {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Sends `n` POSTs of a session body, `CONCURRENCY` at a time, spread over
/// `urls` in turn; `key` is the bearer key (the bare server ignores it).
async fn load(http: &reqwest::Client, urls: &[String], keys: &[String], n: usize) -> Figures {
    let body = json!({
        "productData": {"name": "T-shirt", "price": {"amount": "25.00", "currency": "USD"}},
        "quantity": 1,
        "successUrl": "https://shop.example/thanks",
        "metadata": {"orderId": "bench"},
    });
    let started = Instant::now();
    let mut latencies: Vec<Duration> = futures_util::stream::iter(0..n)
        .map(|i| {
            let url = &urls[i % urls.len()];
            let key = &keys[i % keys.len()];
            let body = &body;
            async move {
                let sent = Instant::now();
                let response = http
                    .post(url)
                    .bearer_auth(key)
                    .header(
                        "Idempotency-Key",
                        tender_protocol::IdempotencyKey::generate().as_str(),
                    )
                    .json(body)
                    .send()
                    .await
                    .expect("server reachable");
                assert!(response.status().is_success(), "{}", response.status());
                response.bytes().await.expect("body");
                sent.elapsed()
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let elapsed = started.elapsed();
    latencies.sort();
    Figures {
        per_second: n as f64 / elapsed.as_secs_f64(),
        p50_ms: quantile_ms(&latencies, 0.50),
        p99_ms: quantile_ms(&latencies, 0.99),
    }
}

fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// Warms up, then measures `RUNS` times `requests`: (median, spread) of
/// each figure.
async fn measure(
    http: &reqwest::Client,
    urls: &[String],
    keys: &[String],
    requests: usize,
) -> Value {
    load(http, urls, keys, WARM_UP).await;
    let mut runs = Vec::new();
    for _ in 0..RUNS {
        runs.push(load(http, urls, keys, requests).await);
    }
    let stat = |f: fn(&Figures) -> f64| {
        let mut v: Vec<f64> = runs.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        (round(v[v.len() / 2]), round(v[v.len() - 1] - v[0]))
    };
    let (rate, rate_spread) = stat(|f| f.per_second);
    let (p50, _) = stat(|f| f.p50_ms);
    let (p99, p99_spread) = stat(|f| f.p99_ms);
    json!({
        "per_second": rate, "per_second_spread": rate_spread,
        "p50_ms": p50, "p99_ms": p99, "p99_ms_spread": p99_spread,
    })
}

/// The bare handler's figures, measured now.
async fn measure_bare(http: &reqwest::Client, bare: &Bare) -> Value {
    let urls = [format!("{}/", bare.url)];
    measure(http, &urls, &["x".to_owned()], BARE_REQUESTS).await
}

/// `measured`'s rate as a share of the bare handler's.
fn share(measured: &Value, bare: &Value) -> f64 {
    round(measured["per_second"].as_f64().unwrap() / bare["per_second"].as_f64().unwrap())
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A merchant's key on `gateway`, and the id of its one webhook endpoint
/// (the bare server's `/hook`, taking every event).
async fn merchant(
    http: &reqwest::Client,
    gateway: &GatewayProcess,
    bare: &Bare,
) -> (String, String) {
    let key = gateway.create_merchant("Bench Shop").unwrap().api_key;
    let endpoint: Value = http
        .post(format!("{}/v1/webhook-endpoints", gateway.url))
        .bearer_auth(&key)
        .json(&json!({"url": format!("{}/hook", bare.url), "enabledEvents": ["*"]}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    (key, endpoint["id"].as_str().unwrap().to_owned())
}

async fn run() {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bare = start_bare();
    let baseline = measure_bare(&http, &bare).await;

    let sqlite_url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let gateway = start_gateway(dir.path(), "sqlite", &sqlite_url);
    let (key, _) = merchant(&http, &gateway.process, &bare).await;
    let sessions = gateway.sessions();
    let sqlite = measure_delivering(&http, &[&gateway], std::slice::from_ref(&key), &bare).await;
    println!(
        "{}",
        json!({
            "bench": "create_session_sqlite",
            "path": "Idempotency-Key, one webhook endpoint, info logging, separate processes",
            "requests_per_run": REQUESTS, "runs": RUNS, "concurrency": CONCURRENCY,
            "tender": sqlite, "bare_axum": baseline, "ratio_of_bare": share(&sqlite, &baseline),
        })
    );

    // Resident memory after 100,000 sessions (those above count).
    let made = WARM_UP + RUNS * REQUESTS;
    load(
        &http,
        std::slice::from_ref(&sessions),
        std::slice::from_ref(&key),
        SESSIONS_FOR_RSS - made,
    )
    .await;
    println!(
        "{}",
        json!({"bench": "gateway_memory", "sessions": SESSIONS_FOR_RSS, "rss_mb": rss_mb(gateway.running.id())})
    );
    drop(gateway);
    println!("{}", serialized("sqlite", &sqlite, 1));

    list_at_a_million(&http, dir.path(), &bare).await;

    if let Ok(admin) = std::env::var("TENDER_BENCH_POSTGRES") {
        let baseline = measure_bare(&http, &bare).await;
        let url = postgres_database(&admin).await;
        let one = start_gateway(dir.path(), "pg1", &url);
        let (key, _) = merchant(&http, &one.process, &bare).await;
        let keys = [key];
        let single = measure_delivering(&http, &[&one], &keys, &bare).await;
        let two = start_gateway(dir.path(), "pg2", &url);
        let pair = measure_delivering(&http, &[&one, &two], &keys, &bare).await;
        println!(
            "{}",
            json!({
                "bench": "create_session_postgres",
                "requests_per_run": REQUESTS, "runs": RUNS, "concurrency": CONCURRENCY,
                "one_instance": single, "two_instances": pair, "bare_axum": baseline,
                "one_ratio_of_bare": share(&single, &baseline),
                "two_ratio_of_bare": share(&pair, &baseline),
            })
        );
        drop((one, two));
        println!("{}", serialized("postgres_one_instance", &single, 1));
        println!("{}", serialized("postgres_two_instances", &pair, 1));
        many_merchants_on_postgres(&http, dir.path(), &admin, &bare, &baseline).await;
    }
}

/// Merchants in the PostgreSQL run with several: each merchant's events are
/// numbered on its own row, so only one merchant's creates wait on each
/// other.
const MERCHANTS: usize = 8;

/// Two instances on a fresh database, requests spread over [`MERCHANTS`]
/// merchants: the serialized section is then per merchant, not
/// cluster-wide, and its busy share is given per merchant.
async fn many_merchants_on_postgres(
    http: &reqwest::Client,
    dir: &Path,
    admin: &str,
    bare: &Bare,
    baseline: &Value,
) {
    let url = postgres_database(admin).await;
    let one = start_gateway(dir, "pg3", &url);
    let two = start_gateway(dir, "pg4", &url);
    let mut keys = Vec::new();
    for _ in 0..MERCHANTS {
        keys.push(merchant(http, &one.process, bare).await.0);
    }
    let pair = measure_delivering(http, &[&one, &two], &keys, bare).await;
    drop((one, two));
    let section = serialized("postgres_two_instances_per_merchant", &pair, MERCHANTS);
    println!(
        "{}",
        json!({
            "bench": "create_session_postgres_many_merchants",
            "merchants": MERCHANTS, "requests_per_run": REQUESTS, "runs": RUNS,
            "two_instances": pair, "two_ratio_of_bare": share(&pair, baseline),
        })
    );
    println!("{section}");
}

/// The serialized write section of a measured run: its time per session
/// created, and the share of the run it was held, per one of `rows` (each
/// merchant's event counter is a section of its own).
fn serialized(database: &str, measured: &Value, rows: usize) -> Value {
    json!({
        "bench": "serialized_write_section", "database": database,
        "us_per_create": measured["serialized_us_per_create"],
        "busy_share": round(measured["serialized_busy_share"].as_f64().unwrap() / rows as f64),
    })
}

/// The process's resident set, in MB, from /proc.
fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    round(kb / 1024.0)
}

/// A new database on the PostgreSQL server at `admin`.
async fn postgres_database(admin: &str) -> String {
    use sqlx::{Connection, Executor};
    let name = format!(
        "bench_{}",
        tender_protocol::ids::random_token(12).to_lowercase()
    );
    let mut conn = sqlx::PgConnection::connect(admin).await.unwrap();
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

/// `/v1/events` with a million events stored (SQLite): the first page, a page deep
/// in the list, and a page of one type, `LIST_REQUESTS` of each in turn.
async fn list_at_a_million(http: &reqwest::Client, dir: &Path, bare: &Bare) {
    let url = format!("sqlite://{}", dir.join("events.db").display());
    let Gateway {
        process: gateway,
        running,
        ..
    } = start_gateway(dir, "events", &url);
    let (key, endpoint) = merchant(http, &gateway, bare).await;
    // A small event (a test event carries no session) to copy.
    http.post(format!(
        "{}/v1/webhook-endpoints/{endpoint}/test",
        gateway.url
    ))
    .bearer_auth(&key)
    .json(&json!({}))
    .send()
    .await
    .unwrap()
    .error_for_status()
    .unwrap();
    drop(running);
    // A million copies of that event, each its own id, of two types.
    let db = sqlx::SqlitePool::connect(&url).await.unwrap();
    let (merchant, payload, id): (String, String, String) =
        sqlx::query_as("SELECT merchant_id, payload, id FROM events LIMIT 1")
            .fetch_one(&db)
            .await
            .unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i <= $1)
         INSERT INTO events (id, merchant_id, type, session_id, payload, created_at, seq)
         SELECT printf('evt_bench%012d', i), $2,
                CASE i % 4 WHEN 0 THEN 'session.paid' ELSE 'session.created' END,
                '', replace($3, $4, printf('evt_bench%012d', i)), $5 - $1 + i, i
         FROM n",
    )
    .bind(EVENTS_FOR_LIST)
    .bind(&merchant)
    .bind(&payload)
    .bind(&id)
    // Stamped in the last EVENTS_FOR_LIST seconds (under 12 days): inside
    // retention, so the gateway's retention worker leaves them be.
    .bind(tender_gateway::clock::now_seconds())
    .execute(&db)
    .await
    .unwrap();
    sqlx::query("UPDATE merchants SET event_seq = $1 WHERE id = $2")
        .bind(EVENTS_FOR_LIST + 1)
        .bind(&merchant)
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    let running = gateway.start("events", None, "warn").unwrap();
    let pages = [
        "/v1/events?limit=100".to_owned(),
        // From the middle of the list.
        format!(
            "/v1/events?limit=100&startingAfter=evt_bench{:012}",
            EVENTS_FOR_LIST / 2
        ),
        "/v1/events?limit=100&type=session.paid".to_owned(),
    ];
    let mut latencies = Vec::new();
    for i in 0..LIST_REQUESTS {
        let sent = Instant::now();
        let answer = http
            .get(format!("{}{}", gateway.url, pages[i % pages.len()]))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success(), "{}", answer.status());
        answer.bytes().await.unwrap();
        latencies.push(sent.elapsed());
    }
    latencies.sort();
    println!(
        "{}",
        json!({
            "bench": "list_events",
            "events": EVENTS_FOR_LIST, "requests": LIST_REQUESTS, "limit": 100,
            "p50_ms": round(quantile_ms(&latencies, 0.5)),
            "p99_ms": round(quantile_ms(&latencies, 0.99)),
        })
    );
    drop(running);
}
