//! Real data for schemathesis: before the run, one of each thing the API
//! names by id is made through the API itself (a product, a session and
//! its event, a payment link, webhook endpoints, an API key), and each
//! operation that takes an id is given a real one in the run's
//! `schemathesis.toml`, so every phase reaches the operation's logic
//! instead of its 404. An operation that destroys its subject (deleting an
//! endpoint, revoking a key) gets a subject of its own.

use std::fmt::Write;

use anyhow::Context;
use tender_client::Client;
use tender_protocol::{
    CreateApiKey, CreatePaymentLink, CreateProduct, CreateSession, CreateWebhookEndpoint,
    EventListParams, Money,
};

/// The ids made, by the operations (`operationId`) that take them.
pub struct Fixtures {
    by_operation: Vec<(&'static str, &'static str, String)>,
}

async fn make(url: &str, key: &str) -> anyhow::Result<Fixtures> {
    let client = Client::new(url, key)?;
    let product = client
        .create_product(&CreateProduct {
            id: None,
            name: "Schemathesis mug".into(),
            description: None,
            image_url: None,
            price: Money::parse("12.00", "USD".parse()?)?,
        })
        .await
        .context("product")?;
    let session = CreateSession {
        product_id: Some(product.id.clone()),
        product_data: None,
        quantity: 1,
        line_items: Vec::new(),
        metadata: Default::default(),
        success_url: "https://shop.example/ok".into(),
        cancel_url: None,
        expires_in_seconds: None,
        underpayment_tolerance: None,
        locale: None,
    };
    let open = client.create_session(&session).await.context("session")?;
    // Expired by the run, so kept apart from the one the others use.
    let to_expire = client.create_session(&session).await.context("session")?;
    let link = client
        .create_payment_link(&CreatePaymentLink {
            product_id: Some(product.id.clone()),
            product_data: None,
            quantity: 1,
            line_items: Vec::new(),
            adjustable_quantity: false,
            max_quantity: None,
            metadata: Default::default(),
            success_url: "https://shop.example/ok".into(),
        })
        .await
        .context("payment link")?;
    let endpoint = |n: u32| CreateWebhookEndpoint {
        // Nothing listens there: deliveries fail at once, on this machine.
        url: format!("http://127.0.0.1:9/webhooks/{n}"),
        enabled_events: vec!["*".into()],
    };
    let kept = client
        .create_webhook_endpoint(&endpoint(1))
        .await
        .context("endpoint")?;
    let removed = client
        .create_webhook_endpoint(&endpoint(2))
        .await
        .context("endpoint")?;
    let revoked = client
        .create_api_key(&CreateApiKey { scopes: None })
        .await
        .context("API key")?;
    let event = client
        .list_events(&EventListParams::default())
        .await
        .context("events")?
        .data
        .into_iter()
        .next()
        .context("creating a session made no event")?;
    let (session, expiring) = (open.id.to_string(), to_expire.id.to_string());
    let mut by_operation = Vec::new();
    let mut give = |operations: &[&'static str], name: &'static str, id: &str| {
        for operation in operations {
            by_operation.push((*operation, name, id.to_owned()));
        }
    };
    give(
        &[
            "showCheckoutSessions",
            "createCheckoutSessionsRefunds",
            "showPay",
            "quotePay",
            "eventsPay",
        ],
        "id",
        &session,
    );
    give(&["expireCheckoutSessions"], "id", &expiring);
    give(
        &["showProducts", "archiveProducts"],
        "id",
        product.id.as_str(),
    );
    give(
        &[
            "showPaymentLinks",
            "deactivatePaymentLinks",
            "activatePaymentLinks",
        ],
        "id",
        &link.id.to_string(),
    );
    give(
        &[
            "showWebhookEndpoints",
            "rotateSecretWebhookEndpoints",
            "enableWebhookEndpoints",
            "disableByMerchantWebhookEndpointsDisable",
            "sendTestWebhookEndpointsTest",
        ],
        "id",
        &kept.id.to_string(),
    );
    give(&["removeWebhookEndpoints"], "id", &removed.id.to_string());
    give(&["revokeApiKeys"], "id", &revoked.id.to_string());
    give(
        &["showEvents", "redeliverEvents"],
        "id",
        &event.id.to_string(),
    );
    Ok(Fixtures { by_operation })
}

impl Fixtures {
    /// Makes them on the gateway at `url` with the merchant's `key`.
    pub fn make(url: &str, key: &str) -> anyhow::Result<Self> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(make(url, key))
            .context("cannot make schemathesis's data through the API")
    }

    /// `schemathesis.toml`: each operation's real path parameters.
    pub fn config(&self) -> String {
        let mut toml = String::new();
        for (operation, name, id) in &self.by_operation {
            let _ = write!(
                toml,
                "[[operations]]\ninclude-operation-id = \"{operation}\"\nparameters = {{ \"path.{name}\" = \"{id}\" }}\n\n"
            );
        }
        toml
    }
}
