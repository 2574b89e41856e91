//! Merchant accounts (owns `merchants`): created by the operator's
//! `tender-gateway create-merchant`, each with a first API key.

use tender_protocol::{MerchantId, Scope};

use crate::clock::now_seconds;
use crate::db::Db;
use crate::merchants::api_keys;

/// A newly created merchant and its first key (the only time the key is seen).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewMerchant {
    pub merchant_id: MerchantId,
    pub api_key: String,
}

/// Creates a merchant account with one API key.
pub async fn create(db: &Db, name: &str) -> Result<NewMerchant, sqlx::Error> {
    let merchant_id = MerchantId::generate();
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
    tx.commit().await?;
    Ok(NewMerchant {
        merchant_id,
        api_key: key.secret.expect("a new key has its secret"),
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
