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
    CreateWebhookEndpoint, EventListParams, Money,
};

use super::payer::pay;

/// What schemathesis is given: per operation (`operationId`), each
/// parameter's value (TOML: a string, or a dictionary binding), and the
/// dictionaries.
pub struct Fixtures {
    by_operation: Vec<(&'static str, String, String)>,
    dictionaries: Vec<(&'static str, Vec<String>)>,
    /// An operation (`METHOD /path`) whose path parameter takes a
    /// subject of its own in each of [`PHASES`], in that order.
    per_phase: Vec<(&'static str, &'static str, Vec<String>)>,
}

/// Schemathesis's phases, in the order `per_phase` gives them subjects.
const PHASES: [&str; 4] = ["examples", "coverage", "fuzzing", "stateful"];

/// The first example the served spec shows for the schema `name`: the
/// value schemathesis's coverage phase starts from.
fn example(spec: &Value, name: &str) -> anyhow::Result<String> {
    spec["components"]["schemas"][name]["examples"][0]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("the spec shows no example of {name}"))
}

async fn make(url: &str, key: &str, rpc: &str) -> anyhow::Result<Fixtures> {
    let client = Client::new(url, key)?;
    let spec: Value = reqwest::get(format!("{url}/openapi.json"))
        .await?
        .error_for_status()?
        .json()
        .await?;
    // Where refunds and payouts go: the address the spec shows (a claim
    // made again to the same address answers where it stands).
    let shopper = example(&spec, "Address")?;
    let make_product = async |id: &str| {
        let product = CreateProduct {
            id: Some(id.parse()?),
            name: "Schemathesis mug".into(),
            description: None,
            image_url: None,
            price: Money::parse("12.00", "USD".parse()?)?,
        };
        anyhow::Ok(client.create_product(&product).await?)
    };
    // The spec's example id, which the coverage phase sends; the run
    // archives a product of its own.
    let product = make_product(&example(&spec, "ProductId")?)
        .await
        .context("product")?;
    let archived = make_product("prod_archived").await.context("product")?;
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
    // Paid sessions of ten mugs, one per phase to refund: a phase that
    // refunds its own in full (a body without an amount) leaves the next
    // phase's whole.
    let mut refundable = Vec::new();
    for _ in PHASES {
        let paid = client
            .create_session(&CreateSession {
                quantity: 10,
                ..session.clone()
            })
            .await
            .context("session")?;
        pay(&client, url, rpc, &paid.id).await.context("payment")?;
        refundable.push(paid.id);
    }
    let paid = &refundable[0];
    let refund = async || {
        let body = CreateRefund {
            amount: Some(Money::parse("1.00", "USD".parse()?)?),
            ..CreateRefund::default()
        };
        anyhow::Ok(client.create_refund(paid, &body).await?)
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
    let toggled = client
        .create_webhook_endpoint(&endpoint(3))
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
    let events = client
        .list_events(&EventListParams::default())
        .await
        .context("events")?
        .data;
    let event = events
        .first()
        .context("creating a session made no event")?
        .clone();
    // The merchant's stream replays what came after this one at once.
    let before_others = events.last().context("no events")?.id.to_string();
    let (session, expiring) = (open.id.to_string(), to_expire.id.to_string());
    let mut fixtures = Fixtures {
        by_operation: Vec::new(),
        dictionaries: vec![
            ("networks", vec!["local".to_owned()]),
            ("tokens", vec!["ETH".to_owned()]),
            ("currencies", vec!["USD".to_owned()]),
            ("addresses", vec![shopper]),
            ("products", vec![product.id.to_string()]),
            ("endpoints", vec![kept.id.to_string()]),
            ("hooks", vec!["http://127.0.0.1:9/hook".to_owned()]),
        ],
        per_phase: vec![(
            "POST /v1/checkout/sessions/{id}/refunds",
            "id",
            refundable.iter().map(ToString::to_string).collect(),
        )],
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
    give(&["createCheckoutSessionsRefunds"], "id", &paid.to_string());
    give(&["showRefunds"], "id", &kept_refund.id.to_string());
    give(&["cancelRefunds"], "id", &cancelled.id.to_string());
    give(&["showClaims", "claimClaims"], "token", &claim_token);
    give(&["showProducts"], "id", product.id.as_str());
    give(&["archiveProducts"], "id", archived.id.as_str());
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
            "sendTestWebhookEndpointsTest",
        ],
        "id",
        &kept.id.to_string(),
    );
    // Disabled and enabled again by the run, so kept apart from the one
    // events are redelivered to.
    give(
        &[
            "enableWebhookEndpoints",
            "disableByMerchantWebhookEndpointsDisable",
        ],
        "id",
        &toggled.id.to_string(),
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
            "createCheckoutSessions",
            "lineItems[*].productData.price.currency",
            "currencies",
        ),
        (
            "createPaymentLinks",
            "lineItems[*].productData.price.currency",
            "currencies",
        ),
        (
            "createCheckoutSessions",
            "underpaymentTolerance.amount.currency",
            "currencies",
        ),
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
    fixtures.by_operation.push((
        "streamEvents",
        "query.after".into(),
        format!("{before_others:?}"),
    ));
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

    /// What `hooks.py` reads (`per_phase.json`): per operation, the path
    /// parameter and its value in each phase.
    pub fn per_phase(&self) -> String {
        let operations: serde_json::Map<String, Value> = self
            .per_phase
            .iter()
            .map(|(operation, parameter, values)| {
                let phases: serde_json::Map<String, Value> = PHASES
                    .iter()
                    .zip(values)
                    .map(|(phase, value)| ((*phase).to_owned(), json!(value)))
                    .collect();
                (
                    (*operation).to_owned(),
                    json!({"parameter": parameter, "phases": phases}),
                )
            })
            .collect();
        Value::Object(operations).to_string()
    }

    /// `schemathesis.toml`: the dictionaries, then each operation's
    /// parameters in one table.
    pub fn config(&self) -> String {
        // Every warning (an operation never reached with real data, or
        // whose generated data the gateway mostly refused) fails the run.
        let mut toml = String::from("[warnings]\nfail-on = true\n\n");
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
                "[[operations]]\ninclude-operation-id = {operation:?}\nparameters = {{ {} }}",
                parameters.join(", ")
            );
            // The merchant's event stream never ends: its answer is read
            // for a few events (which `after` makes come at once).
            if operation == "streamEvents" {
                let _ = writeln!(toml, "max-stream-events = 3\nrequest-timeout = 10");
            }
            toml.push('\n');
        }
        toml
    }
}
