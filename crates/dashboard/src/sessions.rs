//! The merchant's checkout sessions, newest first: filtered by status and
//! creation date and paged, or those a search finds; one of them in full
//! (`detail`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use tender_protocol::{List, Session, SessionStatus};

use crate::api::{self, SignedIn};
use crate::detail::SessionDetail;
use crate::format::{local_day_start, local_time, money};

/// What the list is narrowed to.
#[derive(Clone, Default, PartialEq)]
struct Filters {
    status: String,
    /// `YYYY-MM-DD` from a date picker, or empty.
    from: String,
    to: String,
}

impl Filters {
    /// The list API's query for these filters (each part `&name=value`).
    fn query(&self) -> String {
        let mut query = String::new();
        if !self.status.is_empty() {
            query.push_str(&format!("&status={}", self.status));
        }
        if let Some(from) = local_day_start(&self.from, false) {
            query.push_str(&format!("&createdGte={from}"));
        }
        if let Some(until) = local_day_start(&self.to, true) {
            query.push_str(&format!("&createdLt={until}"));
        }
        query
    }
}

#[component]
pub fn Sessions(me: SignedIn, #[prop(into)] changed: Signal<u64>) -> impl IntoView {
    let listed = RwSignal::new(None::<Result<List<Session>, String>>);
    let status = RwSignal::new(String::new());
    let filters = RwSignal::new(Filters::default());
    // The cursors of the pages before this one (`None`: the first page).
    let cursors = RwSignal::new(Vec::<Option<String>>::new());
    let after = RwSignal::new(None::<String>);
    let searching = RwSignal::new(None::<String>);
    let load = move |quiet: bool| {
        if !quiet {
            listed.set(None);
        }
        let query = filters.get_untracked().query();
        let start = after.get_untracked();
        spawn_local(async move {
            let page = api::sessions(&query, start.as_deref()).await;
            if let Ok(page) = &page {
                let n = page.data.len();
                let page_no = cursors.get_untracked().len() + 1;
                status.set(format!(
                    "{n} {} shown, page {page_no}",
                    if n == 1 { "session" } else { "sessions" }
                ));
            }
            listed.set(Some(page));
        });
    };
    load(false);
    // Live: a change to the merchant's sessions reloads what is shown.
    Effect::new(move |previous: Option<u64>| {
        let now = changed.get();
        if previous.is_some_and(|p| p != now) && searching.get_untracked().is_none() {
            load(true);
        }
        now
    });
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        cursors.set(Vec::new());
        after.set(None);
        searching.set(None);
        load(false);
    };
    let next = move |_| {
        let last = listed.with_untracked(|l| {
            l.as_ref()
                .and_then(|l| l.as_ref().ok())
                .and_then(|page| page.data.last().map(|s| s.id.to_string()))
        });
        if let Some(last) = last {
            cursors.update(|c| c.push(after.get_untracked()));
            after.set(Some(last));
            load(false);
        }
    };
    let previous = move |_| {
        if let Some(before) = cursors.try_update(Vec::pop).flatten() {
            after.set(before);
            load(false);
        }
    };
    let query = RwSignal::new(String::new());
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let wanted = query.get_untracked().trim().to_owned();
        if wanted.is_empty() {
            searching.set(None);
            load(false);
            return;
        }
        searching.set(Some(wanted.clone()));
        listed.set(None);
        spawn_local(async move {
            let found = api::search(&wanted).await;
            status.set(match &found {
                Ok(found) if found.is_empty() => format!("No session for {wanted}"),
                Ok(found) if found.len() == 1 => format!("1 session for {wanted}"),
                Ok(found) => format!("{} sessions for {wanted}", found.len()),
                Err(_) => String::new(),
            });
            listed.set(Some(found.map(|data| List {
                data,
                has_more: false,
            })));
        });
    };
    // The session shown in full, if one was chosen.
    let selected = RwSignal::new(None::<String>);
    let open = Callback::new(move |id: String| selected.set(Some(id)));
    let back = Callback::new(move |()| selected.set(None));
    let status_options = SessionStatus::ALL
        .into_iter()
        .map(|s| view! { <option value=s.as_str()>{s.as_str()}</option> })
        .collect_view();
    view! {
        {move || selected.get().map(|id| view! { <SessionDetail id me=me.clone() back changed/> })}
        <section aria-labelledby="sessions-title" hidden=move || selected.get().is_some()>
            <h1 id="sessions-title">"Checkout sessions"</h1>
            <form class="search" role="search" on:submit=search>
                <label for="search">"Find sessions by id, transaction hash or metadata value (an order id)"</label>
                <input id="search" name="search" type="search" placeholder="cs_…, 0x… or ord_…"
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))/>
                <button type="submit">"Find"</button>
            </form>
            <form class="filters" on:submit=apply aria-label="Filter sessions">
                <label>"Status"
                    <select name="status" on:change=move |ev| filters.update(|f| f.status = event_target_value(&ev))>
                        <option value="">"any"</option>
                        {status_options}
                    </select>
                </label>
                <label>"Created from"
                    <input type="date" name="from" on:change=move |ev| filters.update(|f| f.from = event_target_value(&ev))/>
                </label>
                <label>"Created to"
                    <input type="date" name="to" on:change=move |ev| filters.update(|f| f.to = event_target_value(&ev))/>
                </label>
                <button type="submit" class="secondary">"Filter"</button>
            </form>
            <p class="status" aria-live="polite">{move || status.get()}</p>
            {move || match listed.get() {
                None => view! { <p class="loading" aria-busy="true">"Loading sessions…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Some(Ok(page)) if page.data.is_empty() => view! {
                    <p class="empty">"No checkout sessions here. Change the filters, or create one with the API (POST /v1/checkout/sessions) or a Pay button on your shop."</p>
                }.into_any(),
                Some(Ok(page)) => view! { <Table sessions=page.data open/> }.into_any(),
            }}
            <nav class="pager" aria-label="Pages" hidden=move || searching.get().is_some()>
                <button type="button" class="secondary" on:click=previous
                    disabled=move || cursors.with(Vec::is_empty)>"← Newer"</button>
                <button type="button" class="secondary" on:click=next
                    disabled=move || !listed.with(|l| matches!(l, Some(Ok(page)) if page.has_more))>"Older →"</button>
            </nav>
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
                        <td class="amount">{money(&session.amount_due)}</td>
                        <td>{local_time(&session.created_at)}</td>
                    </tr>
                }}).collect_view()}
            </tbody>
        </table>
    }
}
