//! Keeping the session fresh: Server-Sent Events from the gateway, with
//! polling as the fallback when the stream cannot be used.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use tender_protocol::{PublicSession, SessionId};
use tender_web::sleep;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{EventSource, MessageEvent};

use crate::api;

/// How often the session is polled when the stream is unavailable.
const POLL: Duration = Duration::from_millis(1500);

/// Follows the session until it can no longer change.
pub fn follow(id: SessionId, session: RwSignal<PublicSession>) {
    let url = format!("/v1/pay/{id}/events");
    let Ok(source) = EventSource::new(&url) else {
        poll(id, session);
        return;
    };
    let on_session = {
        let source = source.clone();
        Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(data) = event.data().as_string() else {
                return;
            };
            if let Some(fresh) = tender_web::from_json::<PublicSession>(&data) {
                let done = !fresh.status.is_payable();
                session.set(fresh);
                if done {
                    source.close();
                }
            }
        })
    };
    let on_error = {
        let source = source.clone();
        Closure::<dyn Fn()>::new(move || {
            // The stream is gone (a proxy that buffers, a lost connection):
            // poll instead, unless the session is already final.
            if source.ready_state() == EventSource::CLOSED
                && session.with_untracked(|s| s.status.is_payable())
            {
                poll(id.clone(), session);
            }
        })
    };
    let _ = source.add_event_listener_with_callback("session", on_session.as_ref().unchecked_ref());
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    // Both live as long as the page.
    on_session.forget();
    on_error.forget();
}

fn poll(id: SessionId, session: RwSignal<PublicSession>) {
    spawn_local(async move {
        while session.with_untracked(|s| s.status.is_payable()) {
            sleep(POLL).await;
            // A passing network error keeps the last good state on screen.
            if let Ok(fresh) = api::session(&id).await {
                session.set(fresh);
            }
        }
    });
}
