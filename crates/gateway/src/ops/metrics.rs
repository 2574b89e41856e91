//! Prometheus figures, served on their own listener (`ops.metrics_listen`):
//! HTTP latency by route, counted as requests come; the rest read when
//! scraped: each network's watcher lag and treasury balances, open quotes,
//! the outbox's backlog and its oldest due delivery, deliveries by status,
//! payouts and sweeps pending per network, what the treasury lacks.

use std::time::{Duration, Instant};

use alloy::primitives::{Address, U256};
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::text::encode;

use crate::clock::{now_ms, now_seconds};
use crate::config::NATIVE_DECIMALS;
use crate::ops::figures::labels;
use crate::ops::health::head_lag;
use crate::settlement::cover;
use crate::state::AppState;

/// Middleware: times each request, by its route's template (never the
/// path itself, whose ids would make a series per session).
pub async fn time_requests(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    // A client may send any method name: only the standard ones get their
    // own series, so no client can grow the registry.
    let method = match *request.method() {
        Method::GET
        | Method::POST
        | Method::PUT
        | Method::DELETE
        | Method::HEAD
        | Method::OPTIONS
        | Method::PATCH => request.method().as_str(),
        _ => "other",
    }
    .to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let class = format!("{}xx", response.status().as_u16() / 100);
    state
        .metrics
        .http
        .get_or_create(&labels(&[
            ("route", &route),
            ("method", &method),
            ("status", &class),
        ]))
        .observe(started.elapsed().as_secs_f64());
    response
}

/// The metrics listener's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(state)
}

async fn scrape(State(state): State<AppState>) -> Response {
    if let Err(err) = refresh(&state).await {
        tracing::warn!(error = %err, "metrics: a figure could not be read");
    }
    let mut text = String::new();
    if encode(&mut text, &state.metrics.registry).is_err() {
        return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// Reads the figures that live in the database and on the chains.
async fn refresh(state: &AppState) -> anyhow::Result<()> {
    let m = &state.metrics;
    let db = &state.db;
    let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM quotes WHERE expires_at > $1")
        .bind(now_seconds())
        .fetch_one(db)
        .await?;
    m.open_quotes.set(open);
    let (backlog, oldest): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MIN(next_attempt_ms) FROM deliveries WHERE status = 'pending'",
    )
    .fetch_one(db)
    .await?;
    m.outbox_backlog.set(backlog);
    m.oldest_due
        .set(oldest.map_or(0, |due| ((now_ms() - due) / 1000).max(0)));
    m.deliveries.clear();
    let by_status: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM deliveries GROUP BY status")
            .fetch_all(db)
            .await?;
    for (status, n) in by_status {
        m.deliveries
            .get_or_create(&labels(&[("status", &status)]))
            .set(n);
    }
    for network in &state.config.networks {
        let chain_id = i64::try_from(network.chain_id)?;
        let id = network.id.as_str();
        let payouts: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM settlements WHERE chain_id = $1 AND status IN ('sent', 'retrying')",
        )
        .bind(chain_id)
        .fetch_one(db)
        .await?;
        m.payouts_pending
            .get_or_create(&labels(&[("network", id)]))
            .set(payouts);
        let sweeps: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sweeps WHERE chain_id = $1 AND status IN ('new', 'funding', 'sweeping')",
        )
        .bind(chain_id)
        .fetch_one(db)
        .await?;
        m.sweeps_pending
            .get_or_create(&labels(&[("network", id)]))
            .set(sweeps);
        match head_lag(state, id).await {
            Ok(lag) => {
                m.head_lag
                    .get_or_create(&labels(&[("network", id)]))
                    .set(i64::try_from(lag).unwrap_or(i64::MAX));
            }
            // A node that does not answer has no figure, rather than a
            // made-up one.
            Err(_) => {
                m.head_lag.remove(&labels(&[("network", id)]));
            }
        }
        treasury_balances(state, network).await;
        shortfalls(state, network).await;
    }
    Ok(())
}

/// Balances of the treasury on `network`, native and each token.
async fn treasury_balances(state: &AppState, network: &crate::config::NetworkConfig) {
    let Some(chain) = state.chains.get(&network.id) else {
        return;
    };
    let owner = state.treasury.address();
    let mut coins: Vec<(String, Option<Address>, u32)> =
        vec![(network.native_token.clone(), None, NATIVE_DECIMALS)];
    coins.extend(network.tokens.iter().map(|t| {
        (
            t.symbol.clone(),
            t.address.as_str().parse().ok(),
            t.decimals,
        )
    }));
    for (symbol, contract, decimals) in coins {
        let read = async {
            match contract {
                None => chain.balance(owner).await,
                Some(token) => chain.token_balance(token, owner).await,
            }
        };
        let series = labels(&[("network", &network.id), ("token", &symbol)]);
        match tokio::time::timeout(Duration::from_secs(3), read).await {
            Ok(Ok(raw)) => {
                state
                    .metrics
                    .treasury
                    .get_or_create(&series)
                    .set(whole_tokens(raw, decimals));
            }
            _ => {
                state.metrics.treasury.remove(&series);
            }
        }
    }
}

/// What the treasury lacks on `network`, per coin (0 where it covers).
async fn shortfalls(state: &AppState, network: &crate::config::NetworkConfig) {
    let Some(chain) = state.chains.get(&network.id) else {
        return;
    };
    let family = &state.metrics.treasury_short;
    let series = |symbol: &str| labels(&[("network", &network.id), ("token", symbol)]);
    let covers = match tokio::time::timeout(Duration::from_secs(3), cover::of(state, chain)).await {
        Ok(Ok(covers)) => covers,
        // Not known: no figure rather than a made-up one.
        _ => {
            let symbols = std::iter::once(&network.native_token)
                .chain(network.tokens.iter().map(|t| &t.symbol));
            for symbol in symbols {
                family.remove(&series(symbol));
            }
            return;
        }
    };
    family
        .get_or_create(&series(&network.native_token))
        .set(0.0);
    for token in &network.tokens {
        family.get_or_create(&series(&token.symbol)).set(0.0);
    }
    for cover in covers {
        family
            .get_or_create(&series(&cover.symbol))
            .set(whole_tokens(cover.missing(), cover.decimals));
    }
}

/// A balance in whole tokens, for a figure on a graph (never for sums).
fn whole_tokens(raw: U256, decimals: u32) -> f64 {
    let text = raw.to_string();
    let value: f64 = text.parse().unwrap_or(f64::MAX);
    value / 10f64.powi(i32::try_from(decimals).unwrap_or(18))
}
