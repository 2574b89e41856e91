//! What a new session sells: one product with its quantity, or a cart of up
//! to [`MAX_LINE_ITEMS`] items, each a product of the library or one
//! described inline. Every item is priced in one currency, which some price
//! source has rates in; the total is at most the largest amount. A bad item
//! is named by its place (`lineItems[2].quantity`).

use tender_protocol::{CartItem, CreateSession, LineItem, MAX_LINE_ITEMS, Money};

use crate::checkout::products;
use crate::error::{ApiError, ApiResult};
use crate::merchants::auth::Merchant;
use crate::state::AppState;
use crate::validate;

// The most of one item a session may sell, as the schema states it.
pub use tender_protocol::limits::MAX_QUANTITY;

/// A session's items and what they come to.
pub struct Cart {
    pub items: Vec<LineItem>,
    pub total: Money,
}

/// The cart `body` asks for, or a 400 naming what is wrong.
pub async fn of(state: &AppState, merchant: &Merchant, body: &CreateSession) -> ApiResult<Cart> {
    let items = if body.line_items.is_empty() {
        let single = CartItem {
            product_id: body.product_id.clone(),
            product_data: body.product_data.clone(),
            quantity: body.quantity,
        };
        vec![item(state, merchant, &single).await?]
    } else {
        if body.product_id.is_some() || body.product_data.is_some() {
            return Err(ApiError::invalid(
                "lineItems",
                "give lineItems or productId/productData, not both",
            ));
        }
        if body.quantity != 1 {
            return Err(ApiError::invalid(
                "quantity",
                "with lineItems, each item has its own quantity",
            ));
        }
        if body.line_items.len() > MAX_LINE_ITEMS {
            return Err(ApiError::invalid(
                "lineItems",
                format!("a session holds at most {MAX_LINE_ITEMS} line items"),
            ));
        }
        let mut items = Vec::with_capacity(body.line_items.len());
        for (i, asked) in body.line_items.iter().enumerate() {
            let place = format!("lineItems[{i}]");
            items.push(
                item(state, merchant, asked)
                    .await
                    .map_err(|e| e.within(&place))?,
            );
        }
        items
    };
    let currency = items[0].amount.currency();
    let mut total = Money::from_minor(0, currency);
    for (i, item) in items.iter().enumerate() {
        if item.amount.currency() != currency {
            let param = if body.line_items[i].product_id.is_some() {
                "productId"
            } else {
                "productData.price.currency"
            };
            return Err(ApiError::invalid(
                param,
                format!(
                    "every item must be priced in one currency: this one is in {}, lineItems[0] in {currency}",
                    item.amount.currency()
                ),
            )
            .within(&format!("lineItems[{i}]")));
        }
        total = Money::from_minor(
            total
                .minor()
                .checked_add(item.amount.minor())
                .ok_or_else(|| ApiError::invalid("lineItems", "the total is too large"))?,
            currency,
        );
    }
    if body.line_items.len() > 1 {
        validate::at_most_the_largest("lineItems", total).map_err(|_| {
            ApiError::invalid("lineItems", format!("the total, {total}, is too large"))
        })?;
    }
    if currency.is_fiat() && !state.rates.prices_in(currency, state.config.tokens()).await {
        let param = match (&body.product_id, body.line_items.is_empty()) {
            (Some(_), true) => "productId",
            (None, true) => "productData.price.currency",
            (_, false) => "lineItems",
        };
        return Err(ApiError::invalid(
            param,
            format!(
                "prices in {currency} cannot be converted: no price source has a rate in {currency}"
            ),
        ));
    }
    Ok(Cart { items, total })
}

/// One item, its product found or described, with its amount.
async fn item(state: &AppState, merchant: &Merchant, asked: &CartItem) -> ApiResult<LineItem> {
    if !(1..=MAX_QUANTITY).contains(&asked.quantity) {
        return Err(ApiError::invalid(
            "quantity",
            format!("quantity must be between 1 and {MAX_QUANTITY}"),
        ));
    }
    let (product_id, name, description, image_url, unit_price) =
        match (&asked.product_id, &asked.product_data) {
            (Some(id), None) => {
                let product =
                    products::find(&state.db, merchant, id)
                        .await
                        .map_err(|e| match e {
                            ApiError::NotFound(_) => {
                                ApiError::invalid("productId", format!("no such product: {id}"))
                            }
                            other => other,
                        })?;
                if !product.active {
                    return Err(ApiError::invalid(
                        "productId",
                        format!("product {id} is archived"),
                    ));
                }
                (
                    Some(product.id),
                    product.name,
                    product.description,
                    product.image_url,
                    product.price,
                )
            }
            (None, Some(data)) => {
                validate::name("productData.name", &data.name)?;
                validate::optional_text("productData.description", data.description.as_deref())?;
                validate::optional_url("productData.imageUrl", data.image_url.as_deref())?;
                validate::price(&state.config, "productData.price", data.price)?;
                (
                    None,
                    data.name.clone(),
                    data.description.clone(),
                    data.image_url.clone(),
                    data.price,
                )
            }
            _ => {
                return Err(ApiError::invalid(
                    "productId",
                    "give exactly one of productId and productData",
                ));
            }
        };
    let amount = unit_price
        .checked_mul(u64::from(asked.quantity))
        .ok_or_else(|| ApiError::invalid("quantity", "the total is too large"))?;
    validate::at_most_the_largest("quantity", amount)
        .map_err(|_| ApiError::invalid("quantity", format!("the total, {amount}, is too large")))?;
    Ok(LineItem {
        product_id,
        name,
        description,
        image_url,
        quantity: asked.quantity,
        unit_price,
        amount,
    })
}
