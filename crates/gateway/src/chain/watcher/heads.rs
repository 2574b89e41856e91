//! New heads pushed over WebSocket: each wakes the watcher at once.
//! Reconnects with backoff; polling goes on regardless, so a dead socket
//! only costs latency.

use std::sync::Arc;
use std::time::Duration;

use alloy::providers::{Provider, ProviderBuilder, WsConnect};
use futures_util::StreamExt;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Wakes `wake` on every new head `url` announces, until cancelled.
pub async fn follow(
    url: url::Url,
    wake: Arc<Notify>,
    network: String,
    shutdown: CancellationToken,
) {
    let mut backoff = Duration::from_millis(500);
    loop {
        let connected = async {
            let provider = ProviderBuilder::new()
                .disable_recommended_fillers()
                .connect_ws(WsConnect::new(url.as_str()))
                .await?;
            let mut heads = provider.subscribe_blocks().await?.into_stream();
            tracing::info!(network, "following new heads over WebSocket");
            while heads.next().await.is_some() {
                wake.notify_one();
            }
            anyhow::Ok(())
        };
        tokio::select! {
            () = shutdown.cancelled() => return,
            result = connected => {
                if let Err(err) = result {
                    tracing::warn!(network, error = format!("{err:#}"), "WebSocket new heads unavailable; polling");
                }
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}
