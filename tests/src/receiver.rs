//! A real HTTP server that records every webhook delivery it receives.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;

/// One delivery as it arrived: when, raw headers and body.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub at: std::time::Instant,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A webhook receiver on a free port that answers 200 and records.
pub struct Receiver {
    pub url: String,
    deliveries: Arc<Mutex<Vec<Delivery>>>,
}

impl Receiver {
    pub async fn start() -> Self {
        let deliveries = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new()
            .route("/", post(record))
            .with_state(deliveries.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let url = format!("http://{}/", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, deliveries }
    }

    /// Everything received so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries.lock().expect("receiver lock").clone()
    }
}

async fn record(
    State(store): State<Arc<Mutex<Vec<Delivery>>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let at = std::time::Instant::now();
    store
        .lock()
        .expect("receiver lock")
        .push(Delivery { at, headers, body });
    StatusCode::OK
}
