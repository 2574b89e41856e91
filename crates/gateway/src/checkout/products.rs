//! The product library: what a merchant sells, priced in fiat or in a token.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use sqlx::FromRow;
use tender_protocol::{
    CreateProduct, Currency, ErrorBody, List, ListParams, Money, Product, ProductId,
};

use crate::clock::{from_seconds, now_seconds};
use crate::db::Db;
use crate::db::WriteOne;
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult};
use crate::merchants::auth::Merchant;
use crate::pagination::{self, ListQuery, Listed};
use crate::state::AppState;
use crate::validate;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/products", post(create).get(list))
        .route("/v1/products/{id}", get(show))
        .route("/v1/products/{id}/archive", post(archive))
}

const PRODUCT_COLUMNS: &str =
    "id, name, description, image_url, price_minor, currency, active, created_at";

#[derive(FromRow)]
struct ProductRow {
    id: String,
    name: String,
    description: Option<String>,
    image_url: Option<String>,
    price_minor: String,
    currency: String,
    // An integer in every database (0 or 1), for one schema across backends.
    active: i64,
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
            price: Money::from_minor(self.price_minor.parse()?, currency),
            active: self.active != 0,
            created_at: from_seconds(self.created_at),
        })
    }
}

/// Add a product to the library. `id` may be chosen (`prod_tshirt`).
#[utoipa::path(post, path = "/v1/products", tag = "Products", request_body = CreateProduct,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 201, body = Product), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn create(
    State(state): State<AppState>,
    merchant: Merchant,
    ApiJson(body): ApiJson<CreateProduct>,
) -> ApiResult<(StatusCode, ApiJson<Product>)> {
    validate::name("name", &body.name)?;
    validate::optional_text("description", body.description.as_deref())?;
    validate::optional_url("imageUrl", body.image_url.as_deref())?;
    validate::price(&state.config, "price", body.price)?;
    let id = body.id.unwrap_or_else(ProductId::generate);
    let inserted = sqlx::query(
        "INSERT INTO products (id, merchant_id, name, description, image_url, price_minor, currency, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id.as_str())
    .bind(merchant.id.as_str())
    .bind(&body.name)
    .bind(&body.description)
    .bind(&body.image_url)
    .bind(body.price.minor().to_string())
    .bind(body.price.currency().code())
    .bind(now_seconds())
    .write(&state.db)
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

/// List the library's active products, newest first.
#[utoipa::path(get, path = "/v1/products", tag = "Products", params(ListParams),
    responses((status = 200, body = List<Product>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn list(
    State(state): State<AppState>,
    merchant: Merchant,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<ApiJson<List<Product>>> {
    let query = ListQuery::new(Listed::Products, PRODUCT_COLUMNS);
    pagination::answer(
        &state.db,
        &merchant.id,
        &query,
        &params,
        ProductRow::into_product,
    )
    .await
}

/// Retrieve a product.
#[utoipa::path(get, path = "/v1/products/{id}", tag = "Products",
    params(("id" = String, Path, description = "Product id (prod_...)")),
    responses((status = 200, body = Product), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn show(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Product>> {
    let id = ProductId::parse(&id).map_err(|_| ApiError::NotFound("product"))?;
    Ok(ApiJson(find(&state.db, &merchant, &id).await?))
}

/// Archive a product: it leaves the list and new sessions cannot use it;
/// existing sessions keep their line items.
#[utoipa::path(post, path = "/v1/products/{id}/archive", tag = "Products",
    params(("id" = String, Path, description = "Product id (prod_...)")),
    responses((status = 200, body = Product), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn archive(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Product>> {
    let id = ProductId::parse(&id).map_err(|_| ApiError::NotFound("product"))?;
    let changed = sqlx::query("UPDATE products SET active = 0 WHERE id = $1 AND merchant_id = $2")
        .bind(id.as_str())
        .bind(merchant.id.as_str())
        .write(&state.db)
        .await?
        .rows_affected();
    if changed == 0 {
        return Err(ApiError::NotFound("product"));
    }
    Ok(ApiJson(find(&state.db, &merchant, &id).await?))
}

/// A product of this merchant's library.
pub async fn find(db: &Db, merchant: &Merchant, id: &ProductId) -> ApiResult<Product> {
    let row: Option<ProductRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {PRODUCT_COLUMNS} FROM products WHERE id = $1 AND merchant_id = $2"
    )))
    .bind(id.as_str())
    .bind(merchant.id.as_str())
    .fetch_optional(db)
    .await?;
    Ok(row.ok_or(ApiError::NotFound("product"))?.into_product()?)
}
