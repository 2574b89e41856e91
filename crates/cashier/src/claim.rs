//! The refund claim page, at `/refund/{token}`: what is given back, by whom
//! and on which network, and where to: an address from a connected wallet
//! or typed in. A contract address is warned about before it is used. Then
//! it follows the refund to "Refund sent". It is a bundle of its own
//! (`src/bin/refund.rs`), so the pay page does not carry it.

use std::time::Duration;
use tender_web::i18n::{t, tf};

use leptos::html::Input;
use leptos::prelude::*;
use leptos::task::spawn_local;
use tender_protocol::{Claim, RefundStatus};
use tender_web::{intl, sleep};

use crate::api;
use crate::wallet::Wallet;

/// The claim token from the page's path.
pub fn token_from_path() -> Option<String> {
    let path = web_sys::window()?.location().pathname().ok()?;
    let rest = path.strip_prefix("/refund/")?;
    let token = rest.trim_end_matches('/');
    (!token.is_empty() && token.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| token.to_owned())
}

/// The refund page: the claim of the token in its path.
#[component]
pub fn RefundApp() -> impl IntoView {
    let wallets = RwSignal::new_local(Vec::new());
    crate::wallet::discover(wallets);
    view! {
        <main class="cashier">
            {match token_from_path() {
                Some(token) => view! { <ClaimPage token wallets/> }.into_any(),
                None => view! { <p class="notice" role="alert">{t("claim.invalid_link")}</p> }.into_any(),
            }}
        </main>
    }
}

#[component]
fn ClaimPage(token: String, wallets: RwSignal<Vec<Wallet>, LocalStorage>) -> impl IntoView {
    let claim = RwSignal::new(None::<Result<Claim, String>>);
    follow(token.clone(), claim);
    view! {
        {move || match claim.get() {
            None => view! { <p class="loading" aria-busy="true">{t("claim.loading")}</p> }.into_any(),
            Some(Err(message)) => view! { <p class="notice" role="alert">{message}</p> }.into_any(),
            Some(Ok(c)) => view! { <Refund claim=c token=token.clone() wallets on_claimed=claim/> }.into_any(),
        }}
    }
}

/// Loads the refund, and while it is claimed, reloads it every two seconds
/// until it is sent (or fails).
fn follow(token: String, claim: RwSignal<Option<Result<Claim, String>>>) {
    spawn_local(async move {
        loop {
            let now = api::claim(&token).await;
            let sending = matches!(&now, Ok(c) if c.status == RefundStatus::Claimed);
            claim.set(Some(now));
            if !sending {
                return;
            }
            sleep(Duration::from_secs(2)).await;
        }
    });
}

#[component]
fn Refund(
    claim: Claim,
    token: String,
    wallets: RwSignal<Vec<Wallet>, LocalStorage>,
    on_claimed: RwSignal<Option<Result<Claim, String>>>,
) -> impl IntoView {
    let amount = match &claim.token_amount {
        Some(units) => format!(
            "{} ({})",
            intl::token(units, &claim.token),
            intl::money(claim.amount)
        ),
        None => tf(
            "claim.amount_in",
            &[
                ("amount", &intl::money(claim.amount)),
                ("token", &claim.token),
            ],
        ),
    };
    let state = match (claim.status, claim.expired) {
        (RefundStatus::Pending, true) => view! {
            <p class="notice" role="alert">{t("claim.expired")}</p>
        }
        .into_any(),
        (RefundStatus::Pending, false) => view! {
            <ClaimForm token claim=claim.clone() wallets on_claimed/>
        }
        .into_any(),
        (RefundStatus::Claimed, _) => view! {
            <p class="status" role="status" aria-live="polite">
                {tf("claim.sending", &[("address", &claim.destination.map(|d| d.to_string()).unwrap_or_default())])}
            </p>
        }
        .into_any(),
        (RefundStatus::Completed, _) => view! {
            <div class="status status--done" role="status" aria-live="polite">
                <p><strong>{t("claim.sent")}</strong></p>
                <p class="mono" data-testid="refund-tx">{claim.tx_hash.map(|h| h.to_string()).unwrap_or_default()}</p>
            </div>
        }
        .into_any(),
        (RefundStatus::Failed, _) => view! {
            <p class="notice" role="alert">{t("claim.failed")}</p>
        }
        .into_any(),
        (RefundStatus::Canceled, _) => view! {
            <p class="notice" role="alert">{t("claim.canceled")}</p>
        }
        .into_any(),
    };
    view! {
        <header class="cashier__header">
            <p class="cashier__merchant">{claim.merchant_name.clone()}</p>
            <h1>{t("claim.title")}</h1>
        </header>
        <section class="summary" aria-labelledby="refund-title">
            <h2 id="refund-title">{t("claim.what")}</h2>
            <p class="summary__total"><span>{t("claim.amount")}</span><strong data-testid="refund-amount">{amount}</strong></p>
            <p>{tf("claim.on_network", &[("network", &claim.network_name), ("chain", &claim.chain_id)])}</p>
            {claim.reason.clone().map(|r| view! { <p class="line-item__description">{r}</p> })}
        </section>
        {state}
    }
}

#[component]
fn ClaimForm(
    token: String,
    claim: Claim,
    wallets: RwSignal<Vec<Wallet>, LocalStorage>,
    on_claimed: RwSignal<Option<Result<Claim, String>>>,
) -> impl IntoView {
    let input = NodeRef::<Input>::new();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let contract_warning = RwSignal::new(None::<String>);
    let submit = move |confirm: bool| {
        let token = token.clone();
        let typed = input.get_untracked().map(|i| i.value()).unwrap_or_default();
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::claim_refund(&token, typed.trim(), confirm).await {
                Ok(_) => follow(token, on_claimed),
                Err((409, message)) if message.contains("contract") => {
                    contract_warning.set(Some(message))
                }
                Err((_, message)) => error.set(Some(message)),
            }
            busy.set(false);
        });
    };
    let send = submit.clone();
    let confirm = submit.clone();
    let connect = move |wallet: Wallet| {
        error.set(None);
        spawn_local(async move {
            match wallet.connect().await {
                Ok(account) => {
                    if let Some(field) = input.get_untracked() {
                        field.set_value(&account);
                    }
                    contract_warning.set(None);
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    let network = claim.network_name.clone();
    view! {
        <section class="pay" aria-labelledby="claim-title">
            <h2 id="claim-title">{t("claim.where")}</h2>
            <div class="wallets">
                {move || wallets.get().into_iter().map(|wallet| {
                    let label = tf("claim.use_wallet", &[("wallet", &wallet.name)]);
                    view! {
                        <button type="button" class="button button--secondary" disabled=move || busy.get()
                            on:click=move |_| connect(wallet.clone())>
                            {label}
                        </button>
                    }
                }).collect_view()}
            </div>
            <form class="claim-form" on:submit=move |ev| { ev.prevent_default(); send(false); }>
                <label for="refund-address">{tf("claim.your_address", &[("network", &network)])}</label>
                <input id="refund-address" class="input mono" type="text" autocomplete="off" spellcheck="false"
                    placeholder="0x…" required=true node_ref=input
                    on:input=move |_| contract_warning.set(None)/>
                <button type="submit" class="button" data-testid="claim" disabled=move || busy.get()>
                    {move || t(if busy.get() { "claim.claiming" } else { "claim.claim" })}
                </button>
            </form>
            {move || contract_warning.get().map(|warning| view! {
                <div class="notice" role="alert">
                    <p>{warning}</p>
                    <button type="button" class="button button--secondary" on:click={
                        let confirm = confirm.clone();
                        move |_| confirm(true)
                    }>{t("claim.confirm_contract")}</button>
                </div>
            })}
            {move || error.get().map(|e| view! { <p class="notice" role="alert">{e}</p> })}
        </section>
    }
}
