//! Webhook signing secrets (owns `webhook_endpoint_secrets`): made when an
//! endpoint is added or its secret rolled (`endpoints`), shown to the
//! merchant once, stored sealed by the [`Vault`](crate::vault::Vault) and
//! opened only to sign.

use tender_protocol::{WebhookEndpointId, WebhookSecret};

use crate::clock::now_seconds;
use crate::db::{self, Conn, Db};
use crate::state::AppState;
use crate::vault::Vault;

/// A fresh secret for `endpoint`, stored sealed in the caller's transaction;
/// the caller shows it to the merchant once.
pub async fn add(
    state: &AppState,
    conn: &mut Conn,
    endpoint: &WebhookEndpointId,
) -> Result<WebhookSecret, sqlx::Error> {
    let secret = WebhookSecret::generate();
    sqlx::query(
        "INSERT INTO webhook_endpoint_secrets (endpoint_id, secret, created_at) VALUES ($1, $2, $3)",
    )
    .bind(endpoint.as_str())
    .bind(state.vault.seal(endpoint.as_str(), &secret.expose()))
    .bind(now_seconds())
    .execute(conn)
    .await?;
    Ok(secret)
}

/// The secrets a delivery to `endpoint` is signed with now: the current one
/// first, then any still in their grace period.
pub async fn signing(
    vault: &Vault,
    conn: &mut Conn,
    endpoint: &str,
) -> anyhow::Result<Vec<WebhookSecret>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT secret FROM webhook_endpoint_secrets
         WHERE endpoint_id = $1 AND (expires_at IS NULL OR expires_at > $2)
         ORDER BY id DESC",
    )
    .bind(endpoint)
    .bind(now_seconds())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|(stored,)| {
            let plain = vault.open(endpoint, stored)?;
            WebhookSecret::parse(&plain)
                .map_err(|e| anyhow::anyhow!("stored secret of {endpoint}: {e}"))
        })
        .collect()
}

/// Seals again under the current key every secret stored under a previous
/// one, and seals any stored in the clear by a gateway from before the
/// vault. Run at start-up, before anything signs; each row in its own
/// short write, so a crash part-way leaves every row readable.
pub async fn reseal_all(db: &Db, vault: &Vault) -> anyhow::Result<usize> {
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, endpoint_id, secret FROM webhook_endpoint_secrets")
            .fetch_all(db)
            .await?;
    let mut resealed = 0;
    for (id, endpoint, stored) in rows.into_iter().filter(|(_, _, s)| vault.is_stale(s)) {
        let plain = if stored.starts_with("whsec_") {
            stored.clone()
        } else {
            vault.open(&endpoint, &stored)?
        };
        let mut tx = db::begin_write(db).await?;
        sqlx::query(
            "UPDATE webhook_endpoint_secrets SET secret = $1 WHERE id = $2 AND secret = $3",
        )
        .bind(vault.seal(&endpoint, &plain))
        .bind(id)
        .bind(&stored)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        resealed += 1;
    }
    if resealed > 0 {
        tracing::info!(resealed, "webhook secrets sealed under the current key");
    }
    Ok(resealed)
}
