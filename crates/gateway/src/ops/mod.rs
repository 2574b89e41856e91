//! Running the gateway: liveness and readiness for the orchestrator
//! (`health`: `/healthz`, `/readyz`) and Prometheus figures (`figures`)
//! served on their own listener (`metrics`).

pub mod figures;
pub mod health;
pub mod metrics;
