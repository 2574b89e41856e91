//! The merchant's checkout sessions, newest first, or those a search finds;
//! one of them in full (`detail`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use tender_protocol::Session;

use crate::api::{self, SignedIn};
use crate::detail::SessionDetail;
use crate::format::local_time;

/// How many of the latest sessions are listed.
const LATEST: u32 = 25;

#[component]
pub fn Sessions(me: SignedIn) -> impl IntoView {
    let listed = RwSignal::new(None::<Result<Vec<Session>, String>>);
    let status = RwSignal::new(String::new());
    let load_latest = move || {
        listed.set(None);
        spawn_local(async move {
            let latest = api::sessions(LATEST).await.map(|list| list.data);
            if let Ok(found) = &latest {
                status.set(match found.len() {
                    1 => "1 session shown".to_owned(),
                    n => format!("{n} sessions shown"),
                });
            }
            listed.set(Some(latest));
        });
    };
    load_latest();
    let query = RwSignal::new(String::new());
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let wanted = query.get_untracked().trim().to_owned();
        if wanted.is_empty() {
            load_latest();
            return;
        }
        listed.set(None);
        spawn_local(async move {
            let found = api::search(&wanted).await;
            status.set(match &found {
                Ok(found) if found.is_empty() => format!("No session for {wanted}"),
                Ok(found) if found.len() == 1 => format!("1 session for {wanted}"),
                Ok(found) => format!("{} sessions for {wanted}", found.len()),
                Err(_) => String::new(),
            });
            listed.set(Some(found));
        });
    };
    // The session shown in full, if one was chosen.
    let selected = RwSignal::new(None::<String>);
    let open = Callback::new(move |id: String| selected.set(Some(id)));
    let back = Callback::new(move |()| selected.set(None));
    view! {
        {move || selected.get().map(|id| view! { <SessionDetail id me=me.clone() back/> })}
        <section aria-labelledby="sessions-title" hidden=move || selected.get().is_some()>
            <h1 id="sessions-title">"Checkout sessions"</h1>
            <form class="search" role="search" on:submit=search>
                <label for="search">"Find sessions by id, transaction hash or metadata value (an order id)"</label>
                <input id="search" name="search" type="search" placeholder="cs_…, 0x… or ord_…"
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))/>
                <button type="submit">"Find"</button>
            </form>
            <p class="status" aria-live="polite">{move || status.get()}</p>
            {move || match listed.get() {
                None => view! { <p class="loading" aria-busy="true">"Loading sessions…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Some(Ok(sessions)) if sessions.is_empty() => view! {
                    <p class="empty">"No checkout sessions here yet. Create one with the API (POST /v1/checkout/sessions) or a Pay button on your shop."</p>
                }.into_any(),
                Some(Ok(sessions)) => view! { <Table sessions open/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Table(sessions: Vec<Session>, open: Callback<String>) -> impl IntoView {
    view! {
        <table class="sessions">
            <thead><tr>
                <th scope="col">"Session"</th>
                <th scope="col">"Status"</th>
                <th scope="col">"Amount"</th>
                <th scope="col">"Created"</th>
            </tr></thead>
            <tbody>
                {sessions.into_iter().map(|session| {
                    let id = session.id.to_string();
                    view! {
                    <tr>
                        <td class="id"><button type="button" class="link" on:click=move |_| open.run(id.clone())>{session.id.to_string()}</button></td>
                        <td><span class=format!("badge badge--{}", session.status.as_str())>{session.status.as_str()}</span></td>
                        <td class="amount">{session.amount_due.to_string()}</td>
                        <td>{local_time(&session.created_at)}</td>
                    </tr>
                }}).collect_view()}
            </tbody>
        </table>
    }
}
