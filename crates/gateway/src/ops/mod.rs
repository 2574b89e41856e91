//! Running the gateway: liveness and readiness for the orchestrator
//! (`health`: `/healthz`, `/readyz`) and Prometheus figures (`figures`)
//! served on their own listener (`metrics`); log lines written by a thread
//! of their own (`logs`).

pub mod figures;
pub mod health;
pub mod logs;
pub mod metrics;
