//! Live pages: the merchant's events as the gateway commits them (Server-
//! Sent Events from `/v1/events/stream`, signed in by the cookie), and a
//! session's confirmations as blocks arrive (the cashier's public stream).
//! Each page reloads what it shows quietly when told.

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use tender_protocol::{Event, EventType};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{EventSource, MessageEvent};

/// What the pages follow: a count bumped on every event, and the last one
/// in words for screen readers.
#[derive(Clone, Copy)]
pub struct Live {
    pub changed: RwSignal<u64>,
    pub said: RwSignal<String>,
}

/// Opens the merchant's event stream for as long as the calling component
/// lives. The browser reconnects by itself, resuming after the last event.
pub fn follow_events() -> Live {
    let live = Live {
        changed: RwSignal::new(0),
        said: RwSignal::new(String::new()),
    };
    let Ok(source) = EventSource::new("/dashboard/api/v1/events/stream") else {
        return live;
    };
    let on_event = Closure::<dyn Fn(MessageEvent)>::new(move |message: MessageEvent| {
        let Some(data) = message.data().as_string() else {
            return;
        };
        if let Some(event) = tender_web::from_json::<Event>(&data) {
            live.said.set(in_words(&event));
        }
        live.changed.update(|n| *n = n.wrapping_add(1));
    });
    for kind in EventType::ALL {
        let _ = source
            .add_event_listener_with_callback(kind.as_str(), on_event.as_ref().unchecked_ref());
    }
    // The page's objects stay on its one thread; the wrapper only lets the
    // cleanup be registered.
    let held = SendWrapper::new((source, on_event));
    on_cleanup(move || {
        let (source, on_event) = held.take();
        source.close();
        drop(on_event);
    });
    live
}

/// Bumps `changed` whenever the public session `id` changes (a block's
/// confirmations, a status), while the calling component lives and the
/// session can still change.
pub fn follow_session(id: &str, changed: RwSignal<u64>) {
    let Ok(source) = EventSource::new(&format!("/v1/pay/{id}/events")) else {
        return;
    };
    let on_session = Closure::<dyn Fn(MessageEvent)>::new(move |_: MessageEvent| {
        changed.update(|n| *n = n.wrapping_add(1));
    });
    let _ = source.add_event_listener_with_callback("session", on_session.as_ref().unchecked_ref());
    let held = SendWrapper::new((source, on_session));
    on_cleanup(move || {
        let (source, on_session) = held.take();
        source.close();
        drop(on_session);
    });
}

fn in_words(event: &Event) -> String {
    match (&event.data.session, &event.data.refund) {
        (_, Some(refund)) => format!("Refund {}: {}", refund.id, event.kind.as_str()),
        (Some(session), None) => format!("Session {}: {}", session.id, event.kind.as_str()),
        (None, None) => format!("Event: {}", event.kind.as_str()),
    }
}
