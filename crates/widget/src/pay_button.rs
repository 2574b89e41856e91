//! The Pay button: one order per click, then off to the hosted cashier.

use leptos::prelude::*;
use leptos::task::spawn_local;
use tender_protocol::CartLine;

use crate::api;
use crate::words::{self, t, tf};

/// A button that starts a checkout for `items` (one product, or a cart)
/// and sends the shopper to the payment page. Disabled while its request is in flight, so a double
/// click makes one order; a failure shows why and lets the shopper retry.
#[component]
pub fn PayButton(
    /// Base URL of the merchant's companion server ("" for the same origin).
    #[prop(into)]
    endpoint: String,
    items: Vec<CartLine>,
    /// The button's words (default: "Pay with crypto" in the page's language).
    #[prop(into, optional)]
    label: Option<String>,
) -> impl IntoView {
    words::spoken();
    let label = label.unwrap_or_else(|| t("pay.label"));
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let start = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let endpoint = endpoint.clone();
        let items = items.clone();
        spawn_local(async move {
            match api::checkout(&endpoint, &items).await {
                // Stay busy: the page is about to change.
                Ok(answer) => tender_web::go_to(&answer.payment_url),
                Err(message) => {
                    error.set(Some(message));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <div class="tender-pay">
            <button
                type="button"
                class="tender-pay__button"
                on:click=start
                prop:disabled=move || busy.get()
                aria-busy=move || busy.get().to_string()
            >
                <span class="tender-pay__spinner" aria-hidden="true" hidden=move || !busy.get()></span>
                {move || if busy.get() { t("pay.starting") } else { label.clone() }}
            </button>
            <p class="tender-pay__error" role="alert" hidden=move || error.get().is_none()>
                {move || error.get().map(|m| tf("pay.try_again", &[("message", &m)]))}
            </p>
        </div>
    }
}
