//! What the shopper is buying: line items and the total. Never metadata
//! (the public API does not carry it).

use leptos::prelude::*;
use tender_protocol::PublicSession;
use tender_web::i18n::{t, tf};
use tender_web::intl;

#[component]
pub fn OrderSummary(session: PublicSession) -> impl IntoView {
    let items = session
        .line_items
        .iter()
        .map(|item| {
            view! {
                <li class="line-item">
                    {item.image_url.clone().map(|src| view! { <img class="line-item__image" src=src alt="" width="56" height="56"/> })}
                    <div class="line-item__text">
                        <p class="line-item__name">{item.name.clone()}</p>
                        {item.description.clone().map(|d| view! { <p class="line-item__description">{d}</p> })}
                        <p class="line-item__quantity">{tf("summary.quantity", &[("quantity", &intl::number(item.quantity.into())), ("price", &intl::money(item.unit_price))])}</p>
                    </div>
                    <p class="line-item__amount">{intl::money(item.amount)}</p>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="summary" aria-labelledby="summary-title">
            <h2 id="summary-title">{t("summary.title")}</h2>
            <ul class="line-items">{items}</ul>
            <p class="summary__total">
                <span>{t("summary.total")}</span>
                <strong data-testid="total">{intl::money(session.amount_due)}</strong>
            </p>
        </section>
    }
}
