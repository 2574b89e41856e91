//! A session's refunds: those made, and a new one (all that can be
//! refunded, or an amount) whose claim link is shown once, to pass on to
//! the shopper, who names the address to be paid at.

use leptos::prelude::*;
use leptos::task::spawn_local;
use tender_protocol::{CreateRefund, Currency, List, Money, Refund};

use crate::api::{self, SignedIn};
use crate::format::{local_time, money};

#[component]
pub fn Refunds(
    id: String,
    currency: Currency,
    me: SignedIn,
    #[prop(into)] changed: Signal<u64>,
) -> impl IntoView {
    let listed = RwSignal::new(None::<Result<Vec<Refund>, String>>);
    let reload = {
        let id = id.clone();
        move || {
            let path = format!("/v1/refunds?sessionId={id}&limit=100");
            spawn_local(async move {
                listed.set(Some(api::read::<List<Refund>>(&path).await.map(|l| l.data)));
            });
        }
    };
    {
        let reload = reload.clone();
        Effect::new(move |_| {
            changed.track();
            reload();
        });
    }
    let amount = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let claim = RwSignal::new(None::<String>);
    let refund = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let wanted = amount.get_untracked().trim().to_owned();
        let amount = if wanted.is_empty() {
            None
        } else {
            match Money::parse(&wanted, currency) {
                Ok(m) => Some(m),
                Err(_) => {
                    status.set(format!("The amount must be in {currency}, like 5.00."));
                    return;
                }
            }
        };
        let why = reason.get_untracked().trim().to_owned();
        let request = CreateRefund {
            amount,
            reason: (!why.is_empty()).then_some(why),
            ..CreateRefund::default()
        };
        let me = me.clone();
        let reload = reload.clone();
        let path = format!("/v1/checkout/sessions/{id}/refunds");
        status.set("Creating the refund…".to_owned());
        spawn_local(async move {
            match api::change::<Refund>(&me, "POST", &path, &request).await {
                Ok(made) => {
                    status.set(format!(
                        "Refund {} of {} created",
                        made.id,
                        money(&made.amount)
                    ));
                    claim.set(made.claim_url);
                    reload();
                }
                Err(message) => status.set(message),
            }
        });
    };
    view! {
        <section aria-labelledby="refunds-title">
            <h2 id="refunds-title">"Refunds"</h2>
            {move || match listed.get() {
                None => view! { <p class="loading" aria-busy="true">"Loading refunds…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Some(Ok(refunds)) if refunds.is_empty() => view! { <p class="empty">"No refund of this session."</p> }.into_any(),
                Some(Ok(refunds)) => view! {
                    <ul class="refunds">
                        {refunds.into_iter().map(|r| view! {
                            <li>{format!("{} {} — {} ({} on {}), {}", r.id, money(&r.amount), r.status.as_str(),
                                r.token_amount.clone().unwrap_or_default(), r.network, local_time(&r.created_at))}</li>
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
            <form class="refund" on:submit=refund>
                <label for="refund-amount">{format!("Amount in {currency} (empty: everything that can be refunded)")}</label>
                <input id="refund-amount" inputmode="decimal" placeholder="5.00"
                    prop:value=move || amount.get() on:input=move |ev| amount.set(event_target_value(&ev))/>
                <label for="refund-reason">"Reason, shown to the shopper (optional)"</label>
                <input id="refund-reason" maxlength="500"
                    prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev))/>
                <button type="submit">"Refund"</button>
            </form>
            <p class="status" aria-live="polite">{move || status.get()}</p>
            {move || claim.get().map(|url| view! {
                <div class="secret" role="alert">
                    <p>"Send this link to the shopper to claim the refund; it is not shown again."</p>
                    <code data-testid="claim-url">{url}</code>
                </div>
            })}
        </section>
    }
}
