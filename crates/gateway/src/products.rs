//! The product library: what a merchant sells, priced in fiat.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Router, routing::post};
use sqlx::FromRow;
use tender_protocol::{CreateProduct, Currency, List, Money, Product, ProductId};

use crate::clock::{from_seconds, now_seconds};
use crate::db::Db;
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::merchants::Merchant;
use crate::state::AppState;
use crate::validate;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/products", post(create).get(list))
        .route("/v1/products/{id}", get(show))
}

#[derive(FromRow)]
struct ProductRow {
    id: String,
    name: String,
    description: Option<String>,
    image_url: Option<String>,
    price_minor: i64,
    currency: String,
    active: bool,
    created_at: i64,
}

impl ProductRow {
    fn into_product(self) -> anyhow::Result<Product> {
        let currency: Currency = self.currency.parse()?;
        Ok(Product {
            id: ProductId::parse(&self.id)?,
            name: self.name,
            description: self.description,
            image_url: self.image_url,
            price: Money::from_minor(u64::try_from(self.price_minor)?, currency),
            active: self.active,
            created_at: from_seconds(self.created_at),
        })
    }
}

async fn create(
    State(state): State<AppState>,
    merchant: Merchant,
    ApiJson(body): ApiJson<CreateProduct>,
) -> ApiResult<(StatusCode, ApiJson<Product>)> {
    validate::name("name", &body.name)?;
    validate::optional_text("description", body.description.as_deref())?;
    validate::optional_url("imageUrl", body.image_url.as_deref())?;
    validate::positive_price("price", body.price)?;
    let id = body.id.unwrap_or_else(ProductId::generate);
    let price_minor = i64::try_from(body.price.minor())
        .map_err(|_| ApiError::invalid("price", "price is too large"))?;
    let inserted = sqlx::query(
        "INSERT INTO products (id, merchant_id, name, description, image_url, price_minor, currency, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id.as_str())
    .bind(merchant.id.as_str())
    .bind(&body.name)
    .bind(&body.description)
    .bind(&body.image_url)
    .bind(price_minor)
    .bind(body.price.currency().code())
    .bind(now_seconds())
    .execute(&state.db)
    .await;
    match inserted {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(ApiError::Conflict(format!(
                "a product with id {id} already exists"
            )));
        }
        other => other?,
    };
    let product = find(&state.db, &merchant, &id).await?;
    Ok((StatusCode::CREATED, ApiJson(product)))
}

async fn list(
    State(state): State<AppState>,
    merchant: Merchant,
) -> ApiResult<ApiJson<List<Product>>> {
    let rows: Vec<ProductRow> = sqlx::query_as(
        "SELECT id, name, description, image_url, price_minor, currency, active, created_at
         FROM products WHERE merchant_id = $1 AND active = 1 ORDER BY created_at, id LIMIT 100",
    )
    .bind(merchant.id.as_str())
    .fetch_all(&state.db)
    .await?;
    let data = rows
        .into_iter()
        .map(ProductRow::into_product)
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(ApiJson(List {
        data,
        has_more: false,
    }))
}

async fn show(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Product>> {
    let id = ProductId::parse(&id).map_err(|_| ApiError::NotFound("product"))?;
    Ok(ApiJson(find(&state.db, &merchant, &id).await?))
}

/// A product of this merchant's library.
pub async fn find(db: &Db, merchant: &Merchant, id: &ProductId) -> ApiResult<Product> {
    let row: Option<ProductRow> = sqlx::query_as(
        "SELECT id, name, description, image_url, price_minor, currency, active, created_at
         FROM products WHERE id = $1 AND merchant_id = $2",
    )
    .bind(id.as_str())
    .bind(merchant.id.as_str())
    .fetch_optional(db)
    .await?;
    Ok(row.ok_or(ApiError::NotFound("product"))?.into_product()?)
}
