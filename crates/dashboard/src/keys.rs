//! The merchant's API keys: each with what it may do, created (the secret
//! shown once, here only) and revoked (with every key it made).

use leptos::prelude::*;
use leptos::task::spawn_local;
use tender_protocol::{ApiKey, Scope};

use crate::api::{self, SignedIn};
use crate::format::local_time;
use crate::ticks::Ticks;

fn scopes_text(scopes: &[Scope]) -> String {
    if scopes.contains(&Scope::All) {
        return "every scope".to_owned();
    }
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[component]
pub fn Keys(me: SignedIn) -> impl IntoView {
    let listed = RwSignal::new(None::<Result<Vec<ApiKey>, String>>);
    let reload = move || {
        spawn_local(async move { listed.set(Some(api::keys().await)) });
    };
    reload();
    let status = RwSignal::new(String::new());
    let created = RwSignal::new(None::<String>);
    // Scopes ticked for the next key; none ticked makes a standard key.
    let ticked = RwSignal::new(Vec::<Scope>::new());
    let create = {
        let me = me.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let me = me.clone();
            let scopes = ticked.get_untracked();
            status.set("Creating a key…".to_owned());
            spawn_local(async move {
                match api::create_key(&me, &scopes).await {
                    Ok(key) => {
                        created.set(key.secret);
                        ticked.set(Vec::new());
                        status.set(format!("Key {} created", key.redacted));
                        reload();
                    }
                    Err(message) => status.set(message),
                }
            });
        }
    };
    let revoke = Callback::new(move |(id, redacted): (String, String)| {
        let me = me.clone();
        spawn_local(async move {
            match api::revoke_key(&me, &id).await {
                Ok(()) => {
                    status.set(format!("Key {redacted} revoked"));
                    reload();
                }
                Err(message) => status.set(message),
            }
        });
    });
    let choices = Scope::ALL
        .into_iter()
        .filter(|s| *s != Scope::All)
        .map(|s| (s, s.as_str()))
        .collect::<Vec<_>>();
    view! {
        <section aria-labelledby="keys-title">
            <h1 id="keys-title">"API keys"</h1>
            <form class="new-key" on:submit=create>
                <fieldset>
                    <legend>"A new key may (none ticked: everything)"</legend>
                    <div class="scopes"><Ticks choices prefix="scope" ticked/></div>
                </fieldset>
                <button type="submit">"Create key"</button>
            </form>
            <p class="status" aria-live="polite">{move || status.get()}</p>
            {move || created.get().map(|secret| view! {
                <div class="secret" role="alert">
                    <p>"Copy this secret now: it is not shown again."</p>
                    <code data-testid="new-secret">{secret}</code>
                </div>
            })}
            {move || match listed.get() {
                None => view! { <p class="loading" aria-busy="true">"Loading keys…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Some(Ok(keys)) if keys.is_empty() => view! {
                    <p class="empty">"No API keys. Create one above for your server."</p>
                }.into_any(),
                Some(Ok(keys)) => view! { <KeyTable keys revoke/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn KeyTable(keys: Vec<ApiKey>, revoke: Callback<(String, String)>) -> impl IntoView {
    view! {
        <table class="keys">
            <thead><tr>
                <th scope="col">"Key"</th><th scope="col">"May"</th>
                <th scope="col">"Created"</th><th scope="col">"State"</th>
            </tr></thead>
            <tbody>
                {keys.into_iter().map(|key| {
                    let id = key.id.to_string();
                    let redacted = key.redacted.clone();
                    let label = format!("Revoke {}", key.redacted);
                    let state = match &key.revoked_at {
                        Some(at) => view! { <span>{format!("Revoked {}", local_time(at))}</span> }.into_any(),
                        None => view! {
                            <button type="button" class="secondary" aria-label=label
                                on:click=move |_| revoke.run((id.clone(), redacted.clone()))>"Revoke"</button>
                        }.into_any(),
                    };
                    view! {
                        <tr>
                            <td class="id">{key.redacted.clone()}</td>
                            <td>{scopes_text(&key.scopes)}</td>
                            <td>{local_time(&key.created_at)}</td>
                            <td>{state}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
