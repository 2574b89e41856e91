//! Bringing someone into the dashboard: a signed-in user invites an email
//! and passes on the one-time link shown (`Invite`); whoever opens it
//! chooses a password and is signed in (`AcceptInvite`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};
use tender_protocol::Timestamp;

use crate::api::{self, SignedIn};
use crate::format::local_time;

#[derive(Serialize)]
struct NewInvite<'a> {
    email: &'a str,
}

#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Invited {
    email: String,
    url: String,
    expires_at: Timestamp,
}

#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Invitation {
    email: String,
    merchant_name: String,
    expires_at: Timestamp,
}

#[derive(Serialize)]
struct Acceptance<'a> {
    password: &'a str,
}

#[component]
pub fn Invite(me: SignedIn) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let made = RwSignal::new(None::<Invited>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let me = me.clone();
        let to = email.get_untracked();
        status.set("Making the invitation…".to_owned());
        spawn_local(async move {
            match api::change::<Invited>(&me, "POST", "/invites", &NewInvite { email: &to }).await {
                Ok(invited) => {
                    status.set(format!("Invitation for {} made", invited.email));
                    email.set(String::new());
                    made.set(Some(invited));
                }
                Err(message) => status.set(message),
            }
        });
    };
    view! {
        <section aria-labelledby="team-title">
            <h1 id="team-title">"Team"</h1>
            <p>"Invite someone to this dashboard: they get a link that works once, for seven days, to choose their password."</p>
            <form class="invite" on:submit=submit>
                <label for="invite-email">"Their email"</label>
                <input id="invite-email" type="email" required autocomplete="off"
                    prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/>
                <button type="submit">"Make invitation link"</button>
            </form>
            <p class="status" aria-live="polite">{move || status.get()}</p>
            {move || made.get().map(|invited| view! {
                <div class="secret" role="alert">
                    <p>{format!("Send this link to {}; it is not shown again and works until {}.",
                        invited.email, local_time(&invited.expires_at))}</p>
                    <code data-testid="invite-url">{invited.url}</code>
                </div>
            })}
        </section>
    }
}

#[component]
pub fn AcceptInvite(token: String, signed_in: Callback<SignedIn>) -> impl IntoView {
    let invitation = RwSignal::new(None::<Result<Invitation, String>>);
    {
        let token = token.clone();
        spawn_local(async move {
            let found = api::read::<Invitation>(&format!("/invites/{token}")).await;
            invitation.set(Some(found.map_err(|_| {
                "This invitation link has been used, has expired, or was never made. Ask for a new one.".to_owned()
            })));
        });
    }
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let token = token.clone();
        let chosen = password.get_untracked();
        spawn_local(async move {
            let body = Acceptance { password: &chosen };
            let path = format!("/invites/{token}");
            let Some(json) = tender_web::to_json(&body) else {
                return;
            };
            match api::call::<SignedIn>("POST", &path, Some(json), None).await {
                Ok(me) => signed_in.run(me),
                Err(err) => error.set(Some(api::worded(err))),
            }
        });
    };
    view! {
        <section class="card sign-in" aria-labelledby="invite-title">
            <h1 id="invite-title">"Join a Tender dashboard"</h1>
            {move || match invitation.get() {
                None => view! { <p class="loading" aria-busy="true">"Opening the invitation…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Some(Ok(found)) => view! {
                    <p>{format!("{} invited {} to its dashboard (until {}).", found.merchant_name, found.email, local_time(&found.expires_at))}</p>
                    <form on:submit=submit.clone()>
                        <input type="email" autocomplete="username" hidden prop:value=found.email.clone()/>
                        <label for="new-password">"Choose a password (12 characters or more)"</label>
                        <input id="new-password" type="password" autocomplete="new-password" required minlength="12"
                            prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                        <p class="error" role="alert">{move || error.get()}</p>
                        <button type="submit">"Join and sign in"</button>
                    </form>
                }.into_any(),
            }}
        </section>
    }
}
