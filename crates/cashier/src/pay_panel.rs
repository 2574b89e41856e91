//! How to pay: pick a network and token, get a locked quote with its deposit
//! address, and pay it from a browser wallet (or any wallet, by address).

use leptos::prelude::*;
use leptos::task::spawn_local;
use tender_protocol::{PaymentOption, PublicSession, Quote};

use crate::api;
use crate::wallet::{self, Wallet};

#[component]
pub fn PayPanel(
    session: RwSignal<PublicSession>,
    wallets: RwSignal<Vec<Wallet>, LocalStorage>,
) -> impl IntoView {
    let id = session.with_untracked(|s| s.id.clone());
    let options = session.with_untracked(|s| s.payment_options.clone());
    let quote = RwSignal::new(session.with_untracked(|s| s.quote.clone()));
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let sent = RwSignal::new(None::<String>);

    let choose = move |option: PaymentOption| {
        let id = id.clone();
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::quote(&id, &option.network, &option.token).await {
                Ok(q) => quote.set(Some(q)),
                Err(message) => error.set(Some(message)),
            }
            busy.set(false);
        });
    };
    let pay = move |wallet: Wallet| {
        let Some(q) = quote.get_untracked() else {
            return;
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = async {
                let from = wallet.connect().await?;
                wallet.switch_chain(q.chain_id).await?;
                wallet
                    .pay(
                        &from,
                        &q.deposit_address,
                        q.token_address.as_ref(),
                        q.amount_raw,
                    )
                    .await
            }
            .await;
            match result {
                Ok(hash) => sent.set(Some(hash)),
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };

    let option_buttons = options
        .into_iter()
        .map(|option| {
            let label = format!("{} on {}", option.token, option.network_name);
            let chosen = {
                let option = option.clone();
                move || {
                    quote.with(|q| {
                        q.as_ref()
                            .is_some_and(|q| q.network == option.network && q.token == option.token)
                    })
                }
            };
            let choose = choose.clone();
            view! {
                <button
                    type="button"
                    class="option"
                    aria-pressed=move || chosen().to_string()
                    prop:disabled=move || busy.get()
                    on:click=move |_| choose(option.clone())
                >
                    {label}
                </button>
            }
        })
        .collect_view();

    let available_wallets = move || {
        let mut list = wallets.get();
        if list.is_empty() {
            list.extend(wallet::legacy());
        }
        list
    };

    view! {
        <section class="pay" aria-labelledby="pay-title">
            <h2 id="pay-title">"Pay with"</h2>
            <div class="options" role="group" aria-label="Network and token">{option_buttons}</div>
            {move || quote.get().map(|q| view! {
                <QuoteDetails quote=q/>
                <div class="wallets">
                    {move || {
                        let list = available_wallets();
                        if list.is_empty() {
                            view! { <p class="hint">"No browser wallet found. Send the exact amount from any wallet to the address above."</p> }.into_any()
                        } else {
                            list.into_iter().map(|w| {
                                let label = format!("Pay with {}", w.name);
                                let icon = w.icon.clone();
                                view! {
                                    <button type="button" class="wallet" prop:disabled=move || busy.get() on:click=move |_| pay(w.clone())>
                                        {icon.map(|src| view! { <img src=src alt="" width="20" height="20"/> })}
                                        {label}
                                    </button>
                                }
                            }).collect_view().into_any()
                        }
                    }}
                </div>
            })}
            <p class="error" role="alert">{move || error.get()}</p>
            {move || sent.get().map(|hash| view! {
                <p class="sent" role="status">"Transaction sent: " <code>{hash}</code> ". Waiting for the network…"</p>
            })}
        </section>
    }
}

#[component]
fn QuoteDetails(quote: Quote) -> impl IntoView {
    let address = quote.deposit_address.to_string();
    let copied = RwSignal::new(false);
    let copy = {
        let address = address.clone();
        move |_| {
            if let Some(window) = web_sys::window() {
                let _ = window.navigator().clipboard().write_text(&address);
                copied.set(true);
            }
        }
    };
    view! {
        <div class="quote">
            <p class="quote__amount">
                "Send exactly " <strong data-testid="quote-amount">{format!("{} {}", quote.amount, quote.token)}</strong>
            </p>
            <p class="quote__rate">{format!("1 {} = {} {}", quote.token, quote.exchange_rate.price, quote.exchange_rate.currency)}</p>
            <p class="quote__address">
                <span>"to "</span>
                <code data-testid="deposit-address">{address}</code>
                <button type="button" class="copy" on:click=copy>
                    {move || if copied.get() { "Copied" } else { "Copy address" }}
                </button>
            </p>
            <p><a href=quote.payment_uri.clone()>"Open in a wallet app"</a></p>
        </div>
    }
}
