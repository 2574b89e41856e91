//! The merchant dashboard: sign in (or accept an invitation), then the
//! merchant's overview, checkout sessions, webhooks, products, payment
//! links, settlement,
//! API keys and team (`shell`), kept live by the event stream (`live`).
//! It speaks to the gateway through the merchant API under
//! `/dashboard/api` (`api`), signed in by a cookie the page never sees.

mod api;
mod detail;
mod format;
mod invites;
mod keys;
mod links;
mod live;
mod overview;
mod products;
mod refunds;
mod sessions;
mod settlement;
mod shell;
mod sign_in;
mod ticks;
mod webhooks;

use leptos::prelude::*;
use leptos::task::spawn_local;

pub use api::SignedIn;
use invites::AcceptInvite;
use shell::Dashboard;
use sign_in::SignIn;

/// What the page shows: nothing yet, the sign-in form, an invitation, or
/// the dashboard.
#[derive(Clone)]
enum Shown {
    Loading,
    SignIn,
    Invitation(String),
    Dashboard(SignedIn),
    Failed(String),
}

#[component]
pub fn App() -> impl IntoView {
    let shown = RwSignal::new(Shown::Loading);
    if let Some(token) = invitation_token() {
        shown.set(Shown::Invitation(token));
    } else {
        spawn_local(async move {
            shown.set(match api::me().await {
                Ok(Some(me)) => Shown::Dashboard(me),
                Ok(None) => Shown::SignIn,
                Err(message) => Shown::Failed(message),
            });
        });
    }
    // A link followed while the page is open changes only the fragment.
    let _ = window_event_listener(leptos::ev::hashchange, move |_| {
        if let Some(token) = invitation_token() {
            shown.set(Shown::Invitation(token));
        }
    });
    let signed_in = Callback::new(move |me: SignedIn| {
        forget_invitation();
        shown.set(Shown::Dashboard(me));
    });
    let signed_out = Callback::new(move |()| shown.set(Shown::SignIn));
    view! {
        <main class="dashboard">
            {move || match shown.get() {
                Shown::Loading => view! { <p class="loading" aria-busy="true">"Loading…"</p> }.into_any(),
                Shown::SignIn => view! { <SignIn signed_in/> }.into_any(),
                Shown::Invitation(token) => view! { <AcceptInvite token signed_in/> }.into_any(),
                Shown::Dashboard(me) => view! { <Dashboard me signed_out/> }.into_any(),
                Shown::Failed(message) => view! {
                    <section class="notice" role="alert">
                        <h1>"The dashboard could not load"</h1>
                        <p>{message}</p>
                        <p>"Reload the page to try again."</p>
                    </section>
                }.into_any(),
            }}
        </main>
    }
}

/// The invitation token in the page's fragment (`#invite=…`), if any.
fn invitation_token() -> Option<String> {
    let hash = web_sys::window()?.location().hash().ok()?;
    hash.strip_prefix("#invite=")
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(str::to_owned)
}

/// Takes the used token out of the address bar (and its history entry).
fn forget_invitation() {
    if let Some(window) = web_sys::window()
        && window.location().hash().is_ok_and(|h| !h.is_empty())
        && let Ok(history) = window.history()
    {
        let _ =
            history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/dashboard/"));
    }
}
