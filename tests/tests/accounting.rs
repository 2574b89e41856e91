//! Every wei accounted for, on real anvil chains with a real gateway and
//! merchant server: payments still confirming, lagging nodes, deep reorgs,
//! the chain's clock, lapsed quotes, late and stray money.

use std::time::Duration;

use alloy::primitives::U256;
use serde_json::json;
use tender_e2e::anvil::{DEV_ACCOUNT, hex_quantity};
use tender_e2e::stack::{CHAIN_A, CHAIN_B, TSHIRT};
use tender_e2e::{PriceFeed, Stack, StackOptions, eventually};
use tender_gateway::checkout::strays::KEPT_PER_SESSION;
use tender_protocol::{
    EventListParams, EventType, PaymentStatus, Session, SessionId, SessionStatus,
    SettlementDestination,
};

const WAIT: Duration = Duration::from_secs(30);

async fn status_becomes(stack: &Stack, id: &SessionId, status: SessionStatus) -> Session {
    eventually(
        &format!("the session to be {}", status.as_str()),
        WAIT,
        || async {
            let session = stack.client.get_session(id).await.unwrap();
            (session.status == status).then_some(session)
        },
    )
    .await
}

async fn event_types(stack: &Stack, id: &SessionId) -> Vec<EventType> {
    let events = stack
        .client
        .list_events(&EventListParams {
            session_id: Some(id.to_string()),
            limit: Some(100),
            ..EventListParams::default()
        })
        .await
        .unwrap();
    events.data.iter().rev().map(|e| e.kind).collect()
}

async fn new_session(stack: &Stack) -> SessionId {
    Stack::session_of(&stack.checkout(TSHIRT).await.payment_url)
}

#[tokio::test]
async fn a_requote_does_not_ask_again_for_a_payment_still_confirming() {
    let stack = Stack::start(StackOptions::default()).await;
    let id = new_session(&stack).await;
    let quote = stack.quote_eth(&id).await;
    stack.pay(&quote, quote.amount_raw.0 / 5).await; // 5.00 of 25.00 USD
    status_becomes(&stack, &id, SessionStatus::Processing).await;
    let again = stack.quote_eth(&id).await;
    assert_eq!(again.amount, "0.01", "20.00 USD left at 2000 USD/ETH");
    stack.pay(&again, again.amount_raw.0).await;
    stack.anvil.mine(1).await;
    let paid = status_becomes(&stack, &id, SessionStatus::Paid).await;
    assert_eq!(paid.amount_received.amount_string(), "25.00");
    assert_eq!(paid.amount_excess, None);
}

#[tokio::test]
async fn a_node_serving_an_older_head_rolls_nothing_back() {
    let stack = Stack::start(StackOptions {
        lagging_rpc: true,
        ..StackOptions::default()
    })
    .await;
    let lagging = stack.lagging.as_ref().expect("the lagging hop");
    let id = new_session(&stack).await;
    let quote = stack.quote_eth(&id).await;
    stack.pay(&quote, quote.amount_raw.0).await;
    stack.anvil.mine(1).await;
    status_becomes(&stack, &id, SessionStatus::Paid).await;

    // The node falls four blocks behind: below the block of the payment.
    lagging.set_lag(4);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let session = stack.client.get_session(&id).await.unwrap();
    assert_eq!(session.status, SessionStatus::Paid);
    assert_eq!(session.payments.len(), 1, "nothing rolled back");
    assert_eq!(session.payments[0].status, PaymentStatus::Confirmed);

    // It catches up; the watcher goes on from where it was.
    lagging.set_lag(0);
    stack.anvil.mine(2).await;
    eventually("the confirmations to grow", WAIT, || async {
        let session = stack.client.get_session(&id).await.unwrap();
        (session.payments[0].confirmations >= 4).then_some(())
    })
    .await;
    assert!(
        !event_types(&stack, &id)
            .await
            .contains(&EventType::SessionPaymentReorged)
    );
}

#[tokio::test]
async fn a_reorg_deeper_than_the_confirmations_keeps_the_payment_marked_and_tells_the_merchant() {
    let stack = Stack::start(StackOptions::default()).await;
    let id = new_session(&stack).await;
    let quote = stack.quote_eth(&id).await;
    stack.pay(&quote, quote.amount_raw.0).await;
    stack.anvil.mine(1).await;
    status_becomes(&stack, &id, SessionStatus::Paid).await;

    // Replace the last three blocks (the payment's among them) with empty ones.
    stack.anvil.rpc("anvil_reorg", json!([3, []])).await;
    let reopened = status_becomes(&stack, &id, SessionStatus::Open).await;
    assert_eq!(reopened.payments.len(), 1, "the payment is still on record");
    assert_eq!(reopened.payments[0].status, PaymentStatus::Reorged);
    assert_eq!(reopened.amount_received.amount_string(), "0.00");
    eventually("session.payment_reorged", WAIT, || async {
        event_types(&stack, &id)
            .await
            .contains(&EventType::SessionPaymentReorged)
            .then_some(())
    })
    .await;

    // Paid again from scratch, the session is paid again.
    stack.pay(&quote, quote.amount_raw.0).await;
    stack.anvil.mine(1).await;
    let paid = status_becomes(&stack, &id, SessionStatus::Paid).await;
    assert_eq!(paid.amount_received.amount_string(), "25.00");
}

/// Past the session's hour, on both chains and on the gateway's clock.
const PAST_EXPIRY: u64 = 3700;

#[tokio::test]
async fn one_wei_after_expiry_is_held_for_a_refund_and_leaves_the_order_unpaid() {
    let stack = Stack::start(StackOptions::default()).await;
    let checkout = stack.checkout(TSHIRT).await;
    let id = Stack::session_of(&checkout.payment_url);
    let quote = stack.quote_eth(&id).await;
    stack.advance_time(PAST_EXPIRY).await;
    status_becomes(&stack, &id, SessionStatus::Expired).await;

    stack.pay(&quote, 1).await;
    stack.anvil.mine(1).await;
    eventually("session.unallocated_funds", WAIT, || async {
        event_types(&stack, &id)
            .await
            .contains(&EventType::SessionUnallocatedFunds)
            .then_some(())
    })
    .await;
    let session = stack.client.get_session(&id).await.unwrap();
    assert_eq!(session.status, SessionStatus::Expired);
    assert!(session.payments[0].late);
    let held = session.payments[0].unallocated.as_ref().expect("held");
    assert_eq!(held.amount_raw.0, 1, "the wei is on record");
    assert_eq!(
        session
            .amount_unallocated
            .map(|m| m.amount_string())
            .as_deref(),
        Some("0.00"),
        "worth nothing in USD, still held"
    );
    let kinds = event_types(&stack, &id).await;
    assert!(!kinds.contains(&EventType::SessionPaidLate), "{kinds:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let order = stack.order(&checkout.order_id).await;
    assert_eq!(order.status, tender_protocol::OrderStatus::Expired);
}

#[tokio::test]
async fn a_full_payment_after_expiry_is_paid_late_settled_and_completed() {
    let stack = Stack::start(StackOptions::default()).await;
    let merchant_wallet = alloy::primitives::Address::repeat_byte(0x51);
    stack
        .client
        .put_settlement_destination(&SettlementDestination {
            network: CHAIN_A.into(),
            token: "ETH".into(),
            address: merchant_wallet.to_string().parse().unwrap(),
        })
        .await
        .unwrap();
    let checkout = stack.checkout(TSHIRT).await;
    let id = Stack::session_of(&checkout.payment_url);
    let quote = stack.quote_eth(&id).await;
    stack.advance_time(PAST_EXPIRY).await;
    status_becomes(&stack, &id, SessionStatus::Expired).await;

    stack.pay(&quote, quote.amount_raw.0).await;
    stack.anvil.mine(1).await;
    let paid = status_becomes(&stack, &id, SessionStatus::Paid).await;
    assert!(paid.payments[0].late);
    let kinds = event_types(&stack, &id).await;
    assert!(kinds.contains(&EventType::SessionPaidLate), "{kinds:?}");
    assert!(!kinds.contains(&EventType::SessionPaid), "{kinds:?}");

    eventually("the payout to be mined", WAIT, || async {
        let sent: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM outgoing WHERE purpose = 'payout' AND status = 'mined'",
        )
        .fetch_one(&stack.gateway.db)
        .await
        .unwrap();
        (sent == 1).then_some(())
    })
    .await;
    stack.anvil.mine(2).await;
    let completed = status_becomes(&stack, &id, SessionStatus::Completed).await;
    assert_eq!(completed.settlement.expect("settled").amount, "0.012375");
    let balance = stack
        .anvil
        .rpc(
            "eth_getBalance",
            json!([merchant_wallet.to_string(), "latest"]),
        )
        .await;
    assert_eq!(hex_quantity(&balance), 12_375_000_000_000_000);
    eventually("the order to be fulfilled", WAIT, || async {
        let order = stack.order(&checkout.order_id).await;
        (order.status == tender_protocol::OrderStatus::Fulfilled).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_payment_to_a_lapsed_quote_is_valued_at_the_rate_when_it_confirms() {
    let feed = PriceFeed::start(json!({"ETH": {"USD": "2500.00"}, "TUSD": {"USD": "1.00"}})).await;
    let stack = Stack::start(StackOptions {
        price_feeds: vec![feed.url.parse().unwrap()],
        quote_ttl_seconds: Some(60),
        ..StackOptions::default()
    })
    .await;
    let id = new_session(&stack).await;
    let quote = stack.quote_eth(&id).await;
    assert_eq!(quote.amount, "0.01", "25.00 USD at 2500 USD/ETH");
    // The market falls and the quote lapses; the shopper pays the old amount.
    feed.set(json!({"ETH": {"USD": "2000.00"}, "TUSD": {"USD": "1.00"}}));
    stack.advance_time(120).await;
    stack.pay(&quote, quote.amount_raw.0).await;
    stack.anvil.mine(1).await;
    let session = status_becomes(&stack, &id, SessionStatus::Underpaid).await;
    assert_eq!(session.amount_received.amount_string(), "20.00");
    assert_eq!(session.payments[0].exchange_rate.price, "2000.00");
    assert!(
        !session.payments[0].late,
        "late for the quote, not the session"
    );
    let still = stack.quote_eth(&id).await;
    assert_eq!(still.amount, "0.0025", "5.00 USD left at 2000 USD/ETH");
}

#[tokio::test]
async fn a_payment_made_in_time_while_the_gateway_was_down_past_expiry_pays_on_time() {
    let mut stack = Stack::start(StackOptions::default()).await;
    let id = new_session(&stack).await;
    let quote = stack.quote_eth(&id).await;
    stack.stop_gateway().await;
    stack.pay(&quote, quote.amount_raw.0).await;
    stack.advance_time(PAST_EXPIRY).await;
    stack.start_gateway().await;
    let paid = status_becomes(&stack, &id, SessionStatus::Paid).await;
    assert!(!paid.payments[0].late);
    let kinds = event_types(&stack, &id).await;
    assert!(kinds.contains(&EventType::SessionPaid), "{kinds:?}");
    assert!(!kinds.contains(&EventType::SessionExpired), "{kinds:?}");
}

#[tokio::test]
async fn eth_forwarded_to_the_deposit_address_by_a_contract_is_credited() {
    let stack = Stack::start(StackOptions::default()).await;
    let id = new_session(&stack).await;
    let quote = stack.quote_eth(&id).await;
    // A forwarder contract: CALL(gas, deposit, callvalue, 0, 0, 0, 0).
    let forwarder = "0x000000000000000000000000000000000000f0f0";
    let deposit = quote.deposit_address.as_str().trim_start_matches("0x");
    let code = format!("0x600060006000600034{}{deposit}5af100", "73");
    stack
        .anvil
        .rpc("anvil_setCode", json!([forwarder, code]))
        .await;
    let tx = stack
        .anvil
        .send_eth(DEV_ACCOUNT, forwarder, quote.amount_raw.0)
        .await;
    stack.anvil.mine(1).await;
    let paid = status_becomes(&stack, &id, SessionStatus::Paid).await;
    assert_eq!(paid.payments.len(), 1);
    assert_eq!(paid.payments[0].tx_hash.to_string(), tx);
    assert_eq!(paid.payments[0].amount_raw.0, quote.amount_raw.0);
    assert_eq!(paid.amount_received.amount_string(), "25.00");
}

#[tokio::test]
async fn a_node_down_past_expiry_holds_it_for_the_allowance_then_an_on_time_payment_still_pays() {
    let stack = Stack::start(StackOptions {
        flaky_rpc: true,
        expiry_outage_allowance_seconds: Some(600),
        ..StackOptions::default()
    })
    .await;
    let id = new_session(&stack).await;
    let quote = stack.quote_eth(&id).await;
    let hop = stack.flaky.as_ref().expect("the flaky hop");
    hop.go_down();
    // Paid in time on chain A, which the gateway cannot see.
    stack.pay(&quote, quote.amount_raw.0).await;
    stack.advance_time(PAST_EXPIRY).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let waiting = stack.client.get_session(&id).await.unwrap();
    assert_eq!(
        waiting.status,
        SessionStatus::Open,
        "chain A is not scanned past expiry"
    );

    stack.clock.advance(600);
    let expired = status_becomes(&stack, &id, SessionStatus::Expired).await;
    assert!(expired.expired_while_chains_behind);

    hop.come_back();
    let paid = status_becomes(&stack, &id, SessionStatus::Paid).await;
    assert!(!paid.payments[0].late, "mined before expiresAt");
    assert!(!paid.expired_while_chains_behind);
    let kinds = event_types(&stack, &id).await;
    assert!(kinds.contains(&EventType::SessionPaid), "{kinds:?}");
}

#[tokio::test]
async fn a_payment_short_by_less_than_the_tolerance_pays_and_says_by_how_much() {
    let stack = Stack::start(StackOptions::default()).await;
    stack
        .client
        .put_account_settings(&tender_protocol::AccountSettings {
            underpayment_tolerance: Some(tender_protocol::Tolerance {
                bps: Some(100),
                amount: None,
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    // 25.00 USD, 1%: up to 0.25 USD short still pays.
    let id = new_session(&stack).await;
    let quote = stack.quote_eth(&id).await;
    stack.pay(&quote, quote.amount_raw.0 * 995 / 1000).await;
    stack.anvil.mine(1).await;
    let paid = status_becomes(&stack, &id, SessionStatus::Paid).await;
    assert_eq!(
        paid.amount_short.map(|m| m.amount_string()).as_deref(),
        Some("0.13")
    );
    let kinds = event_types(&stack, &id).await;
    assert!(kinds.contains(&EventType::SessionPaid), "{kinds:?}");

    // Short by more than that: underpaid.
    let id = new_session(&stack).await;
    let quote = stack.quote_eth(&id).await;
    stack.pay(&quote, quote.amount_raw.0 * 98 / 100).await;
    stack.anvil.mine(1).await;
    let short = status_becomes(&stack, &id, SessionStatus::Underpaid).await;
    assert_eq!(short.amount_short, None);
}

#[tokio::test]
async fn a_payment_on_the_other_network_to_a_quote_on_the_first_is_credited_and_swept_there() {
    let stack = Stack::start(StackOptions::default()).await;
    let id = new_session(&stack).await;
    let quote = stack.quote_eth(&id).await;
    assert_eq!(quote.chain_id, 31337);
    // The same deposit key is the same address on chain B.
    let deposit = quote.deposit_address.as_str().parse().unwrap();
    let payer = DEV_ACCOUNT.parse().unwrap();
    let tx = stack
        .devnet(CHAIN_B)
        .send_native(payer, deposit, U256::from(quote.amount_raw.0))
        .await
        .unwrap();
    stack.anvil_b.mine(1).await;
    let paid = status_becomes(&stack, &id, SessionStatus::Paid).await;
    let payment = &paid.payments[0];
    assert_eq!(payment.tx_hash.to_string(), tx.to_string());
    assert_eq!(
        (payment.network.as_str(), payment.chain_id),
        (CHAIN_B, 31338)
    );
    assert!(payment.off_quote, "flagged");
    assert_eq!(
        payment.exchange_rate.price, "2000.00",
        "the rate when it confirmed"
    );
    assert_eq!(paid.amount_received.amount_string(), "25.00");
    eventually("the deposit on chain B to be swept", WAIT, || async {
        let balance = hex_quantity(
            &stack
                .anvil_b
                .rpc(
                    "eth_getBalance",
                    json!([quote.deposit_address.to_string(), "latest"]),
                )
                .await,
        );
        (balance < quote.amount_raw.0 / 100).then_some(())
    })
    .await;
}

#[tokio::test]
async fn another_accepted_token_than_quoted_is_credited_at_its_rate() {
    let stack = Stack::start(StackOptions::default()).await;
    let id = new_session(&stack).await;
    let quote = stack.quote_eth(&id).await;
    let deposit = quote.deposit_address.as_str().parse().unwrap();
    let payer = DEV_ACCOUNT.parse().unwrap();
    // 25 TUSD (6 decimals) to the ETH quote's address on chain A.
    stack
        .devnet(CHAIN_A)
        .send_token(stack.stablecoin, payer, deposit, U256::from(25_000_000u64))
        .await
        .unwrap();
    stack.anvil.mine(1).await;
    let paid = status_becomes(&stack, &id, SessionStatus::Paid).await;
    let payment = &paid.payments[0];
    assert_eq!(payment.token, "TUSD");
    assert_eq!(payment.amount, "25");
    assert!(payment.off_quote);
}

#[tokio::test]
async fn a_token_nobody_configured_is_reported_on_the_session_and_never_credited() {
    let stack = Stack::start(StackOptions::default()).await;
    let id = new_session(&stack).await;
    let quote = stack.quote_eth(&id).await;
    let devnet = stack.devnet(CHAIN_A);
    let payer: alloy::primitives::Address = DEV_ACCOUNT.parse().unwrap();
    let stranger = devnet.deploy_stablecoin(payer).await.unwrap();
    devnet
        .mint(stranger, payer, payer, U256::from(1_000_000u64))
        .await
        .unwrap();
    let tx = devnet
        .send_token(
            stranger,
            payer,
            quote.deposit_address.as_str().parse().unwrap(),
            U256::from(400_000u64),
        )
        .await
        .unwrap();
    let reported = eventually("the stranger token to be reported", WAIT, || async {
        let session = stack.client.get_session(&id).await.unwrap();
        session.unknown_tokens.first().cloned()
    })
    .await;
    assert_eq!(
        reported.contract.to_string(),
        stranger.to_string().to_lowercase()
    );
    assert_eq!(reported.amount_raw.0, 400_000);
    assert_eq!(reported.tx_hash.to_string(), tx.to_string());
    let session = stack.client.get_session(&id).await.unwrap();
    assert_eq!(session.status, SessionStatus::Open, "never credited");
    assert!(session.payments.is_empty());

    // A flood of them is kept to a bounded number per session.
    let deposit = quote.deposit_address.as_str().parse().unwrap();
    let mut last = tx;
    for _ in 0..KEPT_PER_SESSION + 5 {
        last = devnet
            .send_token(stranger, payer, deposit, U256::from(1u64))
            .await
            .unwrap();
    }
    let tip = devnet.receipt(last).await.unwrap().block_number.unwrap();
    stack.scanned_through(CHAIN_A, tip).await;
    let session = stack.client.get_session(&id).await.unwrap();
    assert_eq!(session.unknown_tokens.len(), KEPT_PER_SESSION as usize);
    assert_eq!(
        session.unknown_tokens[0].tx_hash.to_string(),
        tx.to_string()
    );
}
