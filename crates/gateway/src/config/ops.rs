//! The `[ops]` settings: how the gateway is run and watched.

use std::net::SocketAddr;

use serde::Deserialize;

/// Running the gateway: metrics, readiness, shutdown, logs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpsConfig {
    /// Where `/metrics` is served: its own address, loopback by default (a
    /// free port, logged at start), so it is never public by accident.
    pub metrics_listen: SocketAddr,
    /// `/readyz` is unready while a watcher is further than this many
    /// blocks behind its node's head.
    pub max_head_lag_blocks: u64,
    /// On SIGTERM: how long in-flight requests, deliveries and payouts get
    /// to finish before the process exits anyway (claimed deliveries not
    /// finished are taken again when their lease ends).
    pub shutdown_grace_seconds: u64,
    /// Logs as JSON lines (with `session`, `event`, `tx` fields) instead of
    /// text.
    pub json_logs: bool,
}

impl Default for OpsConfig {
    fn default() -> Self {
        Self {
            metrics_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            max_head_lag_blocks: 20,
            shutdown_grace_seconds: 20,
            json_logs: false,
        }
    }
}
