//! `GET /v1/events/stream`: the merchant's events as Server-Sent Events, in
//! the order they were committed, for the dashboard's live pages and any
//! client that wants them without a public URL. Each message's `id` is the
//! event id: a client that reconnects with `Last-Event-ID` (or `?after=`)
//! gets everything after it, nothing twice.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::extract::{ConnectInfo, Extension, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use tender_protocol::{ErrorBody, EventId, MerchantId};

use crate::error::{ApiError, ApiQuery, ApiResult};
use crate::merchants::auth::Merchant;
use crate::state::AppState;

/// Events read per query while catching up.
const BATCH: i64 = 100;
/// How often the stream looks for events even without a notice from this
/// process (another instance may have written them).
const POLL: Duration = Duration::from_secs(2);

/// `?after=`: the last event the client has.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StreamParams {
    /// Start after this event (`evt_…`); `Last-Event-ID` wins over it.
    /// Without either, the stream starts with the next event.
    pub after: Option<String>,
}

/// Stream events as they are committed (`text/event-stream`; each message's
/// `event` is the event type, `id` the event id, `data` the event as a
/// webhook carries it).
#[utoipa::path(get, path = "/v1/events/stream", tag = "Events", params(StreamParams),
    responses((status = 200, description = "text/event-stream of the merchant's events"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn stream(
    State(state): State<AppState>,
    merchant: Merchant,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<StreamParams>,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(params.after);
    let start = match resume {
        Some(id) => seq_of(&state, &merchant.id, &id).await?,
        None => latest_seq(&state, &merchant.id).await?,
    };
    let ip = peer.map_or(IpAddr::from([0, 0, 0, 0]), |Extension(c)| c.0.ip());
    let guard = state
        .limits
        .open_stream(ip, &format!("merchant:{}", merchant.id))?;
    let changes = state.changes.subscribe();
    let queued = std::collections::VecDeque::new();
    let stream = futures_util::stream::unfold(
        (state, merchant.id, changes, start, queued, guard),
        |(state, merchant, mut changes, mut after, mut queued, guard)| async move {
            loop {
                if let Some((seq, id, kind, payload)) = queued.pop_front() {
                    after = seq;
                    let event = SseEvent::default().id(id).event(kind).data(payload);
                    return Some((Ok(event), (state, merchant, changes, after, queued, guard)));
                }
                match next_batch(&state, &merchant, after).await {
                    Ok(batch) if !batch.is_empty() => queued.extend(batch),
                    Ok(_) => {
                        tokio::select! {
                            _ = changes.changed() => {}
                            () = tokio::time::sleep(POLL) => {}
                            // The gateway is stopping: the client resumes
                            // elsewhere from its last event id.
                            () = state.stopping.cancelled() => return None,
                        }
                    }
                    Err(err) => {
                        tracing::warn!(merchant = %merchant, error = %err, "event stream ended");
                        return None;
                    }
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

type Row = (i64, String, String, String);

async fn next_batch(
    state: &AppState,
    merchant: &MerchantId,
    after: i64,
) -> Result<Vec<Row>, sqlx::Error> {
    sqlx::query_as(
        "SELECT seq, id, type, payload FROM events
         WHERE merchant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
    )
    .bind(merchant.as_str())
    .bind(after)
    .bind(BATCH)
    .fetch_all(&state.db)
    .await
}

async fn seq_of(state: &AppState, merchant: &MerchantId, id: &str) -> ApiResult<i64> {
    let unknown = || ApiError::invalid("after", format!("no such event: {id}"));
    let id = EventId::parse(id).map_err(|_| unknown())?;
    sqlx::query_scalar("SELECT seq FROM events WHERE id = $1 AND merchant_id = $2")
        .bind(id.as_str())
        .bind(merchant.as_str())
        .fetch_optional(&state.db)
        .await?
        .ok_or_else(unknown)
}

async fn latest_seq(state: &AppState, merchant: &MerchantId) -> ApiResult<i64> {
    let latest: Option<i64> =
        sqlx::query_scalar("SELECT MAX(seq) FROM events WHERE merchant_id = $1")
            .bind(merchant.as_str())
            .fetch_one(&state.db)
            .await?;
    Ok(latest.unwrap_or(0))
}
