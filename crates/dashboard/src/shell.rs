//! The signed-in dashboard's frame: who is signed in, the pages, the live
//! event stream they all follow, signing out (here or everywhere).

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, SignedIn};
use crate::invites::Invite;
use crate::keys::Keys;
use crate::links::Links;
use crate::live::follow_events;
use crate::overview::OverviewPage;
use crate::products::Products;
use crate::sessions::Sessions;
use crate::settlement::Settlement;
use crate::webhooks::Webhooks;

/// The dashboard's pages.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Page {
    Overview,
    Sessions,
    Webhooks,
    Products,
    Links,
    Settlement,
    Keys,
    Team,
}

impl Page {
    const ALL: [Page; 8] = [
        Page::Overview,
        Page::Sessions,
        Page::Webhooks,
        Page::Products,
        Page::Links,
        Page::Settlement,
        Page::Keys,
        Page::Team,
    ];

    fn label(self) -> &'static str {
        match self {
            Page::Overview => "Overview",
            Page::Sessions => "Sessions",
            Page::Webhooks => "Webhooks",
            Page::Products => "Products",
            Page::Links => "Payment links",
            Page::Settlement => "Settlement",
            Page::Keys => "API keys",
            Page::Team => "Team",
        }
    }
}

#[component]
pub fn Dashboard(me: SignedIn, signed_out: Callback<()>) -> impl IntoView {
    let page = RwSignal::new(Page::Overview);
    let live = follow_events();
    let changed = live.changed;
    let out_error = RwSignal::new(None::<String>);
    let sign_out = {
        let me = me.clone();
        move |everywhere: bool| {
            let me = me.clone();
            spawn_local(async move {
                match api::sign_out(&me, everywhere).await {
                    Ok(()) => signed_out.run(()),
                    Err(message) => out_error.set(Some(message)),
                }
            });
        }
    };
    let sign_out_here = sign_out.clone();
    let nav = Page::ALL
        .into_iter()
        .map(|p| {
            view! {
                <button type="button" class="tab"
                    aria-current=move || (page.get() == p).then_some("page")
                    on:click=move |_| page.set(p)>{p.label()}</button>
            }
        })
        .collect_view();
    let to_webhooks = Callback::new(move |()| page.set(Page::Webhooks));
    view! {
        <header class="topbar">
            <p class="brand">"Tender"</p>
            <p class="who">{me.email.clone()}</p>
            <button type="button" class="secondary" on:click=move |_| sign_out_here(false)>"Sign out"</button>
            <button type="button" class="secondary" on:click=move |_| sign_out(true)>"Sign out everywhere"</button>
            <nav aria-label="Dashboard">{nav}</nav>
        </header>
        <p class="error" role="alert">{move || out_error.get()}</p>
        <p class="live" aria-live="polite" data-testid="live">{move || live.said.get()}</p>
        {move || match page.get() {
            Page::Overview => view! { <OverviewPage changed to_webhooks/> }.into_any(),
            Page::Sessions => view! { <Sessions me=me.clone() changed/> }.into_any(),
            Page::Webhooks => view! { <Webhooks me=me.clone() changed/> }.into_any(),
            Page::Products => view! { <Products me=me.clone()/> }.into_any(),
            Page::Links => view! { <Links me=me.clone()/> }.into_any(),
            Page::Settlement => view! { <Settlement me=me.clone()/> }.into_any(),
            Page::Keys => view! { <Keys me=me.clone()/> }.into_any(),
            Page::Team => view! { <Invite me=me.clone()/> }.into_any(),
        }}
    }
}
