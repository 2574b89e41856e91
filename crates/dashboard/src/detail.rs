//! One checkout session: its amounts, its timeline (created, quoted, each
//! payment seen and its confirmations, every event, with when), its
//! payments on chain, its refunds, and each event's webhook deliveries
//! with their attempts and a Resend button. It follows the session live.

use leptos::prelude::*;
use leptos::task::spawn_local;
use tender_protocol::{
    DeliveryStatus, EventDetails, EventType, Payment, PaymentStatus, Session, Timestamp,
};

use crate::api::{self, SignedIn};
use crate::format::{local_time, money};
use crate::live::follow_session;
use crate::refunds::Refunds;

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
pub fn SessionDetail(
    id: String,
    me: SignedIn,
    back: Callback<()>,
    #[prop(into)] changed: Signal<u64>,
) -> impl IntoView {
    let loaded = RwSignal::new(None::<Result<Option<Loaded>, String>>);
    let status = RwSignal::new(String::new());
    // Blocks confirming its payments, seen through the cashier's stream.
    let blocks = RwSignal::new(0u64);
    follow_session(&id, blocks);
    let reload = {
        let id = id.clone();
        move || {
            let id = id.clone();
            spawn_local(async move {
                let fresh = load(&id).await;
                // A passing failure keeps what is shown.
                if fresh.is_ok() || loaded.with_untracked(Option::is_none) {
                    loaded.set(Some(fresh));
                }
            });
        }
    };
    {
        let reload = reload.clone();
        Effect::new(move |_| {
            changed.track();
            blocks.track();
            reload();
        });
    }
    // The currency of a session with money to refund: the refunds part
    // stays (with a claim link it shows once) while the rest reloads.
    let refundable = Memo::new(move |_| {
        loaded.with(|l| match l {
            Some(Ok(Some(l)))
                if l.session.amount_received.minor() > 0
                    || l.session.amount_unallocated.is_some() =>
            {
                Some(l.session.amount_due.currency())
            }
            _ => None,
        })
    });
    let refunds_of = id.clone();
    let refunds_as = me.clone();
    let resend_as = me.clone();
    let resend = Callback::new(move |event: String| {
        let me = resend_as.clone();
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
        {move || refundable.get().map(|currency| view! {
            <Refunds id=refunds_of.clone() currency me=refunds_as.clone() changed/>
        })}
    }
}

#[component]
fn Detail(loaded: Loaded, resend: Callback<String>) -> impl IntoView {
    let Loaded { session, events } = loaded;
    let timeline = timeline(&session, &events)
        .into_iter()
        .map(|(at, what)| view! { <li><span class="when">{local_time(&at)}</span>" "{what}</li> })
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
                <dt>"Amount due"</dt><dd>{money(&session.amount_due)}</dd>
                <dt>"Received"</dt><dd>{money(&session.amount_received)}</dd>
                <dt>"Unallocated"</dt><dd>{session.amount_unallocated.map_or_else(|| "none".to_owned(), |m| money(&m))}</dd>
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

/// What happened to the session, oldest first: its creation, each
/// payment's quote, block and sighting, then every event.
fn timeline(session: &Session, events: &[EventDetails]) -> Vec<(Timestamp, String)> {
    let mut lines = vec![(session.created_at, "created".to_owned())];
    for p in &session.payments {
        let needed = p.confirmations_required.unwrap_or(p.confirmations).max(1);
        let quoted = format!("quoted in {} on {}", p.token, p.network);
        // Its block is its first confirmation.
        let mined = format!(
            "payment of {} {} mined in block {}: confirmation 1 of {needed}",
            p.amount, p.token, p.block_number
        );
        let seen = format!(
            "payment seen: {} of {needed} confirmations ({})",
            p.confirmations.min(needed),
            payment_word(p.status)
        );
        let confirmed = format!("confirmation {needed} of {needed}: the payment counts");
        let steps = [
            (p.quoted_at, quoted),
            (p.mined_at, mined),
            (p.seen_at, seen),
            (p.confirmed_at.filter(|_| needed > 1), confirmed),
        ];
        for (at, what) in steps {
            if let Some(at) = at {
                lines.push((at, what));
            }
        }
    }
    for e in events {
        lines.push((e.event.created_at, e.event.kind.as_str().to_owned()));
    }
    // The payout confirmed when the session completed.
    let completed = events
        .iter()
        .find(|e| e.event.kind == EventType::SessionCompleted);
    if let (Some(settlement), Some(completed)) = (&session.settlement, completed) {
        let paid_out = format!(
            "settled: {} {} paid out on {}",
            settlement.amount, settlement.token, settlement.network
        );
        lines.push((completed.event.created_at, paid_out));
    }
    // Stable: equal times keep the order above.
    lines.sort_by_key(|l| l.0);
    lines
}

fn confirmations(p: &Payment) -> String {
    match p.confirmations_required {
        Some(needed) => format!(
            "{} of {needed} ({})",
            p.confirmations.min(needed),
            payment_word(p.status)
        ),
        None => format!("{} ({})", p.confirmations, payment_word(p.status)),
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
                <th scope="col">"Rate"</th><th scope="col">"Confirmations"</th><th scope="col">"Transaction"</th>
            </tr></thead>
            <tbody>
                {payments.into_iter().map(|p| view! {
                    <tr>
                        <td>{format!("{} {}", p.amount, p.token)}</td>
                        <td>{p.network.clone()}</td>
                        <td>{format!("{} {}", p.gas_fee.amount, p.gas_fee.token)}</td>
                        <td>{format!("1 {} = {} {}", p.exchange_rate.token, p.exchange_rate.price, p.exchange_rate.currency)}</td>
                        <td>{confirmations(&p)}</td>
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
