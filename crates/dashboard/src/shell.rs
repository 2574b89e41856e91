//! The signed-in dashboard's frame: who is signed in, the pages, signing
//! out (here or everywhere).

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, SignedIn};
use crate::keys::Keys;
use crate::sessions::Sessions;

/// The dashboard's pages.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Page {
    Sessions,
    Keys,
}

impl Page {
    const ALL: [Page; 2] = [Page::Sessions, Page::Keys];

    fn label(self) -> &'static str {
        match self {
            Page::Sessions => "Sessions",
            Page::Keys => "API keys",
        }
    }
}

#[component]
pub fn Dashboard(me: SignedIn, signed_out: Callback<()>) -> impl IntoView {
    let page = RwSignal::new(Page::Sessions);
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
    view! {
        <header class="topbar">
            <p class="brand">"Tender"</p>
            <nav aria-label="Dashboard">{nav}</nav>
            <p class="who">{me.email.clone()}</p>
            <button type="button" class="secondary" on:click=move |_| sign_out_here(false)>"Sign out"</button>
            <button type="button" class="secondary" on:click=move |_| sign_out(true)>"Sign out everywhere"</button>
        </header>
        <p class="error" role="alert">{move || out_error.get()}</p>
        {move || match page.get() {
            Page::Sessions => view! { <Sessions me=me.clone()/> }.into_any(),
            Page::Keys => view! { <Keys me=me.clone()/> }.into_any(),
        }}
    }
}
