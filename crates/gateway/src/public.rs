//! The public API: the cashier's (`/v1/pay/*`, its live stream), the
//! claim page's (`/v1/claims/*`) and payment links' (`/l/*`), with no API key — a session id or claim
//! token is the capability — and every request held to [`crate::limits`].

use std::net::{IpAddr, SocketAddr};

use axum::Router;
use axum::extract::{ConnectInfo, RawPathParams, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use crate::limits::ClientIp;
use crate::state::AppState;
use crate::{cashier, checkout, refunds};

/// The public API's routes, behind [`guard`].
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(cashier::api::router())
        .merge(cashier::live::router())
        .merge(refunds::claims::router())
        .merge(checkout::links::visit_router())
        .route_layer(middleware::from_fn_with_state(state.clone(), guard))
}

/// Middleware of the public API: counts the request against its address
/// and its session (the route's `{id}` or `{token}`), and tells handlers the
/// address ([`ClientIp`]).
pub async fn guard(
    State(state): State<AppState>,
    params: RawPathParams,
    mut request: Request,
    next: Next,
) -> Response {
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
    let subject = params
        .iter()
        .find(|(name, _)| matches!(*name, "id" | "token"))
        .map(|(_, value)| value.to_owned());
    if let Err(refused) = state.limits.admit(ip, subject.as_deref()) {
        return refused.into_response();
    }
    request.extensions_mut().insert(ClientIp(ip));
    next.run(request).await
}
