//! A switchable HTTP hop between the gateway and the merchant's webhook
//! endpoint: it forwards deliveries while up and answers 503 while down, to
//! play a merchant server that is unreachable for a while.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;

#[derive(Clone)]
struct Hop {
    up: Arc<AtomicBool>,
    target: String,
    http: reqwest::Client,
}

/// A running switch.
pub struct Switch {
    pub url: String,
    up: Arc<AtomicBool>,
}

impl Switch {
    /// Forwards `POST /` to `target` while up; starts down.
    pub async fn start(target: String) -> Self {
        let up = Arc::new(AtomicBool::new(false));
        let hop = Hop {
            up: up.clone(),
            target,
            http: reqwest::Client::new(),
        };
        let app = Router::new().route("/", post(forward)).with_state(hop);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind switch");
        let url = format!("http://{}/", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, up }
    }

    pub fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
    }
}

async fn forward(State(hop): State<Hop>, headers: HeaderMap, body: Bytes) -> StatusCode {
    if !hop.up.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let mut request = hop.http.post(&hop.target).body(body);
    for (name, value) in &headers {
        if name.as_str().starts_with("webhook-") || name == "content-type" {
            request = request.header(name.as_str(), value.as_bytes());
        }
    }
    match request.send().await {
        Ok(response) => {
            StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY)
        }
        Err(_) => StatusCode::BAD_GATEWAY,
    }
}
