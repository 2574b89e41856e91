//! Payment links: sell a product of the library with a URL to share, no
//! server needed. Make one (the product, whether the visitor chooses the
//! quantity, where they land once paid), see each link's URL, and turn a
//! link off or on again.

use leptos::prelude::*;
use leptos::task::spawn_local;
use tender_protocol::{CreatePaymentLink, List, PaymentLink, Product, ProductId};

use crate::api::{self, SignedIn};
use crate::format::{local_time, money};

/// What the form holds, checked into a request.
fn request(
    product: &str,
    adjustable: bool,
    success_url: &str,
) -> Result<CreatePaymentLink, String> {
    let product_id =
        ProductId::parse(product).map_err(|_| "Choose a product to sell.".to_owned())?;
    let success_url = success_url.trim();
    if !(success_url.starts_with("https://") || success_url.starts_with("http://")) {
        return Err("Give the page shoppers land on once paid, as an http(s) URL.".to_owned());
    }
    Ok(CreatePaymentLink {
        product_id: Some(product_id),
        product_data: None,
        quantity: 1,
        line_items: Vec::new(),
        adjustable_quantity: adjustable,
        max_quantity: None,
        metadata: Default::default(),
        success_url: success_url.to_owned(),
    })
}

#[component]
pub fn Links(me: SignedIn) -> impl IntoView {
    let links = RwSignal::new(None::<Result<Vec<PaymentLink>, String>>);
    let products = RwSignal::new(Vec::<Product>::new());
    let reload = move || {
        spawn_local(async move {
            let page = api::read::<List<PaymentLink>>("/v1/payment-links?limit=100").await;
            links.set(Some(page.map(|p| p.data)));
        });
    };
    reload();
    spawn_local(async move {
        if let Ok(page) = api::read::<List<Product>>("/v1/products?limit=100").await {
            products.set(page.data);
        }
    });
    let status = RwSignal::new(String::new());
    let product = RwSignal::new(String::new());
    let adjustable = RwSignal::new(false);
    let success_url = RwSignal::new(String::new());
    let create = {
        let me = me.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let me = me.clone();
            let body = match request(
                &product.get_untracked(),
                adjustable.get_untracked(),
                &success_url.get_untracked(),
            ) {
                Ok(body) => body,
                Err(message) => {
                    status.set(message);
                    return;
                }
            };
            status.set("Making the link…".to_owned());
            spawn_local(async move {
                match api::change::<PaymentLink>(&me, "POST", "/v1/payment-links", &body).await {
                    Ok(made) => {
                        status.set(format!("Payment link made: {}", made.url));
                        reload();
                    }
                    Err(message) => status.set(message),
                }
            });
        }
    };
    let switch = Callback::new(move |link: PaymentLink| {
        let me = me.clone();
        spawn_local(async move {
            let action = if link.active {
                "deactivate"
            } else {
                "activate"
            };
            let path = format!("/v1/payment-links/{}/{action}", link.id);
            match api::change::<PaymentLink>(&me, "POST", &path, &api::Nothing {}).await {
                Ok(changed) => {
                    let now = if changed.active { "on" } else { "off" };
                    status.set(format!("Payment link {} is {now}", changed.id));
                    reload();
                }
                Err(message) => status.set(message),
            }
        });
    });
    view! {
        <section aria-labelledby="links-title">
            <h1 id="links-title">"Payment links"</h1>
            <p>"A link sells a product without a server of yours: share its URL, and each visit opens a checkout."</p>
            <form class="new-link" on:submit=create>
                <label for="link-product">"Product"</label>
                <select id="link-product" on:change=move |ev| product.set(event_target_value(&ev))>
                    <option value="">"Choose a product"</option>
                    {move || products.get().into_iter().map(|p| {
                        let label = format!("{} ({})", p.name, money(&p.price));
                        view! { <option value=p.id.to_string()>{label}</option> }
                    }).collect_view()}
                </select>
                <label class="check"><input type="checkbox" id="link-adjustable"
                    prop:checked=move || adjustable.get()
                    on:change=move |ev| adjustable.set(event_target_checked(&ev))/>
                    "Let the shopper choose the quantity"</label>
                <label for="link-success">"After paying, send shoppers to"</label>
                <input id="link-success" type="url" required placeholder="https://shop.example/thanks"
                    prop:value=move || success_url.get() on:input=move |ev| success_url.set(event_target_value(&ev))/>
                <button type="submit">"Make payment link"</button>
            </form>
            <p class="status" aria-live="polite" data-testid="links-status">{move || status.get()}</p>
            {move || match links.get() {
                None => view! { <p class="loading" aria-busy="true">"Loading payment links…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! {
                    <p class="empty">"No payment links yet."</p>
                }.into_any(),
                Some(Ok(list)) => view! { <LinkTable list switch/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn LinkTable(list: Vec<PaymentLink>, switch: Callback<PaymentLink>) -> impl IntoView {
    view! {
        <table class="links">
            <thead><tr>
                <th scope="col">"Sells"</th><th scope="col">"URL"</th><th scope="col">"Status"</th>
                <th scope="col">"Created"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
            </tr></thead>
            <tbody>
                {list.into_iter().map(|link| {
                    let sells = link.line_items.iter().map(|i| format!("{} × {}", i.quantity, i.name)).collect::<Vec<_>>().join(", ");
                    let (action, state) = if link.active { ("Deactivate", "Active") } else { ("Activate", "Off") };
                    let label = format!("{action} {}", link.id);
                    let target = link.clone();
                    view! {
                        <tr>
                            <td>{sells}<br/>{money(&link.amount)}</td>
                            <td><a href=link.url.clone() target="_blank" rel="noopener">{link.url.clone()}</a></td>
                            <td>{state}</td>
                            <td>{local_time(&link.created_at)}</td>
                            <td><button type="button" class="secondary" aria-label=label
                                on:click=move |_| switch.run(target.clone())>{action}</button></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
