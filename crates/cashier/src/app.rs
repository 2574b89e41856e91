//! The cashier page: loads the session, keeps it fresh, and lays out the
//! summary, the ways to pay and the live status.

use leptos::prelude::*;
use leptos::task::spawn_local;
use tender_protocol::{PublicSession, SessionId};
use tender_web::i18n::{t, tf};

use crate::order_summary::OrderSummary;
use crate::pay_panel::PayPanel;
use crate::status_panel::StatusPanel;
use crate::wallet::{self, Wallet};
use crate::{api, live};

fn session_id_from_path() -> Option<SessionId> {
    let path = web_sys::window()?.location().pathname().ok()?;
    let id = path.trim_end_matches('/').rsplit('/').next()?;
    SessionId::parse(id).ok()
}

#[component]
pub fn App() -> impl IntoView {
    let wallets = RwSignal::new_local(Vec::new());
    wallet::discover(wallets);
    let first = RwSignal::new(None::<Result<PublicSession, String>>);
    let id = session_id_from_path();
    if let Some(id) = id.clone() {
        spawn_local(async move { first.set(Some(api::session(&id).await)) });
    }
    view! {
        <main class="cashier">
            {move || match (id.clone(), first.get()) {
                (None, _) => view! { <p class="notice" role="alert">{t("app.invalid_link")}</p> }.into_any(),
                (Some(_), None) => view! { <p class="loading" aria-busy="true">{t("app.loading")}</p> }.into_any(),
                (Some(_), Some(Err(message))) => view! { <p class="notice" role="alert">{message}</p> }.into_any(),
                (Some(id), Some(Ok(initial))) => view! { <Checkout id initial wallets/> }.into_any(),
            }}
        </main>
    }
}

/// The loaded checkout; refreshes the session until it can no longer change.
#[component]
fn Checkout(
    id: SessionId,
    initial: PublicSession,
    wallets: RwSignal<Vec<Wallet>, LocalStorage>,
) -> impl IntoView {
    let session = RwSignal::new(initial.clone());
    if initial.dev_wallet.is_some() {
        wallet::load_dev_wallet();
    }
    live::follow(id, session);
    // While a payment is confirming, offer no way to pay twice.
    let payable = Memo::new(move |_| {
        session.with(|s| {
            s.status.is_payable() && s.status != tender_protocol::SessionStatus::Processing
        })
    });
    view! {
        <header class="cashier__header">
            <p class="cashier__merchant">{initial.merchant_name.clone()}</p>
            <h1>{t("app.title")}</h1>
        </header>
        <OrderSummary session=initial/>
        <StatusPanel session/>
        <Show when=move || payable.get()>
            <PayPanel session wallets/>
        </Show>
        <Show when=move || session.with(|s| !s.refund_offers.is_empty())>
            <section class="offers" aria-labelledby="offers-title">
                <h2 id="offers-title">{t("offers.title")}</h2>
                <p>{t("offers.text")}</p>
                {move || session.with(|s| s.refund_offers.iter().map(|offer| view! {
                    <p><a class="button" href=offer.claim_url.clone()>
                        {tf("offers.claim", &[("amount", &tender_web::intl::decimal(&offer.amount)), ("token", &offer.token), ("network", &offer.network_name)])}
                    </a></p>
                }).collect_view())}
            </section>
        </Show>
    }
}
