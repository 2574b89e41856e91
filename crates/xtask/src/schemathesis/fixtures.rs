//! Real data for schemathesis: before the run, one of each thing the API
//! names by id is made through the API itself (a product, sessions and
//! their events, a payment link, webhook endpoints, an API key, and, after
//! a real payment on the run's anvil, refunds and a claim link), and each
//! operation that takes an id is given a real one in the run's
//! `schemathesis.toml`, so every phase reaches the operation's logic
//! instead of its 404. An operation that destroys or spends its subject
//! (deleting an endpoint, revoking a key, expiring a session, cancelling
//! a refund) gets a subject of its own.

use std::fmt::Write;

use anyhow::Context;
use serde_json::{Value, json};
use tender_client::Client;
use tender_protocol::{
    CreateApiKey, CreatePaymentLink, CreateProduct, CreateRefund, CreateSession,
    CreateWebhookEndpoint, EventListParams, Money, Quote, SessionId, SessionStatus,
};

/// anvil's first funded account, which pays the fixture session.
const PAYER: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
/// anvil's second account: an address a refund or a payout may go to.
const SHOPPER: &str = "0x70997970C51812dc3A010C7d01b50e0D17dc79C8";

/// Pays `session` in full from [`PAYER`] on the anvil at `rpc`, through a
/// quote as a shopper would; answers once the gateway counts it paid.
async fn pay(client: &Client, url: &str, rpc: &str, session: &SessionId) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let quote: Quote = http
        .post(format!("{url}/v1/pay/{session}/quote"))
        .json(&json!({"network": "local", "token": "ETH"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let sent: Value = http
        .post(rpc)
        .json(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "eth_sendTransaction", "params": [{
                "from": PAYER,
                "to": quote.deposit_address.to_string(),
                "value": format!("{:#x}", quote.amount_raw.0),
            }]}),
        )
        .send()
        .await?
        .json()
        .await?;
    anyhow::ensure!(
        sent["result"].is_string(),
        "anvil refused the payment: {sent}"
    );
    for _ in 0..120 {
        if client.get_session(session).await?.status == SessionStatus::Paid {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    anyhow::bail!("the fixture payment was not counted within a minute")
}

/// What schemathesis is given: per operation (`operationId`), each
/// parameter's value (TOML: a string, or a dictionary binding), and the
/// dictionaries.
pub struct Fixtures {
    by_operation: Vec<(&'static str, String, String)>,
    dictionaries: Vec<(&'static str, Vec<String>)>,
}

async fn make(url: &str, key: &str, rpc: &str) -> anyhow::Result<Fixtures> {
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
    let paid = client.create_session(&session).await.context("session")?;
    pay(&client, url, rpc, &paid.id).await.context("payment")?;
    let refund = async || {
        let body = CreateRefund {
            amount: Some(Money::parse("1.00", "USD".parse()?)?),
            ..CreateRefund::default()
        };
        anyhow::Ok(client.create_refund(&paid.id, &body).await?)
    };
    let kept_refund = refund().await.context("refund")?;
    let cancelled = refund().await.context("refund")?;
    let claim_token = kept_refund
        .claim_url
        .as_deref()
        .and_then(|u| u.rsplit('/').next())
        .context("a refund without a claim link")?
        .to_owned();
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
    let mut fixtures = Fixtures {
        by_operation: Vec::new(),
        dictionaries: vec![
            ("networks", vec!["local".to_owned()]),
            ("tokens", vec!["ETH".to_owned()]),
            ("currencies", vec!["USD".to_owned()]),
            ("addresses", vec![SHOPPER.to_owned()]),
            ("products", vec![product.id.to_string()]),
            ("endpoints", vec![kept.id.to_string()]),
            ("hooks", vec!["http://127.0.0.1:9/hook".to_owned()]),
        ],
    };
    let mut give = |operations: &[&'static str], name: &'static str, id: &str| {
        for operation in operations {
            fixtures
                .by_operation
                .push((operation, format!("path.{name}"), format!("{id:?}")));
        }
    };
    give(
        &["showCheckoutSessions", "showPay", "quotePay", "eventsPay"],
        "id",
        &session,
    );
    give(&["expireCheckoutSessions"], "id", &expiring);
    give(
        &["createCheckoutSessionsRefunds"],
        "id",
        &paid.id.to_string(),
    );
    give(&["showRefunds"], "id", &kept_refund.id.to_string());
    give(&["cancelRefunds"], "id", &cancelled.id.to_string());
    give(&["showClaims", "claimClaims"], "token", &claim_token);
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
    // Body fields whose good values depend on this gateway (its networks,
    // tokens and rates) or on data (a product, an endpoint): mostly one of
    // those, sometimes anything the schema allows.
    for (operation, field, dictionary) in [
        ("quotePay", "network", "networks"),
        ("quotePay", "token", "tokens"),
        ("updateSettlementDestination", "network", "networks"),
        ("updateSettlementDestination", "token", "tokens"),
        ("updateSettlementDestination", "address", "addresses"),
        ("claimClaims", "address", "addresses"),
        ("redeliverEvents", "endpointId", "endpoints"),
        ("createProducts", "price.currency", "currencies"),
        ("createCheckoutSessions", "productId", "products"),
        (
            "createCheckoutSessions",
            "productData.price.currency",
            "currencies",
        ),
        (
            "createCheckoutSessions",
            "lineItems[*].productId",
            "products",
        ),
        ("createPaymentLinks", "productId", "products"),
        (
            "createPaymentLinks",
            "productData.price.currency",
            "currencies",
        ),
        ("createPaymentLinks", "lineItems[*].productId", "products"),
        (
            "createCheckoutSessionsRefunds",
            "amount.currency",
            "currencies",
        ),
        ("createWebhookEndpoints", "url", "hooks"),
    ] {
        fixtures.by_operation.push((
            operation,
            format!("body.{field}"),
            format!("{{ dictionary = {dictionary:?}, probability = 0.8 }}"),
        ));
    }
    Ok(fixtures)
}

impl Fixtures {
    /// Makes them on the gateway at `url` with the merchant's `key`,
    /// paying on the anvil at `rpc`.
    pub fn make(url: &str, key: &str, rpc: &str) -> anyhow::Result<Self> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(make(url, key, rpc))
            .context("cannot make schemathesis's data through the API")
    }

    /// `schemathesis.toml`: the dictionaries, then each operation's
    /// parameters in one table.
    pub fn config(&self) -> String {
        let mut toml = String::new();
        for (name, values) in &self.dictionaries {
            let _ = writeln!(toml, "[dictionaries.{name}]\nvalues = {values:?}\n");
        }
        let mut operations: Vec<&str> = self.by_operation.iter().map(|(o, _, _)| *o).collect();
        operations.sort_unstable();
        operations.dedup();
        for operation in operations {
            let parameters: Vec<String> = self
                .by_operation
                .iter()
                .filter(|(o, _, _)| *o == operation)
                .map(|(_, key, value)| format!("{key:?} = {value}"))
                .collect();
            let _ = writeln!(
                toml,
                "[[operations]]\ninclude-operation-id = {operation:?}\nparameters = {{ {} }}\n",
                parameters.join(", ")
            );
        }
        toml
    }
}
