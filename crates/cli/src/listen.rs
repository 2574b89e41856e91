//! `tender listen`: the merchant's events from the gateway's stream,
//! forwarded to a local server as webhooks, signed (Standard Webhooks) with
//! a secret printed at start, one line per delivery with its status and
//! latency. After a lost connection (a gateway restart) it reconnects with
//! `Last-Event-ID`, so nothing is missed or forwarded twice.

use std::time::{Duration, Instant};

use anyhow::Context;
use tender_protocol::WebhookSecret;
use tender_protocol::webhooks::{HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use tokio_util::sync::CancellationToken;

use crate::sse::{Message, Reader};

/// Longest wait between reconnections.
const MOST_BACKOFF: Duration = Duration::from_secs(5);

/// What to listen to and where to send it.
pub struct Listen {
    pub gateway: String,
    pub api_key: String,
    pub forward_to: String,
    /// Only these event types (all when empty).
    pub events: Vec<String>,
    pub secret: WebhookSecret,
}

impl Listen {
    /// Forwards events until `stop`; `say` gets each line to print.
    pub async fn run(self, say: impl Fn(String), stop: CancellationToken) -> anyhow::Result<()> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        let forward = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?;
        let url = format!("{}/v1/events/stream", self.gateway.trim_end_matches('/'));
        let mut last: Option<String> = None;
        let mut backoff = Duration::from_millis(250);
        say(format!(
            "Ready. Forwarding events to {} signed with {}",
            self.forward_to,
            self.secret.expose()
        ));
        loop {
            let mut request = http.get(&url).bearer_auth(&self.api_key);
            if let Some(id) = &last {
                request = request.header("last-event-id", id);
            }
            let connected = tokio::select! {
                answer = request.send() => answer,
                () = stop.cancelled() => return Ok(()),
            };
            match connected {
                Ok(answer) if answer.status().is_success() => {
                    backoff = Duration::from_millis(250);
                    say(format!("Connected to {}", self.gateway));
                    let mut reader = Reader::new(answer);
                    loop {
                        let next = tokio::select! {
                            next = reader.next() => next,
                            () = stop.cancelled() => return Ok(()),
                        };
                        match next {
                            Ok(Some(message)) => {
                                if let Some(id) = &message.id {
                                    last = Some(id.clone());
                                }
                                self.forward(&forward, &message, &say).await;
                            }
                            Ok(None) | Err(_) => {
                                say("Connection to the gateway lost; reconnecting…".into());
                                break;
                            }
                        }
                    }
                }
                Ok(answer) if answer.status() == reqwest::StatusCode::UNAUTHORIZED => {
                    anyhow::bail!("the gateway refused the key (401): run tender login again");
                }
                // The last event forwarded is gone (retention pruned it):
                // go on from the newest.
                Ok(answer)
                    if answer.status() == reqwest::StatusCode::BAD_REQUEST && last.is_some() =>
                {
                    say(
                        "The last event forwarded is no longer kept; going on from the newest"
                            .into(),
                    );
                    last = None;
                    continue;
                }
                Ok(answer) => say(format!(
                    "The gateway answered {}; retrying…",
                    answer.status()
                )),
                Err(_) => say(format!(
                    "The gateway at {} did not answer; retrying…",
                    self.gateway
                )),
            }
            tokio::select! {
                () = tokio::time::sleep(backoff) => {}
                () = stop.cancelled() => return Ok(()),
            }
            backoff = (backoff * 2).min(MOST_BACKOFF);
        }
    }

    async fn forward(&self, http: &reqwest::Client, message: &Message, say: &impl Fn(String)) {
        let kind = message.event.clone().unwrap_or_else(|| "message".into());
        if !self.events.is_empty() && !self.events.contains(&kind) {
            return;
        }
        let id = message.id.clone().unwrap_or_default();
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let signature = self.secret.sign(&id, timestamp, &message.data);
        let started = Instant::now();
        let sent = http
            .post(&self.forward_to)
            .header("content-type", "application/json")
            .header(HEADER_ID, &id)
            .header(HEADER_TIMESTAMP, timestamp.to_string())
            .header(HEADER_SIGNATURE, signature)
            .body(message.data.clone())
            .send()
            .await
            .context("no answer");
        let ms = started.elapsed().as_millis();
        say(match sent {
            Ok(answer) => format!("{kind} {id} -> {} ({ms} ms)", answer.status().as_u16()),
            Err(err) => format!("{kind} {id} -> failed: {err:#} ({ms} ms)"),
        });
    }
}
