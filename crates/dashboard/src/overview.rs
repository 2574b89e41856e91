//! The first page: volume today and this week by currency, sessions by
//! status, payouts pending and the webhook endpoints in trouble.

use leptos::prelude::*;
use leptos::task::spawn_local;
use tender_protocol::{EndpointStatus, Money, Overview};

use crate::api;
use crate::format::{local_midnight, money};

async fn load() -> Result<Overview, String> {
    // The reader's own midnight, and the one six days before it.
    let path = format!(
        "/v1/overview?dayStart={}&weekStart={}",
        local_midnight(0),
        local_midnight(6)
    );
    api::read(&path).await
}

fn amounts(list: &[Money]) -> String {
    if list.is_empty() {
        return "none yet".to_owned();
    }
    list.iter().map(money).collect::<Vec<_>>().join(" · ")
}

#[component]
pub fn OverviewPage(
    #[prop(into)] changed: Signal<u64>,
    to_webhooks: Callback<()>,
) -> impl IntoView {
    let loaded = RwSignal::new(None::<Result<Overview, String>>);
    Effect::new(move |_| {
        changed.track();
        spawn_local(async move { loaded.set(Some(load().await)) });
    });
    view! {
        <section aria-labelledby="overview-title">
            <h1 id="overview-title">"Overview"</h1>
            {move || match loaded.get() {
                None => view! { <p class="loading" aria-busy="true">"Loading the figures…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Some(Ok(overview)) => view! { <Figures overview to_webhooks/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Figures(overview: Overview, to_webhooks: Callback<()>) -> impl IntoView {
    let statuses = overview
        .sessions_by_status
        .iter()
        .map(|s| {
            view! {
                <li><span class=format!("badge badge--{}", s.status.as_str())>{s.status.as_str()}</span>" "{s.count}</li>
            }
        })
        .collect_view();
    let failing = if overview.endpoints_failing.is_empty() {
        view! { <p class="ok">"Every webhook endpoint is delivering."</p> }.into_any()
    } else {
        let rows = overview
            .endpoints_failing
            .iter()
            .map(|e| {
                let why = match e.status {
                    EndpointStatus::Disabled => "disabled".to_owned(),
                    EndpointStatus::Enabled if e.retrying > 0 => {
                        format!("{} deliveries being retried", e.retrying)
                    }
                    EndpointStatus::Enabled => "its latest delivery failed".to_owned(),
                };
                view! { <li><span class="id">{e.url.clone()}</span>" — "{why}</li> }
            })
            .collect_view();
        view! {
            <ul class="failing">{rows}</ul>
            <button type="button" class="secondary" on:click=move |_| to_webhooks.run(())>"Open webhooks"</button>
        }
        .into_any()
    };
    view! {
        <div class="figures">
            <article class="figure">
                <h2>"Paid today"</h2>
                <p class="big" data-testid="volume-today">{amounts(&overview.volume_today)}</p>
            </article>
            <article class="figure">
                <h2>"Paid in the last 7 days"</h2>
                <p class="big" data-testid="volume-week">{amounts(&overview.volume_this_week)}</p>
            </article>
            <article class="figure">
                <h2>"Payouts pending"</h2>
                <p class="big">{amounts(&overview.payouts_pending)}</p>
                <p class="muted">{match overview.payouts_pending_count {
                    0 => "No paid session is waiting for its payout".to_owned(),
                    1 => "1 paid session waiting for its payout".to_owned(),
                    n => format!("{n} paid sessions waiting for their payout"),
                }}</p>
            </article>
        </div>
        <h2>"Sessions by status"</h2>
        <ul class="statuses">{statuses}</ul>
        <h2>"Webhook endpoints failing"</h2>
        {failing}
    }
}
