//! The merchant dashboard: sign in, then the merchant's checkout sessions
//! and API keys (`shell`).
//! It speaks to the gateway through the merchant API under
//! `/dashboard/api` (`api`), signed in by a cookie the page never sees.

mod api;
mod detail;
mod format;
mod keys;
mod sessions;
mod shell;
mod sign_in;

use leptos::prelude::*;
use leptos::task::spawn_local;

pub use api::SignedIn;
use shell::Dashboard;
use sign_in::SignIn;

/// What the page shows: nothing yet, the sign-in form, or the dashboard.
#[derive(Clone)]
enum Shown {
    Loading,
    SignIn,
    Dashboard(SignedIn),
    Failed(String),
}

#[component]
pub fn App() -> impl IntoView {
    let shown = RwSignal::new(Shown::Loading);
    spawn_local(async move {
        shown.set(match api::me().await {
            Ok(Some(me)) => Shown::Dashboard(me),
            Ok(None) => Shown::SignIn,
            Err(message) => Shown::Failed(message),
        });
    });
    let signed_in = Callback::new(move |me: SignedIn| shown.set(Shown::Dashboard(me)));
    let signed_out = Callback::new(move |()| shown.set(Shown::SignIn));
    view! {
        <main class="dashboard">
            {move || match shown.get() {
                Shown::Loading => view! { <p class="loading" aria-busy="true">"Loading…"</p> }.into_any(),
                Shown::SignIn => view! { <SignIn signed_in/> }.into_any(),
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
