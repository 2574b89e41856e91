//! `GET /api/products`: the shop's catalogue, from the gateway's library.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use tender_protocol::{List, Product};

use crate::error::ShopError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/products", get(list))
}

async fn list(State(state): State<AppState>) -> Result<Json<List<Product>>, ShopError> {
    Ok(Json(
        state
            .gateway
            .list_products(&tender_protocol::ListParams::default())
            .await?,
    ))
}
