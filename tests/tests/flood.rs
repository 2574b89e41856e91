//! An anonymous flood on loopback, from addresses of its own (127.0.0.2 and
//! up): the public API answers 429 with `Retry-After`, a session's quotes
//! and live streams are capped, the shop's checkout is limited per address,
//! nothing anonymous is stored for idempotency — and a shopper on
//! 127.0.0.1 pays all the same, on anvil, through the shop and the cashier.

use std::net::IpAddr;
use std::time::Duration;

use tender_e2e::stack::{Stack, TSHIRT};
use tender_e2e::{StackOptions, eventually};
use tender_gateway::config::LimitsConfig;
use tender_protocol::{OrderStatus, SessionId, SessionStatus};

/// An HTTP client whose requests come from `ip`.
fn from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::from(ip))
        .build()
        .unwrap()
}

fn limits() -> LimitsConfig {
    LimitsConfig {
        public_per_ip_per_minute: 60,
        public_burst_per_ip: 10,
        public_per_session_per_minute: 1_000,
        quotes_per_session: 3,
        streams_per_session: 2,
        streams_per_ip: 3,
        ..LimitsConfig::default()
    }
}

async fn idempotency_rows(stack: &Stack) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM idempotency_keys")
        .fetch_one(&stack.gateway.db)
        .await
        .unwrap()
}

/// Hammers the public API from one address; answers how many were refused.
async fn flood_public_api(stack: &Stack, victim: &SessionId) -> usize {
    let flooder = from([127, 0, 0, 2]);
    let mut requests = tokio::task::JoinSet::new();
    for n in 0..60 {
        let request = if n % 2 == 0 {
            flooder.get(format!("{}/v1/pay/{victim}", stack.gateway_url))
        } else {
            // A session that does not exist, with a fresh Idempotency-Key.
            flooder
                .post(format!(
                    "{}/v1/pay/cs_doesnotexist{n}/quote",
                    stack.gateway_url
                ))
                .header("Idempotency-Key", format!("flood-{n}"))
                .json(&serde_json::json!({"network": "anvil", "token": "ETH"}))
        };
        requests.spawn(request.send());
    }
    let mut refused = 0;
    while let Some(answer) = requests.join_next().await {
        let answer = answer.unwrap().unwrap();
        if answer.status() == 429 {
            let retry_after: u64 = answer.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(retry_after >= 1);
            let body: serde_json::Value = answer.json().await.unwrap();
            assert_eq!(body["error"]["type"], "rate_limited");
            refused += 1;
        }
    }
    refused
}

#[tokio::test]
async fn a_flood_is_refused_while_a_shopper_pays() {
    let stack = Stack::start(StackOptions {
        limits: Some(limits()),
        checkouts_per_minute: Some(3),
        ..StackOptions::default()
    })
    .await;
    // Someone else's session, to flood and to ask quotes of.
    let victim = stack
        .client
        .create_session(
            &serde_json::from_value(serde_json::json!({
                "productId": TSHIRT, "quantity": 1, "successUrl": "https://shop.test/ok"
            }))
            .unwrap(),
        )
        .await
        .unwrap()
        .id;

    let before = idempotency_rows(&stack).await;
    let refused = flood_public_api(&stack, &victim).await;
    assert!(
        refused >= 40,
        "only {refused} of 60 refused past a burst of 10"
    );
    assert_eq!(
        idempotency_rows(&stack).await,
        before,
        "nothing anonymous stored"
    );

    // The shop's checkout, per address.
    let shop_flooder = from([127, 0, 0, 2]);
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let answer = shop_flooder
            .post(format!("{}/api/checkout", stack.merchant_url))
            .json(&serde_json::json!({"productId": TSHIRT, "quantity": 1}))
            .send()
            .await
            .unwrap();
        statuses.push(answer.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);

    // At most three quotes per session.
    let quoter = from([127, 0, 0, 3]);
    let url = format!("{}/v1/pay/{victim}/quote", stack.gateway_url);
    for n in 0..4 {
        let answer = quoter
            .post(&url)
            .json(&serde_json::json!({"network": "anvil", "token": "ETH"}))
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        let body: serde_json::Value = answer.json().await.unwrap();
        if n < 3 {
            assert_eq!(status, 201, "{body}");
        } else {
            assert_eq!(status, 409, "{body}");
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("3 quotes")
            );
        }
    }

    // Live streams: two per session, three per address.
    let watcher = from([127, 0, 0, 4]);
    let open = |id: &SessionId| {
        watcher
            .get(format!("{}/v1/pay/{id}/events", stack.gateway_url))
            .send()
    };
    let others: Vec<SessionId> = {
        let mut ids = Vec::new();
        for _ in 0..2 {
            let checkout = stack.checkout(TSHIRT).await;
            ids.push(Stack::session_of(&checkout.payment_url));
        }
        ids
    };
    let first = open(&victim).await.unwrap();
    let second = open(&victim).await.unwrap();
    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (200, 200)
    );
    assert_eq!(open(&victim).await.unwrap().status(), 429, "per session");
    let third = open(&others[0]).await.unwrap();
    assert_eq!(third.status(), 200);
    assert_eq!(open(&others[1]).await.unwrap().status(), 429, "per address");
    drop(first);
    let reopened = eventually(
        "a closed stream to be released",
        Duration::from_secs(10),
        || async {
            let answer = open(&others[1]).await.unwrap();
            (answer.status() == 200).then_some(answer)
        },
    )
    .await;

    // Through all of it, the shopper on 127.0.0.1 pays.
    let checkout = stack.checkout(TSHIRT).await;
    let id = Stack::session_of(&checkout.payment_url);
    let quote = stack.quote_eth(&id).await;
    stack.pay(&quote, quote.amount_raw.0).await;
    stack.anvil.mine(1).await; // its confirmation
    eventually(
        "the shopper's order to be paid",
        Duration::from_secs(30),
        || async {
            let order = stack.order(&checkout.order_id).await;
            matches!(order.status, OrderStatus::Paid | OrderStatus::Fulfilled).then_some(())
        },
    )
    .await;
    assert!(matches!(
        stack.public_session(&id).await.status,
        SessionStatus::Paid | SessionStatus::Completed
    ));
    drop((second, third, reopened));
}
