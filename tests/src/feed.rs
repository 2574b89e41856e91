//! A real HTTP price feed for tests: answers `GET /` with a table of rates
//! (which the test can change) until stopped.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::get;
use serde_json::Value;
use tokio::task::JoinHandle;

/// A running price feed.
pub struct PriceFeed {
    pub url: String,
    table: Arc<Mutex<Value>>,
    server: JoinHandle<()>,
}

impl PriceFeed {
    pub async fn start(table: Value) -> Self {
        let table = Arc::new(Mutex::new(table));
        let served = table.clone();
        let app = Router::new().route(
            "/",
            get(move || async move { axum::Json(served.lock().expect("feed table").clone()) }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind feed");
        let url = format!("http://{}/", listener.local_addr().expect("address"));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, table, server }
    }

    /// Answers `table` from now on.
    pub fn set(&self, table: Value) {
        *self.table.lock().expect("feed table") = table;
    }

    /// Stops answering: connections are refused from now on.
    pub fn stop(&self) {
        self.server.abort();
    }
}

impl Drop for PriceFeed {
    fn drop(&mut self) {
        self.server.abort();
    }
}
