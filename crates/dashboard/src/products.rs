//! The merchant's product library: products with their price, created and
//! archived (an archived product can no longer be sold).

use leptos::prelude::*;
use leptos::task::spawn_local;
use tender_protocol::{CreateProduct, Currency, List, Money, Product};

use crate::api::{self, SignedIn};
use crate::format::{local_time, money};

/// What the form holds, checked into a request.
fn request(
    name: &str,
    price: &str,
    currency: &str,
    description: &str,
) -> Result<CreateProduct, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("Give the product a name.".to_owned());
    }
    let currency: Currency = currency
        .parse()
        .map_err(|_| format!("{currency} is not a currency Tender prices in."))?;
    let price = Money::parse(price.trim(), currency).map_err(|_| {
        format!(
            "The price must be an amount like 12.50, with at most {} decimals.",
            currency.decimals()
        )
    })?;
    let description = description.trim();
    Ok(CreateProduct {
        id: None,
        name: name.to_owned(),
        description: (!description.is_empty()).then(|| description.to_owned()),
        image_url: None,
        price,
    })
}

#[component]
pub fn Products(me: SignedIn) -> impl IntoView {
    let listed = RwSignal::new(None::<Result<Vec<Product>, String>>);
    let reload = move || {
        spawn_local(async move {
            let page = api::read::<List<Product>>("/v1/products?limit=100").await;
            listed.set(Some(page.map(|p| p.data)));
        });
    };
    reload();
    let status = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let price = RwSignal::new(String::new());
    let currency = RwSignal::new("USD".to_owned());
    let description = RwSignal::new(String::new());
    let create = {
        let me = me.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let me = me.clone();
            let product = match request(
                &name.get_untracked(),
                &price.get_untracked(),
                &currency.get_untracked(),
                &description.get_untracked(),
            ) {
                Ok(product) => product,
                Err(message) => {
                    status.set(message);
                    return;
                }
            };
            status.set("Creating the product…".to_owned());
            spawn_local(async move {
                match api::change::<Product>(&me, "POST", "/v1/products", &product).await {
                    Ok(created) => {
                        status.set(format!("Product {} created ({})", created.name, created.id));
                        name.set(String::new());
                        price.set(String::new());
                        description.set(String::new());
                        reload();
                    }
                    Err(message) => status.set(message),
                }
            });
        }
    };
    let archive = Callback::new(move |product: Product| {
        let me = me.clone();
        spawn_local(async move {
            let path = format!("/v1/products/{}/archive", product.id);
            match api::change::<Product>(&me, "POST", &path, &api::Nothing {}).await {
                Ok(_) => {
                    status.set(format!("Product {} archived", product.name));
                    reload();
                }
                Err(message) => status.set(message),
            }
        });
    });
    view! {
        <section aria-labelledby="products-title">
            <h1 id="products-title">"Products"</h1>
            <form class="new-product" on:submit=create>
                <label for="product-name">"Name"</label>
                <input id="product-name" required maxlength="200"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                <div class="price">
                    <label for="product-price">"Price"
                        <input id="product-price" required inputmode="decimal" placeholder="12.50"
                            prop:value=move || price.get() on:input=move |ev| price.set(event_target_value(&ev))/>
                    </label>
                    <label for="product-currency">"Currency"
                        <select id="product-currency" on:change=move |ev| currency.set(event_target_value(&ev))>
                            {tender_protocol::money::FIAT
                                .iter()
                                .map(|(_, code, _)| view! { <option value=*code>{*code}</option> })
                                .collect_view()}
                        </select>
                    </label>
                </div>
                <label for="product-description">"Description (optional)"</label>
                <input id="product-description" maxlength="500"
                    prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev))/>
                <button type="submit">"Create product"</button>
            </form>
            <p class="status" aria-live="polite">{move || status.get()}</p>
            {move || match listed.get() {
                None => view! { <p class="loading" aria-busy="true">"Loading products…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Some(Ok(products)) if products.is_empty() => view! {
                    <p class="empty">"No products yet. Create one above, then sell it with a Pay button (data-product-id) or the API (productId)."</p>
                }.into_any(),
                Some(Ok(products)) => view! { <ProductTable products archive/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn ProductTable(products: Vec<Product>, archive: Callback<Product>) -> impl IntoView {
    view! {
        <table class="products">
            <thead><tr>
                <th scope="col">"Product"</th><th scope="col">"Price"</th>
                <th scope="col">"Created"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
            </tr></thead>
            <tbody>
                {products.into_iter().map(|product| {
                    let label = format!("Archive {}", product.name);
                    let target = product.clone();
                    view! {
                        <tr>
                            <td><strong>{product.name.clone()}</strong><br/><span class="id">{product.id.to_string()}</span></td>
                            <td>{money(&product.price)}</td>
                            <td>{local_time(&product.created_at)}</td>
                            <td><button type="button" class="secondary" aria-label=label
                                on:click=move |_| archive.run(target.clone())>"Archive"</button></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
