//! A JSON-RPC hop in front of a chain that can serve an older head, as a
//! lagging node (or one of several behind a load balancer) does: asked for
//! the latest block, it answers the block `lag` below the real head.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde_json::{Value, json};

#[derive(Clone)]
struct Hop {
    target: String,
    lag: Arc<AtomicU64>,
    http: reqwest::Client,
}

/// A running hop.
pub struct Lagging {
    pub url: String,
    lag: Arc<AtomicU64>,
    server: tokio::task::JoinHandle<()>,
}

impl Lagging {
    /// Forwards JSON-RPC to `target` (an `http://` URL), at first without lag.
    pub async fn start(target: String) -> Self {
        let lag = Arc::new(AtomicU64::new(0));
        let hop = Hop {
            target,
            lag: lag.clone(),
            http: reqwest::Client::new(),
        };
        let app = Router::new().route("/", post(forward)).with_state(hop);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the hop");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, lag, server }
    }

    /// From now on, "latest" is `blocks` below the real head.
    pub fn set_lag(&self, blocks: u64) {
        self.lag.store(blocks, Ordering::SeqCst);
    }
}

impl Drop for Lagging {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn call(hop: &Hop, body: &Value) -> Option<Value> {
    hop.http
        .post(&hop.target)
        .json(body)
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()
}

async fn forward(
    State(hop): State<Hop>,
    axum::Json(mut body): axum::Json<Value>,
) -> axum::Json<Value> {
    let lag = hop.lag.load(Ordering::SeqCst);
    let method = body["method"].as_str().unwrap_or_default().to_owned();
    let asks_latest = (method == "eth_getBlockByNumber" && body["params"][0] == "latest")
        || method == "eth_blockNumber";
    if lag > 0 && asks_latest {
        let head = call(
            &hop,
            &json!({"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber", "params": []}),
        )
        .await
        .and_then(|answer| answer["result"].as_str().map(str::to_owned))
        .and_then(|hex| u64::from_str_radix(hex.trim_start_matches("0x"), 16).ok())
        .unwrap_or(0);
        let older = format!("0x{:x}", head.saturating_sub(lag));
        if method == "eth_blockNumber" {
            return axum::Json(json!({"jsonrpc": "2.0", "id": body["id"], "result": older}));
        }
        body["params"][0] = json!(older);
    }
    axum::Json(call(&hop, &body).await.unwrap_or(Value::Null))
}
