//! Where the merchant is paid: a network, a token it carries and an
//! address. Every change is announced to the merchant's webhook endpoints.

use leptos::prelude::*;
use leptos::task::spawn_local;
use tender_protocol::{Address, List, SettlementDestination, SettlementOption};
use tender_web::FetchError;

use crate::api::{self, SignedIn};

async fn current() -> Result<Option<SettlementDestination>, String> {
    match api::call("GET", "/v1/settlement-destination", None, None).await {
        Ok(destination) => Ok(Some(destination)),
        Err(FetchError::Refused { status: 404, .. }) => Ok(None),
        Err(err) => Err(api::worded(err)),
    }
}

#[component]
pub fn Settlement(me: SignedIn) -> impl IntoView {
    let options = RwSignal::new(Vec::<SettlementOption>::new());
    let shown = RwSignal::new(None::<Result<Option<SettlementDestination>, String>>);
    let network = RwSignal::new(String::new());
    let token = RwSignal::new(String::new());
    let address = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    spawn_local(async move {
        if let Ok(list) =
            api::read::<List<SettlementOption>>("/v1/settlement-destination/options").await
        {
            if let Some(first) = list.data.first() {
                network.set(first.network.clone());
                token.set(first.tokens.first().cloned().unwrap_or_default());
            }
            options.set(list.data);
        }
        let now = current().await;
        if let Ok(Some(d)) = &now {
            network.set(d.network.clone());
            token.set(d.token.clone());
            address.set(d.address.to_string());
        }
        shown.set(Some(now));
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let me = me.clone();
        let Ok(parsed) = address.get_untracked().trim().parse::<Address>() else {
            status.set("The address must be 0x followed by 40 hex digits.".to_owned());
            return;
        };
        let wanted = SettlementDestination {
            network: network.get_untracked(),
            token: token.get_untracked(),
            address: parsed,
        };
        status.set("Saving…".to_owned());
        spawn_local(async move {
            match api::change::<SettlementDestination>(
                &me,
                "PUT",
                "/v1/settlement-destination",
                &wanted,
            )
            .await
            {
                Ok(saved) => {
                    status.set(format!(
                        "Payouts now go to {} in {} on {}",
                        saved.address, saved.token, saved.network
                    ));
                    shown.set(Some(Ok(Some(saved))));
                }
                Err(message) => status.set(message),
            }
        });
    };
    let network_options = move || {
        options
            .get()
            .into_iter()
            .map(|o| {
                let selected = network.get() == o.network;
                view! { <option value=o.network.clone() selected=selected>{format!("{} (chain {})", o.name, o.chain_id)}</option> }
            })
            .collect_view()
    };
    let token_options = move || {
        let chosen = network.get();
        options
            .get()
            .into_iter()
            .find(|o| o.network == chosen)
            .map(|o| o.tokens)
            .unwrap_or_default()
            .into_iter()
            .map(|t| {
                let selected = token.get() == t;
                view! { <option value=t.clone() selected=selected>{t.clone()}</option> }
            })
            .collect_view()
    };
    view! {
        <section aria-labelledby="settlement-title">
            <h1 id="settlement-title">"Settlement destination"</h1>
            {move || match shown.get() {
                None => view! { <p class="loading" aria-busy="true">"Loading…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Some(Ok(None)) => view! {
                    <p class="empty">"No destination yet: paid sessions wait in the treasury until you set one below."</p>
                }.into_any(),
                Some(Ok(Some(d))) => view! {
                    <p data-testid="destination">{format!("Payouts go to {} in {} on {}.", d.address, d.token, d.network)}</p>
                }.into_any(),
            }}
            <form class="destination" on:submit=save>
                <label for="network">"Network"</label>
                <select id="network" on:change=move |ev| {
                    let chosen = event_target_value(&ev);
                    let first = options.with_untracked(|all| {
                        all.iter().find(|o| o.network == chosen).and_then(|o| o.tokens.first().cloned())
                    });
                    network.set(chosen);
                    token.set(first.unwrap_or_default());
                }>{network_options}</select>
                <label for="token">"Token"</label>
                <select id="token" on:change=move |ev| token.set(event_target_value(&ev))>{token_options}</select>
                <label for="address">"Address"</label>
                <input id="address" required placeholder="0x…" autocomplete="off" spellcheck="false"
                    prop:value=move || address.get() on:input=move |ev| address.set(event_target_value(&ev))/>
                <p class="muted">"Every change is sent to your webhook endpoints as settlement_destination.updated: if you did not make one, revoke your keys."</p>
                <button type="submit">"Save destination"</button>
            </form>
            <p class="status" aria-live="polite">{move || status.get()}</p>
        </section>
    }
}
