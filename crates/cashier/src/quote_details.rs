//! A locked quote: the exact amount, the deposit address with a copy button,
//! a QR code of the EIP-681 link, the rate with when its price was fetched,
//! and a countdown to when the rate lapses.

use std::time::Duration;
use tender_web::i18n::{t, tf};

use leptos::prelude::*;
use leptos::task::spawn_local;
use tender_protocol::Quote;
use tender_web::{intl, sleep};

use crate::qr::QrCode;

/// Seconds left before `quote` lapses, by the browser's clock.
fn seconds_left(quote: &Quote) -> i64 {
    quote.expires_at.unix() - (js_sys::Date::now() / 1000.0) as i64
}

#[component]
pub fn QuoteDetails(
    quote: Quote,
    /// Called to get a fresh quote once this one has lapsed.
    requote: Callback<()>,
    busy: RwSignal<bool>,
) -> impl IntoView {
    let address = quote.deposit_address.to_string();
    let copied = RwSignal::new(false);
    let left = RwSignal::new(seconds_left(&quote));
    let ticking = quote.clone();
    spawn_local(async move {
        while left.get_untracked() > 0 {
            sleep(Duration::from_secs(1)).await;
            // A component dropped by a re-render stops its countdown.
            if left.try_set(seconds_left(&ticking)).is_some() {
                return;
            }
        }
    });
    let copy = {
        let address = address.clone();
        move |_| {
            if let Some(window) = web_sys::window() {
                let _ = window.navigator().clipboard().write_text(&address);
                copied.set(true);
            }
        }
    };
    let amount = intl::token(&quote.amount, &quote.token);
    let rate = &quote.exchange_rate;
    let rate = format!(
        "{} = {}",
        intl::token("1", &rate.token),
        intl::price(&rate.price, rate.currency)
    );
    view! {
        <div class="quote">
            <p class="quote__amount">
                {t("quote.send_exactly")} <strong data-testid="quote-amount">{amount.clone()}</strong>
            </p>
            <p class="quote__rate" data-testid="quote-rate">
                {rate}
                {quote.rate_fetched_at.map(|at| tf("quote.fetched_at", &[("time", &intl::time(at.unix()))]))}
            </p>
            <div class="quote__pay-to">
                <QrCode text=quote.payment_uri.clone() label=tf("quote.qr", &[("amount", &amount)])/>
                <div>
                    <p class="quote__address">
                        <span id="deposit-label">{t("quote.to_address")}</span>
                        <code data-testid="deposit-address" aria-labelledby="deposit-label">{address}</code>
                    </p>
                    <button type="button" class="copy" on:click=copy>
                        {move || t(if copied.get() { "quote.copied" } else { "quote.copy" })}
                    </button>
                    <p><a href=quote.payment_uri.clone()>{t("quote.open_wallet")}</a></p>
                </div>
            </div>
            {move || {
                let left = left.get();
                if left > 0 {
                    view! {
                        <p class="quote__expiry" data-testid="quote-countdown">
                            {t("quote.locked")} <span aria-hidden="true">{intl::clock(left)}</span>
                            <span class="visually-hidden">{tf("quote.minutes", &[("minutes", &intl::number(((left + 59) / 60) as u64))])}</span>
                        </p>
                    }
                    .into_any()
                } else {
                    view! {
                        <div class="quote__lapsed" role="alert" data-testid="quote-lapsed">
                            <p>{t("quote.lapsed")}</p>
                            <button type="button" prop:disabled=move || busy.get() on:click=move |_| requote.run(())>
                                {t("quote.requote")}
                            </button>
                        </div>
                    }
                    .into_any()
                }
            }}
        </div>
    }
}
