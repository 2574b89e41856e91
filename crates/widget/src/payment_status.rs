//! The success page's status: polls the order until its payment is
//! confirmed by a verified webhook, announcing each change.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use tender_protocol::{Order, OrderId, OrderStatus};
use tender_web::sleep;

use crate::api;
use crate::words::{self, t};

/// Delay before poll number `n` (0-based): 1 s, growing by half each time,
/// capped at 5 s.
pub fn poll_delay(n: u32) -> Duration {
    let mut ms: u64 = 1000;
    for _ in 0..n.min(10) {
        ms = ms * 3 / 2;
    }
    Duration::from_millis(ms.min(5000))
}

/// What the shopper is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    Confirming,
    Succeeded(Order),
    Expired,
    GaveUp,
    Missing,
}

impl View {
    fn of(order: Order) -> Self {
        match order.status {
            s if s.is_paid() => View::Succeeded(order),
            OrderStatus::Expired => View::Expired,
            _ => View::Confirming,
        }
    }

    fn is_final(&self) -> bool {
        !matches!(self, View::Confirming)
    }
}

/// Shows "Confirming your payment…" until the merchant's server has the
/// verified webhook, then "Payment successful". Stops polling on a final
/// state or after `max_polls`.
#[component]
pub fn PaymentStatus(
    #[prop(into)] endpoint: String,
    order_id: Option<OrderId>,
    #[prop(default = 120)] max_polls: u32,
) -> impl IntoView {
    words::spoken();
    let view_state = RwSignal::new(if order_id.is_some() {
        View::Confirming
    } else {
        View::Missing
    });
    if let Some(order_id) = order_id {
        spawn_local(async move {
            for n in 0..max_polls {
                if let Ok(order) = api::order(&endpoint, &order_id).await {
                    let next = View::of(order);
                    let done = next.is_final();
                    if view_state.get_untracked() != next {
                        view_state.set(next);
                    }
                    if done {
                        return;
                    }
                }
                sleep(poll_delay(n)).await;
            }
            view_state.set(View::GaveUp);
        });
    }
    let message = move || match view_state.get() {
        View::Confirming => ("confirming", t("status.confirming"), None),
        View::Succeeded(order) => (
            "succeeded",
            t("status.succeeded"),
            order.tx_hash.map(|h| h.to_string()),
        ),
        View::Expired => ("expired", t("status.expired"), None),
        View::GaveUp => ("slow", t("status.slow"), None),
        View::Missing => ("missing", t("status.missing"), None),
    };
    view! {
        <div class="tender-status" role="status" aria-live="polite" data-state=move || message().0>
            <p class="tender-status__message">{move || message().1}</p>
            {move || message().2.map(|hash| view! {
                <p class="tender-status__tx">{t("status.transaction")} <code>{hash}</code></p>
            })}
        </div>
    }
}
