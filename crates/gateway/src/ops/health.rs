//! `/healthz`: the process answers. `/readyz`: it can take money: the
//! database answers, and each network's node answers with its watcher
//! within `ops.max_head_lag_blocks` of the head. The answer names each
//! check and what is wrong with the failing ones; it also says whether each
//! network's treasury covers what it must send (told, not required: a
//! short treasury delays payouts but does not stop payments).

use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use crate::ops::figures::{Check, Readiness};
use crate::settlement::cover;
use crate::state::AppState;

/// How long a check may take before it counts as failed.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a readiness answer is given again.
const KEEP_READINESS: Duration = Duration::from_secs(1);

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/healthz",
            get(|| async { Json(serde_json::json!({"status": "ok"})) }),
        )
        .route("/readyz", get(ready))
}

async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    // One check at a time, its answer kept a second: a flood of `/readyz`
    // costs the database and the nodes one check a second, not one each.
    let mut last = state.metrics.last_readiness.lock().await;
    let readiness = match &*last {
        Some((at, kept)) if at.elapsed() < KEEP_READINESS => kept.clone(),
        _ => {
            let fresh = readiness(&state).await;
            *last = Some((Instant::now(), fresh.clone()));
            fresh
        }
    };
    drop(last);
    let status = if readiness.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(readiness))
}

/// Every check, run now.
pub async fn readiness(state: &AppState) -> Readiness {
    let mut checks = vec![database(state).await];
    for network in &state.config.networks {
        checks.push(network_check(state, &network.id).await);
        checks.push(treasury_check(state, &network.id).await);
    }
    Readiness {
        ready: checks.iter().all(|c| c.ok || !c.required),
        checks,
    }
}

async fn database(state: &AppState) -> Check {
    let answer = tokio::time::timeout(
        CHECK_TIMEOUT,
        sqlx::query_scalar::<_, i64>("SELECT 1").fetch_one(&state.db),
    )
    .await;
    let (ok, detail) = match answer {
        Ok(Ok(_)) => (true, "answering".to_owned()),
        Ok(Err(err)) => (false, format!("refused a query: {err}")),
        Err(_) => (false, "no answer within 3 s".to_owned()),
    };
    Check {
        name: "database".into(),
        ok,
        required: true,
        detail,
    }
}

/// How far the watcher of `network` is behind its node's head, in blocks,
/// or why that cannot be told.
pub async fn head_lag(state: &AppState, network: &str) -> Result<u64, String> {
    let chain = state
        .chains
        .get(network)
        .ok_or_else(|| "not configured".to_owned())?;
    let head = match tokio::time::timeout(CHECK_TIMEOUT, chain.head()).await {
        Ok(Ok(head)) => head.number,
        Ok(Err(err)) => return Err(format!("its node refused: {err:#}")),
        Err(_) => return Err("its node did not answer within 3 s".to_owned()),
    };
    let scanned: Option<i64> =
        sqlx::query_scalar("SELECT block_number FROM chain_cursors WHERE chain_id = $1")
            .bind(i64::try_from(chain.network.chain_id).unwrap_or(i64::MAX))
            .fetch_optional(&state.db)
            .await
            .map_err(|err| format!("its cursor could not be read: {err}"))?;
    // A watcher that has not scanned yet starts at the head.
    let scanned = scanned.map_or(head, |n| u64::try_from(n).unwrap_or(0));
    Ok(head.saturating_sub(scanned))
}

async fn network_check(state: &AppState, network: &str) -> Check {
    let most = state.config.ops.max_head_lag_blocks;
    let (ok, detail) = match head_lag(state, network).await {
        Ok(lag) if lag <= most => (true, format!("watcher {lag} blocks behind the head")),
        Ok(lag) => (
            false,
            format!("watcher {lag} blocks behind the head (at most {most})"),
        ),
        Err(why) => (false, why),
    };
    Check {
        name: format!("network:{network}"),
        ok,
        required: true,
        detail,
    }
}

/// Whether the treasury on `network` covers what it must send.
async fn treasury_check(state: &AppState, network: &str) -> Check {
    let (ok, detail) = match state.chains.get(network) {
        None => (false, "not configured".to_owned()),
        Some(chain) => match tokio::time::timeout(CHECK_TIMEOUT, cover::of(state, chain)).await {
            Ok(Ok(covers)) if covers.is_empty() => (true, "nothing waiting to be sent".to_owned()),
            Ok(Ok(covers)) => (
                covers.iter().all(|c| c.missing().is_zero()),
                covers
                    .iter()
                    .map(cover::Cover::describe)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Ok(Err(err)) => (false, format!("could not be told: {err:#}")),
            Err(_) => (false, "could not be told within 3 s".to_owned()),
        },
    };
    Check {
        name: format!("treasury:{network}"),
        ok,
        required: false,
        detail,
    }
}
