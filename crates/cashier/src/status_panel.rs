//! The live status: payment detected, confirmations, received (then back to
//! the shop), underpaid or expired.

use std::time::Duration;
use tender_web::i18n::{t, tf};

use leptos::prelude::*;
use leptos::task::spawn_local;
use tender_protocol::{PaymentStatus, PublicSession, SessionStatus};
use tender_web::{intl, sleep};

/// Seconds shown before returning to the shop.
const REDIRECT_SECONDS: u32 = 3;

/// What the panel shows; changes only when the shopper should notice.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shown {
    Nothing,
    Confirming { have: u64, need: u64 },
    Received { success_url: String },
    Underpaid { remaining: String },
    Expired { cancel_url: Option<String> },
}

fn shown(session: &PublicSession) -> Shown {
    match session.status {
        SessionStatus::Open => Shown::Nothing,
        SessionStatus::Processing => {
            let pending = session
                .payments
                .iter()
                .find(|p| p.status == PaymentStatus::Pending);
            let (have, need) = pending.map_or((0, 1), |p| {
                let need = session
                    .payment_options
                    .iter()
                    .find(|o| o.chain_id == p.chain_id)
                    .map_or(1, |o| o.confirmations_required);
                (p.confirmations.min(need), need)
            });
            Shown::Confirming { have, need }
        }
        SessionStatus::Paid | SessionStatus::Completed => Shown::Received {
            success_url: session.success_url.clone(),
        },
        SessionStatus::Underpaid => Shown::Underpaid {
            remaining: intl::money(tender_protocol::Money::from_minor(
                session
                    .amount_due
                    .minor()
                    .saturating_sub(session.amount_received.minor()),
                session.amount_due.currency(),
            )),
        },
        SessionStatus::Expired => Shown::Expired {
            cancel_url: session.cancel_url.clone(),
        },
    }
}

#[component]
pub fn StatusPanel(session: RwSignal<PublicSession>) -> impl IntoView {
    let state = Memo::new(move |_| session.with(shown));
    move || {
        match state.get() {
        Shown::Nothing => ().into_any(),
        Shown::Confirming { have, need } => view! {
            <section class="status status--processing" role="status" aria-live="polite">
                <h2>{t("status.detected")}</h2>
                <p data-testid="confirmations">{tf("status.confirmations", &[("have", &intl::number(have)), ("need", &intl::number(need))])}</p>
                <progress max=need.to_string() value=have.to_string()>{format!("{have} of {need}")}</progress>
            </section>
        }
        .into_any(),
        Shown::Received { success_url } => view! { <Redirecting url=success_url/> }.into_any(),
        Shown::Underpaid { remaining } => view! {
            <section class="status status--underpaid" role="status" aria-live="polite">
                <h2>{t("status.partly_paid")}</h2>
                <p data-testid="remaining">{tf("status.still_to_pay", &[("amount", &remaining)])}</p>
                <p>{t("status.send_rest")}</p>
            </section>
        }
        .into_any(),
        Shown::Expired { cancel_url } => view! {
            <section class="status status--expired" role="status" aria-live="polite">
                <h2>{t("status.expired")}</h2>
                <p>{t("status.nothing_due")}</p>
                {cancel_url.map(|href| view! { <a class="button" href=href>{t("status.back")}</a> })}
            </section>
        }
        .into_any(),
    }
    }
}

#[component]
fn Redirecting(url: String) -> impl IntoView {
    let left = RwSignal::new(REDIRECT_SECONDS);
    let target = url.clone();
    spawn_local(async move {
        while left.get_untracked() > 0 {
            sleep(Duration::from_secs(1)).await;
            left.update(|n| *n = n.saturating_sub(1));
        }
        tender_web::go_to(&target);
    });
    view! {
        <section class="status status--paid" role="status" aria-live="polite">
            <h2>{t("status.received")}</h2>
            <p>{move || tf("status.returning", &[("seconds", &intl::number(left.get().into()))])}</p>
            <a class="button" href=url>{t("status.return_now")}</a>
        </section>
    }
}
