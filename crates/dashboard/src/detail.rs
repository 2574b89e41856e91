//! One checkout session: its amounts, its timeline (every event, with
//! when), its payments on chain, and each event's webhook deliveries with
//! their attempts and a Resend button.

use leptos::prelude::*;
use leptos::task::spawn_local;
use tender_protocol::{DeliveryStatus, EventDetails, Payment, PaymentStatus, Session};

use crate::api::{self, SignedIn};
use crate::format::local_time;

/// The session and its events' details.
#[derive(Clone)]
struct Loaded {
    session: Session,
    events: Vec<EventDetails>,
}

async fn load(id: &str) -> Result<Option<Loaded>, String> {
    let Some(session) = api::session(id).await? else {
        return Ok(None);
    };
    let mut events = Vec::new();
    for event in api::events_of(id).await? {
        events.push(api::event(event.id.as_str()).await?);
    }
    Ok(Some(Loaded { session, events }))
}

#[component]
pub fn SessionDetail(id: String, me: SignedIn, back: Callback<()>) -> impl IntoView {
    let loaded = RwSignal::new(None::<Result<Option<Loaded>, String>>);
    let status = RwSignal::new(String::new());
    let reload = {
        let id = id.clone();
        move || {
            let id = id.clone();
            spawn_local(async move { loaded.set(Some(load(&id).await)) });
        }
    };
    reload();
    let resend = Callback::new(move |event: String| {
        let me = me.clone();
        let reload = reload.clone();
        status.set(format!("Resending {event}…"));
        spawn_local(async move {
            match api::redeliver(&me, &event).await {
                Ok(_) => {
                    status.set(format!("Resent {event}"));
                    reload();
                }
                Err(message) => status.set(message),
            }
        });
    });
    view! {
        <p><button type="button" class="secondary" on:click=move |_| back.run(())>"← All sessions"</button></p>
        <p class="status" aria-live="polite">{move || status.get()}</p>
        {move || match loaded.get() {
            None => view! { <p class="loading" aria-busy="true">"Loading the session…"</p> }.into_any(),
            Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
            Some(Ok(None)) => view! { <p class="error" role="alert">{format!("No session {id} in this account.")}</p> }.into_any(),
            Some(Ok(Some(loaded))) => view! { <Detail loaded resend/> }.into_any(),
        }}
    }
}

#[component]
fn Detail(loaded: Loaded, resend: Callback<String>) -> impl IntoView {
    let Loaded { session, events } = loaded;
    let timeline = events
        .iter()
        .map(|e| view! { <li><span class="when">{local_time(&e.event.created_at)}</span>" "{e.event.kind.as_str()}</li> })
        .collect_view();
    let metadata = session
        .metadata
        .as_map()
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <section aria-labelledby="session-title">
            <h1 id="session-title">"Session "<span class="id">{session.id.to_string()}</span></h1>
            <dl class="facts">
                <dt>"Status"</dt><dd><span class=format!("badge badge--{}", session.status.as_str())>{session.status.as_str()}</span></dd>
                <dt>"Amount due"</dt><dd>{session.amount_due.to_string()}</dd>
                <dt>"Received"</dt><dd>{session.amount_received.to_string()}</dd>
                <dt>"Unallocated"</dt><dd>{session.amount_unallocated.map_or_else(|| "none".to_owned(), |m| m.to_string())}</dd>
                <dt>"Created"</dt><dd>{local_time(&session.created_at)}</dd>
                <dt>"Expires"</dt><dd>{local_time(&session.expires_at)}</dd>
                <dt>"Metadata"</dt><dd>{if metadata.is_empty() { "none".to_owned() } else { metadata }}</dd>
            </dl>
        </section>
        <section aria-labelledby="timeline-title">
            <h2 id="timeline-title">"Timeline"</h2>
            <ol class="timeline">{timeline}</ol>
        </section>
        <section aria-labelledby="payments-title">
            <h2 id="payments-title">"Payments"</h2>
            {if session.payments.is_empty() {
                view! { <p class="empty">"No payment seen on chain yet."</p> }.into_any()
            } else {
                view! { <Payments payments=session.payments.clone()/> }.into_any()
            }}
        </section>
        <section aria-labelledby="webhooks-title">
            <h2 id="webhooks-title">"Webhooks"</h2>
            {events.into_iter().map(|details| view! { <EventDeliveries details resend/> }).collect_view()}
        </section>
    }
}

fn payment_word(status: PaymentStatus) -> &'static str {
    match status {
        PaymentStatus::Pending => "confirming",
        PaymentStatus::Confirmed => "confirmed",
        PaymentStatus::Reorged => "dropped by a reorg",
    }
}

#[component]
fn Payments(payments: Vec<Payment>) -> impl IntoView {
    view! {
        <table class="payments">
            <thead><tr>
                <th scope="col">"Amount"</th><th scope="col">"Network"</th><th scope="col">"Gas fee"</th>
                <th scope="col">"Confirmations"</th><th scope="col">"Transaction"</th>
            </tr></thead>
            <tbody>
                {payments.into_iter().map(|p| view! {
                    <tr>
                        <td>{format!("{} {}", p.amount, p.token)}</td>
                        <td>{p.network.clone()}</td>
                        <td>{format!("{} {}", p.gas_fee.amount, p.gas_fee.token)}</td>
                        <td>{format!("{} ({})", p.confirmations, payment_word(p.status))}</td>
                        <td class="id">{p.tx_hash.to_string()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

fn delivery_word(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Pending => "pending",
        DeliveryStatus::Succeeded => "delivered",
        DeliveryStatus::Failed => "failed",
        DeliveryStatus::Cancelled => "cancelled",
    }
}

#[component]
fn EventDeliveries(details: EventDetails, resend: Callback<String>) -> impl IntoView {
    let id = details.event.id.to_string();
    let label = format!("Resend {}", details.event.kind.as_str());
    let deliveries = details
        .deliveries
        .into_iter()
        .map(|d| {
            let attempts = d
                .attempts
                .iter()
                .map(|a| {
                    let code = a.status_code.map_or_else(|| "no answer".to_owned(), |c| c.to_string());
                    let error = a.error.clone().unwrap_or_default();
                    view! { <li>{format!("{} — {code}, {} ms {error}", local_time(&a.attempted_at), a.latency_ms)}</li> }
                })
                .collect_view();
            view! {
                <p>{format!("To {}: {}", d.endpoint_id, delivery_word(d.status))}</p>
                <ul class="attempts">{attempts}</ul>
            }
        })
        .collect_view();
    view! {
        <article class="event">
            <h3>{details.event.kind.as_str()}<span class="id">" "{id.clone()}</span></h3>
            {deliveries}
            <button type="button" class="secondary" aria-label=label.clone() on:click=move |_| resend.run(id.clone())>"Resend"</button>
        </article>
    }
}
