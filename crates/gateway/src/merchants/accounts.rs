//! Merchant accounts (owns `merchants`): created by the operator's
//! `tender-gateway create-merchant`, each with a first API key and a first
//! dashboard user.

use tender_protocol::{MerchantId, Scope};

use tender_protocol::ids::random_token;

use crate::clock::now_seconds;
use crate::dashboard::users;
use crate::db::Db;
use crate::error::ApiError;
use crate::merchants::api_keys;

/// A newly created merchant, its first key and its first dashboard user's
/// password (the only time either is seen).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewMerchant {
    pub merchant_id: MerchantId,
    pub api_key: String,
    pub dashboard_email: String,
    pub dashboard_password: String,
}

/// Creates a merchant account with one API key and one dashboard user,
/// `email` (by default `owner@{merchant id}.invalid`, lowercased) with a
/// generated password.
pub async fn create(db: &Db, name: &str, email: Option<&str>) -> Result<NewMerchant, ApiError> {
    let merchant_id = MerchantId::generate();
    let email = users::check_email(&email.map_or_else(
        || format!("owner@{}.invalid", merchant_id.as_str().replace('_', "-")),
        str::to_owned,
    ))?;
    let password = random_token(20);
    let mut tx = crate::db::begin_write(db).await?;
    sqlx::query("INSERT INTO merchants (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(merchant_id.as_str())
        .bind(name)
        .bind(now_seconds())
        .execute(&mut *tx)
        .await?;
    let key = api_keys::create_key(
        &mut tx,
        api_keys::NewKey {
            merchant: &merchant_id,
            scopes: &[Scope::All],
            parent: None,
        },
    )
    .await?;
    users::create(&mut tx, &merchant_id, &email, &password).await?;
    tx.commit().await?;
    Ok(NewMerchant {
        merchant_id,
        api_key: key.secret.expect("a new key has its secret"),
        dashboard_email: email,
        dashboard_password: password,
    })
}

/// The merchant's display name, shown to shoppers on the cashier.
pub async fn name(db: &Db, id: &MerchantId) -> Result<String, sqlx::Error> {
    let (name,): (String,) = sqlx::query_as("SELECT name FROM merchants WHERE id = $1")
        .bind(id.as_str())
        .fetch_one(db)
        .await?;
    Ok(name)
}
