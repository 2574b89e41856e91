//! How to pay: pick a network and token (each shows what it comes to), get a
//! locked quote with its deposit address, and pay it from a browser wallet —
//! or from any wallet, by address or QR code.

use leptos::prelude::*;
use leptos::task::spawn_local;
use tender_protocol::{PaymentOption, PublicSession};
use tender_web::i18n::{t, tf};

use crate::api;
use crate::quote_details::QuoteDetails;
use crate::wallet::{self, Wallet};

#[component]
pub fn PayPanel(
    session: RwSignal<PublicSession>,
    wallets: RwSignal<Vec<Wallet>, LocalStorage>,
) -> impl IntoView {
    let id = session.with_untracked(|s| s.id.clone());
    let quote = RwSignal::new(session.with_untracked(|s| s.quote.clone()));
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let sent = RwSignal::new(None::<String>);

    let choose = Callback::new(move |option: PaymentOption| {
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
    });
    let chosen_option = move || {
        let q = quote.get()?;
        session.with(|s| {
            s.payment_options
                .iter()
                .find(|o| o.network == q.network && o.token == q.token)
                .cloned()
        })
    };
    let requote = Callback::new(move |()| {
        if let Some(option) = chosen_option() {
            choose.run(option);
        }
    });
    let pay = move |wallet: Wallet| {
        let (Some(q), Some(option)) = (quote.get_untracked(), chosen_option()) else {
            return;
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = async {
                let from = wallet.connect().await?;
                wallet.switch_chain(&option).await?;
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

    let option_buttons = move || {
        session
            .with(|s| s.payment_options.clone())
            .into_iter()
            .map(|option| {
                let label = tf(
                    "pay.option",
                    &[("token", &option.token), ("network", &option.network_name)],
                );
                let amount = option
                    .amount
                    .clone()
                    .map(|a| tender_web::intl::token(&a, &option.token));
                let pressed = {
                    let option = option.clone();
                    move || {
                        quote.with(|q| {
                            q.as_ref().is_some_and(|q| {
                                q.network == option.network && q.token == option.token
                            })
                        })
                    }
                };
                view! {
                    <button
                        type="button"
                        class="option"
                        aria-pressed=move || pressed().to_string()
                        prop:disabled=move || busy.get()
                        on:click=move |_| choose.run(option.clone())
                    >
                        <span class="option__label">{label}</span>
                        {amount.map(|a| view! { <span class="option__amount">{a}</span> })}
                    </button>
                }
            })
            .collect_view()
    };

    let wallet_buttons = move || {
        let mut list = wallets.get();
        if list.is_empty() {
            list.extend(wallet::legacy());
        }
        if list.is_empty() {
            return view! {
                <p class="hint">{t("pay.no_wallet")}</p>
            }
            .into_any();
        }
        list.into_iter()
            .map(|w| {
                let label = tf("pay.with_wallet", &[("wallet", &w.name)]);
                let icon = w.icon.clone();
                view! {
                    <button type="button" class="wallet" prop:disabled=move || busy.get() on:click=move |_| pay(w.clone())>
                        {icon.map(|src| view! { <img src=src alt="" width="20" height="20"/> })}
                        {label}
                    </button>
                }
            })
            .collect_view()
            .into_any()
    };

    view! {
        <section class="pay" aria-labelledby="pay-title">
            <h2 id="pay-title">{t("pay.title")}</h2>
            <div class="options" role="group" aria-label=t("pay.options")>{option_buttons}</div>
            {move || quote.get().map(|q| view! {
                <QuoteDetails quote=q requote busy/>
                <div class="wallets">{wallet_buttons}</div>
            })}
            <p class="error" role="alert">{move || error.get()}</p>
            {move || error.get().is_some().then(|| view! {
                <p class="hint">{t("pay.try_again")}</p>
            })}
            {move || sent.get().map(|hash| view! {
                <p class="sent" role="status">{t("pay.sent")} <code>{hash}</code> {t("pay.waiting")}</p>
            })}
        </section>
    }
}
