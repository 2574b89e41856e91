//! The cashier's live stream: Server-Sent Events of the public session
//! whenever it may have changed (a status, a block's confirmations, a
//! quote), until it is paid or expired.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::{Extension, Path, State};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::routing::get;
use futures_util::Stream;
use tender_protocol::ErrorBody;

use crate::cashier::api::{parse_id, public_session};
use crate::error::ApiResult;
use crate::limits::ClientIp;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/pay/{id}/events", get(events))
}

/// How often a live page is refreshed even without a change notice.
const HEARTBEAT: Duration = Duration::from_secs(5);

/// Server-Sent Events: a `session` event with the public session whenever
/// it changes (status, confirmations, quote), until it is paid or expired.
#[utoipa::path(get, path = "/v1/pay/{id}/events", tag = "Cashier (public)",
    params(("id" = String, Path, description = "Session id (cs_...)")),
    responses((status = 200, description = "text/event-stream of `session` events, each a PublicSession"),
              (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(id): Path<String>,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let id = parse_id(&id)?;
    public_session(&state, &id).await?; // 404 before the stream starts
    // Counted while the stream lives: the guard travels with it.
    let guard = state.limits.open_stream(ip, id.as_str())?;
    let changes = state.changes.subscribe();
    let stream = futures_util::stream::unfold(
        (state, id, changes, None::<String>, false, guard),
        |(state, id, mut changes, mut last, done, guard)| async move {
            if done {
                return None;
            }
            loop {
                let snapshot = match public_session(&state, &id).await {
                    Ok(session) => session,
                    Err(err) => {
                        tracing::warn!(session = %id, error = %err, "live session stream ended");
                        return None;
                    }
                };
                let json = serde_json::to_string(&snapshot).unwrap_or_default();
                if last.as_deref() != Some(json.as_str()) {
                    let finished = !snapshot.status.is_payable();
                    let event = SseEvent::default().event("session").data(json.clone());
                    let next = (state, id, changes, Some(json), finished, guard);
                    return Some((Ok(event), next));
                }
                tokio::select! {
                    _ = changes.changed() => {}
                    () = tokio::time::sleep(HEARTBEAT) => {}
                    // The gateway is stopping: the page reconnects elsewhere.
                    () = state.stopping.cancelled() => return None,
                }
                last = Some(json);
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
