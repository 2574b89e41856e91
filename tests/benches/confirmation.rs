//! From the confirming block to the webhook: how long after the block that
//! gives a payment its last required confirmation the merchant's endpoint
//! has `session.paid`, over 200 payments, while other sessions are being
//! created at 100 a second. `cargo xtask bench` runs it.

use std::time::{Duration, Instant};

use alloy::primitives::U256;
use tender_e2e::anvil::DEV_ACCOUNT;
use tender_e2e::stack::CHAIN_A;
use tender_e2e::{Receiver, Stack, StackOptions, eventually};
use tender_protocol::{CreateSession, CreateWebhookEndpoint, Metadata, ProductId};

const PAYMENTS: usize = 200;
/// Sessions created a second in the background while payments confirm.
const CREATES_PER_SECOND: u64 = 100;

fn new_session() -> CreateSession {
    CreateSession {
        product_id: Some(ProductId::parse("prod_mug").unwrap()),
        product_data: None,
        quantity: 1,
        line_items: Vec::new(),
        metadata: Metadata::default(),
        success_url: "https://shop.test/ok".into(),
        cancel_url: None,
        expires_in_seconds: None,
        underpayment_tolerance: None,
        locale: None,
    }
}

#[tokio::main]
async fn main() {
    let stack = Stack::start(StackOptions::default()).await;
    let receiver = Receiver::start().await;
    stack
        .client
        .create_webhook_endpoint(&CreateWebhookEndpoint {
            url: receiver.url.clone(),
            enabled_events: vec!["session.paid".into()],
        })
        .await
        .unwrap();
    let chain = stack.devnet(CHAIN_A);
    let payer = DEV_ACCOUNT.parse().unwrap();
    let background = stack.client.clone();
    let load = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / CREATES_PER_SECOND));
        loop {
            tick.tick().await;
            let client = background.clone();
            tokio::spawn(async move { client.create_session(&new_session()).await });
        }
    });
    let mut latencies = Vec::with_capacity(PAYMENTS);
    for n in 0..PAYMENTS {
        let session = stack.client.create_session(&new_session()).await.unwrap();
        let quote = stack.quote(&session.id, CHAIN_A, "ETH").await;
        // Mined at once: the payment's first confirmation.
        chain
            .send_native(
                payer,
                quote.deposit_address.as_str().parse().unwrap(),
                U256::from(quote.amount_raw.0),
            )
            .await
            .unwrap();
        // The confirming block.
        stack.anvil.mine(1).await;
        let mined = Instant::now();
        let arrived = eventually(
            "the session.paid webhook",
            Duration::from_secs(30),
            || async { receiver.deliveries().get(n).map(|d| d.at) },
        )
        .await;
        latencies.push(arrived.saturating_duration_since(mined));
    }
    load.abort();
    latencies.sort();
    let at = |q: f64| {
        latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)].as_secs_f64()
            * 1000.0
    };
    println!(
        "{}",
        serde_json::json!({
            "bench": "confirming_block_to_webhook",
            "payments": PAYMENTS,
            "background_creates_per_second": CREATES_PER_SECOND,
            "p50_ms": (at(0.5) * 10.0).round() / 10.0,
            "p99_ms": (at(0.99) * 10.0).round() / 10.0,
        })
    );
}
