//! The commands that call the API: sessions, events, test events. Each
//! prints the gateway's answer as JSON.

use tender_client::Client;
use tender_protocol::{
    CreateSession, EventListParams, Metadata, ProductId, Redeliver, SessionId, SessionListParams,
    SessionStatus, TriggerEvent,
};

use crate::login::Login;

fn client(login: &Login) -> anyhow::Result<Client> {
    Ok(Client::new(&login.gateway, &login.api_key)?)
}

fn json(value: &impl serde::Serialize) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(value)?)
}

/// `tender sessions create`.
pub async fn create_session(
    login: &Login,
    product: &str,
    quantity: u32,
    success_url: &str,
) -> anyhow::Result<String> {
    let product = ProductId::parse(product)
        .map_err(|_| anyhow::anyhow!("{product:?} is not a product id (prod_…)"))?;
    let session = client(login)?
        .create_session(&CreateSession {
            product_id: Some(product),
            product_data: None,
            quantity,
            line_items: Vec::new(),
            metadata: Metadata::default(),
            success_url: success_url.to_owned(),
            cancel_url: None,
            expires_in_seconds: None,
            underpayment_tolerance: None,
            locale: None,
        })
        .await?;
    json(&session)
}

/// `tender sessions list`.
pub async fn list_sessions(
    login: &Login,
    limit: u32,
    status: Option<&str>,
) -> anyhow::Result<String> {
    let status = status
        .map(|s| SessionStatus::parse(s).ok_or_else(|| anyhow::anyhow!("no status {s:?}")))
        .transpose()?;
    let list = client(login)?
        .list_sessions(&SessionListParams {
            status,
            limit: Some(limit),
            ..SessionListParams::default()
        })
        .await?;
    json(&list)
}

/// `tender sessions get`.
pub async fn get_session(login: &Login, id: &str) -> anyhow::Result<String> {
    let id = SessionId::parse(id).map_err(|_| anyhow::anyhow!("{id:?} is not a session id"))?;
    json(&client(login)?.get_session(&id).await?)
}

/// `tender events list`.
pub async fn list_events(
    login: &Login,
    limit: u32,
    kind: Option<String>,
) -> anyhow::Result<String> {
    let list = client(login)?
        .list_events(&EventListParams {
            kind,
            limit: Some(limit),
            ..EventListParams::default()
        })
        .await?;
    json(&list)
}

/// `tender events resend`.
pub async fn resend_event(login: &Login, id: &str) -> anyhow::Result<String> {
    json(
        &client(login)?
            .redeliver_event(id, &Redeliver::default())
            .await?,
    )
}

/// `tender trigger`.
pub async fn trigger(login: &Login, kind: &str) -> anyhow::Result<String> {
    let event = client(login)?
        .trigger_event(&TriggerEvent {
            kind: kind.to_owned(),
        })
        .await?;
    json(&event)
}
