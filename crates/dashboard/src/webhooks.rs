//! The merchant's webhook endpoints: how their deliveries went, added (the
//! signing secret shown once), tested, their secret rotated (the new one
//! shown once), disabled and enabled again.

use leptos::prelude::*;
use leptos::task::spawn_local;
use tender_protocol::{
    CreateWebhookEndpoint, EndpointStatus, Event, EventType, List, WebhookEndpoint,
};

use crate::api::{self, SignedIn};
use crate::format::local_time;
use crate::ticks::Ticks;

/// One thing done to an endpoint from its row.
#[derive(Clone, Copy)]
enum Action {
    Test,
    Rotate,
    Disable,
    Enable,
}

impl Action {
    fn path(self) -> &'static str {
        match self {
            Action::Test => "test",
            Action::Rotate => "rotate-secret",
            Action::Disable => "disable",
            Action::Enable => "enable",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Action::Test => "Send test event",
            Action::Rotate => "Rotate secret",
            Action::Disable => "Disable",
            Action::Enable => "Enable",
        }
    }
}

fn success_rate(endpoint: &WebhookEndpoint) -> String {
    let d = endpoint.deliveries;
    match d.success_percent() {
        None => "no deliveries yet".to_owned(),
        Some(percent) => format!(
            "{percent}% delivered ({} ok, {} retrying, {} failed)",
            d.succeeded, d.retrying, d.failed
        ),
    }
}

#[component]
pub fn Webhooks(me: SignedIn, #[prop(into)] changed: Signal<u64>) -> impl IntoView {
    let listed = RwSignal::new(None::<Result<Vec<WebhookEndpoint>, String>>);
    let reload = move || {
        spawn_local(async move {
            let page = api::read::<List<WebhookEndpoint>>("/v1/webhook-endpoints?limit=100").await;
            listed.set(Some(page.map(|p| p.data)));
        });
    };
    Effect::new(move |_| {
        changed.track();
        reload();
    });
    let status = RwSignal::new(String::new());
    let secret = RwSignal::new(None::<(String, String)>);
    let url = RwSignal::new(String::new());
    let ticked = RwSignal::new(Vec::<EventType>::new());
    let create = {
        let me = me.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let me = me.clone();
            let chosen = ticked.get_untracked();
            let request = CreateWebhookEndpoint {
                url: url.get_untracked().trim().to_owned(),
                enabled_events: if chosen.is_empty() {
                    vec!["*".to_owned()]
                } else {
                    chosen.iter().map(|k| k.as_str().to_owned()).collect()
                },
            };
            status.set("Adding the endpoint…".to_owned());
            spawn_local(async move {
                match api::change::<WebhookEndpoint>(&me, "POST", "/v1/webhook-endpoints", &request)
                    .await
                {
                    Ok(endpoint) => {
                        status.set(format!("Endpoint {} added", endpoint.url));
                        secret.set(endpoint.secret.map(|s| (endpoint.url, s)));
                        url.set(String::new());
                        ticked.set(Vec::new());
                        reload();
                    }
                    Err(message) => status.set(message),
                }
            });
        }
    };
    let act = Callback::new(move |(endpoint, action): (WebhookEndpoint, Action)| {
        let me = me.clone();
        let path = format!("/v1/webhook-endpoints/{}/{}", endpoint.id, action.path());
        status.set(format!("{}: {}…", action.label(), endpoint.url));
        spawn_local(async move {
            let done = match action {
                Action::Test => api::change::<Event>(&me, "POST", &path, &api::Nothing {})
                    .await
                    .map(|event| format!("Test event {} sent to {}", event.id, endpoint.url)),
                _ => api::change::<WebhookEndpoint>(&me, "POST", &path, &api::Nothing {})
                    .await
                    .map(|changed| {
                        if let Some(new) = changed.secret {
                            secret.set(Some((changed.url.clone(), new)));
                        }
                        format!("{}: done for {}", action.label(), changed.url)
                    }),
            };
            match done {
                Ok(said) => {
                    status.set(said);
                    reload();
                }
                Err(message) => status.set(message),
            }
        });
    });
    let choices = EventType::ALL
        .into_iter()
        .filter(|k| *k != EventType::WebhookEndpointTest)
        .map(|k| (k, k.as_str()))
        .collect::<Vec<_>>();
    view! {
        <section aria-labelledby="webhooks-title">
            <h1 id="webhooks-title">"Webhook endpoints"</h1>
            <form class="new-endpoint" on:submit=create>
                <label for="endpoint-url">"Endpoint URL (https, or http on loopback in development)"</label>
                <input id="endpoint-url" type="url" required placeholder="https://shop.example/webhooks/tender"
                    prop:value=move || url.get() on:input=move |ev| url.set(event_target_value(&ev))/>
                <fieldset>
                    <legend>"Events to send (none ticked: every event)"</legend>
                    <div class="scopes"><Ticks choices prefix="event" ticked/></div>
                </fieldset>
                <button type="submit">"Add endpoint"</button>
            </form>
            <p class="status" aria-live="polite">{move || status.get()}</p>
            {move || secret.get().map(|(url, secret)| view! {
                <div class="secret" role="alert">
                    <p>{format!("Signing secret of {url}: copy it now, it is not shown again.")}</p>
                    <code data-testid="endpoint-secret">{secret}</code>
                </div>
            })}
            {move || match listed.get() {
                None => view! { <p class="loading" aria-busy="true">"Loading endpoints…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Some(Ok(endpoints)) if endpoints.is_empty() => view! {
                    <p class="empty">"No webhook endpoints. Add your server's URL above to be told when sessions are paid."</p>
                }.into_any(),
                Some(Ok(endpoints)) => view! { <EndpointList endpoints act/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn EndpointList(
    endpoints: Vec<WebhookEndpoint>,
    act: Callback<(WebhookEndpoint, Action)>,
) -> impl IntoView {
    endpoints
        .into_iter()
        .map(|endpoint| {
            let enabled = endpoint.status == EndpointStatus::Enabled;
            let actions = if enabled {
                vec![Action::Test, Action::Rotate, Action::Disable]
            } else {
                vec![Action::Enable, Action::Rotate]
            };
            let buttons = actions
                .into_iter()
                .map(|action| {
                    let target = endpoint.clone();
                    let label = format!("{} {}", action.label(), endpoint.url);
                    view! {
                        <button type="button" class="secondary" aria-label=label
                            on:click=move |_| act.run((target.clone(), action))>{action.label()}</button>
                    }
                })
                .collect_view();
            view! {
                <article class="endpoint">
                    <h2 class="id">{endpoint.url.clone()}</h2>
                    <p>
                        <span class=if enabled { "badge badge--paid" } else { "badge badge--expired" }>
                            {if enabled { "enabled" } else { "disabled" }}
                        </span>
                        " "{success_rate(&endpoint)}
                    </p>
                    <p class="muted">{format!("Sends {} · added {}", endpoint.enabled_events.join(", "), local_time(&endpoint.created_at))}</p>
                    <div class="actions">{buttons}</div>
                </article>
            }
        })
        .collect_view()
}
