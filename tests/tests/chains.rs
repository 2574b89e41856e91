//! The on-chain side on two real anvil chains: a stablecoin, quotes and
//! rates, confirmations, partial and late payments, reorgs, restarts and
//! cross-chain settlement.

use std::time::Duration;

use alloy::primitives::Address as EvmAddress;
use serde_json::json;
use tender_e2e::anvil::hex_quantity;
use tender_e2e::stack::{CHAIN_A, CHAIN_B, STABLECOIN, TSHIRT};
use tender_e2e::{PriceFeed, Stack, StackOptions, eventually};
use tender_protocol::{
    EventListParams, EventType, Money, PaymentStatus, Session, SessionId, SessionStatus,
    SettlementDestination,
};

const WAIT: Duration = Duration::from_secs(30);

fn now() -> tender_protocol::Timestamp {
    tender_protocol::Timestamp::from_unix(time::OffsetDateTime::now_utc().unix_timestamp())
}

fn evm(address: &tender_protocol::Address) -> EvmAddress {
    address.as_str().parse().unwrap()
}

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
    let mut kinds: Vec<EventType> = events.data.iter().map(|e| e.kind).collect();
    kinds.reverse(); // oldest first
    kinds
}

async fn new_session(stack: &Stack) -> SessionId {
    Stack::session_of(&stack.checkout(TSHIRT).await.payment_url)
}

#[tokio::test]
async fn a_stablecoin_payment_on_one_chain_settles_in_eth_on_the_other() {
    let stack = Stack::start(StackOptions::default()).await;
    let merchant_wallet = EvmAddress::repeat_byte(0x42);
    stack
        .client
        .put_settlement_destination(&SettlementDestination {
            network: CHAIN_A.into(),
            token: "ETH".into(),
            address: merchant_wallet.to_string().parse().unwrap(),
        })
        .await
        .unwrap();
    let id = new_session(&stack).await;
    let quote = stack.quote(&id, CHAIN_B, STABLECOIN).await;
    assert_eq!(quote.amount, "25", "25.00 USD at 1 USD per TUSD");
    assert_eq!(quote.amount_raw.0, 25_000_000);
    assert_eq!(quote.chain_id, 31338);

    let chain_b = stack.devnet(CHAIN_B);
    let tx = stack.pay(&quote, quote.amount_raw.0).await;
    stack.anvil_b.mine(1).await;

    let paid = status_becomes(&stack, &id, SessionStatus::Paid).await;
    let payment = &paid.payments[0];
    assert_eq!(payment.tx_hash.to_string(), tx.to_string());
    assert_eq!(
        (
            payment.chain_id,
            payment.token.as_str(),
            payment.amount.as_str()
        ),
        (31338, STABLECOIN, "25")
    );
    let receipt = stack.anvil_b.receipt(&tx.to_string()).await;
    let fee = hex_quantity(&receipt["gasUsed"]) * hex_quantity(&receipt["effectiveGasPrice"]);
    assert_eq!(
        payment.gas_fee.amount_raw.0, fee,
        "gas fee equals the receipt's"
    );

    // Settlement confirms after two blocks on chain A.
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
    let settlement = completed
        .settlement
        .expect("the settlement is in the session");
    // 25.00 USD less the 1% fee = 24.75 USD, at 2000 USD/ETH = 0.012375 ETH.
    assert_eq!(settlement.amount, "0.012375");
    assert_eq!(
        settlement.fee,
        Money::parse("0.25", tender_protocol::Currency::Usd).unwrap()
    );
    let balance = hex_quantity(
        &stack
            .anvil
            .rpc(
                "eth_getBalance",
                json!([merchant_wallet.to_string(), "latest"]),
            )
            .await,
    );
    assert_eq!(
        balance, 12_375_000_000_000_000,
        "the merchant's wallet on chain A grew by the payout"
    );
    assert_eq!(settlement.network, CHAIN_A);
    let kinds = event_types(&stack, &id).await;
    assert!(
        kinds.ends_with(&[EventType::SessionPaid, EventType::SessionCompleted]),
        "{kinds:?}"
    );

    // The deposit is swept into the treasury on chain B (gas funded first).
    let deposit = evm(&quote.deposit_address);
    eventually("the deposit to be swept", WAIT, || async {
        stack.anvil_b.mine(1).await;
        let left = chain_b
            .token_balance(stack.stablecoin_b, deposit)
            .await
            .unwrap();
        left.is_zero().then_some(())
    })
    .await;
}

#[tokio::test]
async fn two_partial_payments_make_it_underpaid_then_paid() {
    let stack = Stack::start(StackOptions::default()).await;
    let id = new_session(&stack).await;
    let quote = stack.quote_eth(&id).await;
    let half = quote.amount_raw.0 / 2;
    stack.pay(&quote, half).await;
    stack.anvil.mine(1).await;
    let underpaid = status_becomes(&stack, &id, SessionStatus::Underpaid).await;
    assert_eq!(underpaid.amount_received.amount_string(), "12.50");
    let public = stack.public_session(&id).await;
    assert_eq!(
        public.amount_received.amount_string(),
        "12.50",
        "the cashier can show what is left"
    );

    stack.pay(&quote, quote.amount_raw.0 - half).await;
    stack.anvil.mine(1).await;
    let paid = status_becomes(&stack, &id, SessionStatus::Paid).await;
    assert_eq!(paid.payments.len(), 2);
    assert_eq!(paid.amount_excess, None);
    let kinds = event_types(&stack, &id).await;
    let underpaid_at = kinds
        .iter()
        .position(|k| *k == EventType::SessionUnderpaid)
        .expect("session.underpaid");
    let paid_at = kinds
        .iter()
        .position(|k| *k == EventType::SessionPaid)
        .expect("session.paid");
    assert!(underpaid_at < paid_at, "{kinds:?}");
}

#[tokio::test]
async fn a_requote_after_an_underpayment_asks_only_for_the_rest_in_another_token() {
    let stack = Stack::start(StackOptions::default()).await;
    let id = new_session(&stack).await;
    let eth = stack.quote_eth(&id).await;
    stack.pay(&eth, eth.amount_raw.0 * 2 / 5).await;
    stack.anvil.mine(1).await;
    status_becomes(&stack, &id, SessionStatus::Underpaid).await;
    // 10.00 of 25.00 USD received: 15 TUSD left, on the other chain.
    let rest = stack.quote(&id, CHAIN_B, STABLECOIN).await;
    assert_eq!(rest.amount, "15");
    assert_ne!(rest.deposit_address, eth.deposit_address);
    stack.pay(&rest, rest.amount_raw.0).await;
    stack.anvil_b.mine(1).await;
    status_becomes(&stack, &id, SessionStatus::Paid).await;
}

#[tokio::test]
async fn an_overpayment_is_paid_and_reports_its_excess() {
    let stack = Stack::start(StackOptions::default()).await;
    let id = new_session(&stack).await;
    let quote = stack.quote_eth(&id).await;
    let more = quote.amount_raw.0 * 3 / 2;
    stack.pay(&quote, more).await;
    stack.anvil.mine(1).await;
    let paid = status_becomes(&stack, &id, SessionStatus::Paid).await;
    assert_eq!(
        paid.amount_excess.map(|m| m.amount_string()).as_deref(),
        Some("12.50")
    );
    assert_eq!(paid.amount_received.amount_string(), "37.50");
    let held = paid.payments[0]
        .unallocated
        .as_ref()
        .expect("the excess is held");
    assert_eq!(held.amount_raw.0, more - quote.amount_raw.0);
    assert_eq!(
        paid.amount_unallocated
            .map(|m| m.amount_string())
            .as_deref(),
        Some("12.50")
    );
}

#[tokio::test]
async fn a_session_the_merchant_expired_is_paid_late_by_money_mined_after() {
    let stack = Stack::start(StackOptions::default()).await;
    let id = new_session(&stack).await;
    let quote = stack.quote_eth(&id).await;
    let expired = stack.client.expire_session(&id).await.unwrap();
    assert!(expired.expires_at <= now(), "expired now, not in an hour");
    stack.anvil.advance_time(10).await;
    stack.pay(&quote, quote.amount_raw.0).await;
    stack.anvil.mine(1).await;
    let paid = status_becomes(&stack, &id, SessionStatus::Paid).await;
    assert!(paid.payments[0].late);
    assert_eq!(paid.payments[0].status, PaymentStatus::Confirmed);
    let kinds = event_types(&stack, &id).await;
    assert!(kinds.contains(&EventType::SessionPaidLate), "{kinds:?}");
    assert!(!kinds.contains(&EventType::SessionPaid), "{kinds:?}");
}

#[tokio::test]
async fn a_reorg_that_drops_an_unconfirmed_payment_returns_the_session_to_open() {
    let stack = Stack::start(StackOptions::default()).await;
    let id = new_session(&stack).await;
    let quote = stack.quote_eth(&id).await;
    stack.pay(&quote, quote.amount_raw.0).await;
    status_becomes(&stack, &id, SessionStatus::Processing).await;

    // Replace the block holding the payment with an empty one.
    stack.anvil.rpc("anvil_reorg", json!([1, []])).await;
    let reopened = status_becomes(&stack, &id, SessionStatus::Open).await;
    assert!(reopened.payments.is_empty(), "the orphaned payment is gone");
    stack.anvil.mine(3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let session = stack.client.get_session(&id).await.unwrap();
    assert_eq!(session.status, SessionStatus::Open, "never paid");
    assert!(
        !event_types(&stack, &id)
            .await
            .contains(&EventType::SessionPaid)
    );
}

#[tokio::test]
async fn a_payment_mined_while_the_gateway_was_down_is_found_on_restart() {
    let mut stack = Stack::start(StackOptions::default()).await;
    let id = new_session(&stack).await;
    let quote = stack.quote_eth(&id).await;
    stack.stop_gateway().await;
    stack.pay(&quote, quote.amount_raw.0).await;
    stack.anvil.mine(5).await;
    stack.start_gateway().await;
    let paid = status_becomes(&stack, &id, SessionStatus::Paid).await;
    assert!(paid.payments[0].confirmations >= 2);
}

#[tokio::test]
async fn a_lapsed_quote_is_replaced_by_a_fresh_one() {
    let stack = Stack::start(StackOptions {
        quote_ttl_seconds: Some(1),
        ..StackOptions::default()
    })
    .await;
    let id = new_session(&stack).await;
    let first = stack.quote_eth(&id).await;
    let lifetime = first.expires_at - now();
    assert!(lifetime <= 1, "locked for the configured second");
    // Timestamps are whole seconds: wait past the next second boundary.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let shown = stack
        .public_session(&id)
        .await
        .quote
        .expect("the quote is shown");
    assert!(shown.expires_at < now(), "and it has lapsed");
    let again = stack.quote(&id, CHAIN_B, STABLECOIN).await;
    assert!(again.expires_at > now());
    assert_ne!(again.deposit_address, first.deposit_address);
    assert_eq!(
        stack.public_session(&id).await.quote.unwrap().id,
        again.id,
        "the new quote is current"
    );
}

#[tokio::test]
async fn quotes_are_refused_once_the_price_feed_goes_stale() {
    let feed = PriceFeed::start(json!({"ETH": {"USD": "2500.00"}, "TUSD": {"USD": "1.00"}})).await;
    let stack = Stack::start(StackOptions {
        price_feeds: vec![feed.url.parse().unwrap()],
        ..StackOptions::default()
    })
    .await;
    let id = new_session(&stack).await;
    let quote = stack.quote_eth(&id).await;
    assert_eq!(
        quote.amount, "0.01",
        "25.00 USD at the feed's 2500.00 USD/ETH"
    );
    feed.stop();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (status, body) = stack.try_quote(&id, CHAIN_A, "ETH").await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("out of date"),
        "{body}"
    );
}
