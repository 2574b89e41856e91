//! The sign-in form: email and password; a wrong one, or a locked account,
//! is said in an alert the screen reader announces.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, SignedIn};

#[component]
pub fn SignIn(signed_in: Callback<SignedIn>) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let outcome = api::sign_in(&email.get_untracked(), &password.get_untracked()).await;
            busy.set(false);
            match outcome {
                Ok(me) => signed_in.run(me),
                Err(message) => {
                    password.set(String::new());
                    error.set(Some(message));
                }
            }
        });
    };
    view! {
        <section class="card sign-in" aria-labelledby="sign-in-title">
            <h1 id="sign-in-title">"Sign in to Tender"</h1>
            <form on:submit=submit>
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required
                    prop:value=move || email.get()
                    on:input=move |ev| email.set(event_target_value(&ev))/>
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required
                    prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev))/>
                <p class="error" role="alert">{move || error.get()}</p>
                <button type="submit" prop:disabled=move || busy.get()>
                    {move || if busy.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
        </section>
    }
}
