//! Webhook signing secrets (owns `webhook_endpoint_secrets`): made when an
//! endpoint is added or its secret rolled, shown to the merchant once,
//! stored sealed by the [`Vault`](crate::vault::Vault) and opened only to
//! sign. Rotating keeps the old secret signing too for a grace period, so
//! receivers can switch without missing a delivery.

use axum::body::Bytes;
use axum::extract::{Path, State};
use tender_protocol::{ErrorBody, RotateSecret, WebhookEndpoint, WebhookEndpointId, WebhookSecret};

use crate::clock::now_seconds;
use crate::db::{self, Conn, Db};
use crate::error::{ApiError, ApiJson, ApiResult, optional_json};
use crate::merchants::auth::Merchant;
use crate::state::AppState;
use crate::vault::Vault;
use crate::webhooks::endpoints::{find, parse_id};

/// Default time an old secret keeps signing after a rotation.
pub const DEFAULT_GRACE_SECONDS: u32 = 24 * 3600;
const MAX_GRACE_SECONDS: u32 = 7 * 24 * 3600;

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

/// Roll the signing secret. The new one is in this answer only; the old one
/// keeps signing too (each delivery carries both signatures) for
/// `graceSeconds` (default 24 hours).
#[utoipa::path(post, path = "/v1/webhook-endpoints/{id}/rotate-secret", tag = "Webhook endpoints",
    params(("id" = String, Path, description = "Endpoint id (we_...)")),
    request_body = RotateSecret,
    responses((status = 200, body = WebhookEndpoint), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<ApiJson<WebhookEndpoint>> {
    // The body is optional: no body rotates with the default grace period.
    let request: RotateSecret = optional_json(&body)?;
    let grace = request.grace_seconds.unwrap_or(DEFAULT_GRACE_SECONDS);
    if grace > MAX_GRACE_SECONDS {
        return Err(ApiError::invalid(
            "graceSeconds",
            format!("graceSeconds must be at most {MAX_GRACE_SECONDS} (7 days)"),
        ));
    }
    let id = parse_id(&id)?;
    let mut endpoint = find(&state, &merchant, &id).await?;
    let mut tx = db::begin_write(&state.db).await?;
    sqlx::query(
        "UPDATE webhook_endpoint_secrets SET expires_at = $1 WHERE endpoint_id = $2 AND expires_at IS NULL",
    )
    .bind(now_seconds() + i64::from(grace))
    .bind(id.as_str())
    .execute(&mut *tx)
    .await?;
    let secret = add(&state, &mut tx, &id).await?;
    tx.commit().await?;
    tracing::info!(endpoint = %id, grace, "webhook secret rotated");
    endpoint.secret = Some(secret.expose());
    Ok(ApiJson(endpoint))
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
