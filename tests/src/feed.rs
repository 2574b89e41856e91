//! A real HTTP price feed for tests: answers `GET /` with a fixed table of
//! rates until stopped.

use axum::Router;
use axum::routing::get;
use serde_json::Value;
use tokio::task::JoinHandle;

/// A running price feed.
pub struct PriceFeed {
    pub url: String,
    server: JoinHandle<()>,
}

impl PriceFeed {
    pub async fn start(table: Value) -> Self {
        let app = Router::new().route("/", get(move || async move { axum::Json(table.clone()) }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind feed");
        let url = format!("http://{}/", listener.local_addr().expect("address"));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, server }
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
