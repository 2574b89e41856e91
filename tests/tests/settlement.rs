//! Payouts and sweeps that never stall, on real anvil chains: an empty
//! treasury told to the operator and refilled, a payout dropped from the mempool or priced under the
//! market, a reverted payout tried again and then failed, a second payment
//! to a swept address.

use std::time::Duration;

use alloy::primitives::{Address as EvmAddress, U256};
use serde_json::json;
use tender_e2e::anvil::hex_quantity;
use tender_e2e::stack::{CHAIN_A, CHAIN_B, STABLECOIN, TSHIRT};
use tender_e2e::{Stack, StackOptions, eventually, logs};
use tender_protocol::{
    EventListParams, EventType, SessionId, SessionStatus, SettlementDestination,
};

const WAIT: Duration = Duration::from_secs(45);

async fn pay_out_in(stack: &Stack, token: &str) -> EvmAddress {
    let wallet = EvmAddress::repeat_byte(0x77);
    stack
        .client
        .put_settlement_destination(&SettlementDestination {
            network: CHAIN_A.into(),
            token: token.into(),
            address: wallet.to_string().parse().unwrap(),
        })
        .await
        .unwrap();
    wallet
}

/// A session paid in full in ETH on chain A.
async fn paid_session(stack: &Stack) -> SessionId {
    paid_session_on(stack, CHAIN_A, "ETH").await
}

/// A session paid in full in `token` on `network`.
async fn paid_session_on(stack: &Stack, network: &str, token: &str) -> SessionId {
    let id = Stack::session_of(&stack.checkout(TSHIRT).await.payment_url);
    let quote = stack.quote(&id, network, token).await;
    stack.pay(&quote, quote.amount_raw.0).await;
    if network == CHAIN_A {
        stack.anvil.mine(1).await;
    } else {
        stack.anvil_b.mine(1).await;
    }
    eventually("the session to be paid", WAIT, || async {
        let session = stack.client.get_session(&id).await.unwrap();
        (session.status != SessionStatus::Open && session.status != SessionStatus::Processing)
            .then_some(())
    })
    .await;
    id
}

/// Mines a block now and then until the session is completed.
async fn completes(stack: &Stack, id: &SessionId) {
    eventually("the session to be completed", WAIT, || async {
        stack.anvil.mine(1).await;
        let session = stack.client.get_session(id).await.unwrap();
        (session.status == SessionStatus::Completed).then_some(())
    })
    .await;
}

async fn outgoing(stack: &Stack, purpose: &str) -> Vec<(String, Option<String>)> {
    sqlx::query_as("SELECT status, tx_hash FROM outgoing WHERE purpose = $1 ORDER BY id")
        .bind(purpose)
        .fetch_all(&stack.gateway.db)
        .await
        .unwrap()
}

async fn treasury_eth(stack: &Stack, wei: u128) {
    stack
        .anvil
        .rpc(
            "anvil_setBalance",
            json!([stack.treasury.to_string(), format!("0x{wei:x}")]),
        )
        .await;
}

/// `/readyz`'s treasury check of chain A (the gateway still ready), and
/// the ETH shortfall `/metrics` shows for it.
async fn treasury_readiness(stack: &Stack) -> (serde_json::Value, Option<f64>) {
    let http = reqwest::Client::new();
    let ready = http
        .get(format!("{}/readyz", stack.gateway_url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        ready.status(),
        reqwest::StatusCode::OK,
        "a short treasury does not stop payments"
    );
    let ready: serde_json::Value = ready.json().await.unwrap();
    let check = ready["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == format!("treasury:{CHAIN_A}"))
        .cloned()
        .expect("a treasury check for chain A");
    assert_eq!(check["required"], false, "{check}");
    let text = http
        .get(&stack.metrics_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let series = format!("tender_treasury_shortfall{{network=\"{CHAIN_A}\",token=\"ETH\"}} ");
    let shortfall = text
        .lines()
        .find_map(|l| l.strip_prefix(&series))
        .map(|v| v.trim().parse().unwrap());
    (check, shortfall)
}

/// With an empty treasury and two payouts waiting, the operator is told how
/// much is missing: in the log before the node first refuses a payout, in
/// `/readyz` and in `/metrics`.
async fn operator_is_told_of_the_shortfall(stack: &Stack) {
    let lines = logs::lines();
    let told = lines
        .iter()
        .position(|l| l.contains("treasury low: short of") && l.contains("token=ETH"))
        .unwrap_or_else(|| panic!("no 'treasury low' line in {lines:#?}"));
    let refused = lines
        .iter()
        .position(|l| l.to_lowercase().contains("insufficient funds"))
        .unwrap_or_else(|| panic!("no refusal in {lines:#?}"));
    assert!(told < refused, "told at line {told}, refused at {refused}");

    let payouts: Vec<(String,)> =
        sqlx::query_as("SELECT amount_raw FROM outgoing WHERE purpose = 'payout'")
            .fetch_all(&stack.gateway.db)
            .await
            .unwrap();
    let paid_out: u128 = payouts.iter().map(|(a,)| a.parse::<u128>().unwrap()).sum();
    let (check, shortfall) = treasury_readiness(stack).await;
    assert_eq!(check["ok"], false, "{check}");
    let detail = check["detail"].as_str().unwrap();
    assert!(detail.starts_with("short of "), "{detail}");
    assert!(detail.contains("2 transaction(s) waiting"), "{detail}");
    // Nothing held: all of the payouts and their gas is missing.
    let shortfall = shortfall.expect("a shortfall figure");
    let paid_out = paid_out as f64 / 1e18;
    assert!(
        shortfall > paid_out && shortfall < paid_out + 0.01,
        "shortfall {shortfall} ETH for {paid_out} ETH of payouts"
    );
}

#[tokio::test]
async fn an_empty_treasury_refilled_pays_every_waiting_payout_and_the_next() {
    let stack = Stack::start(StackOptions::default()).await;
    pay_out_in(&stack, "ETH").await;
    treasury_eth(&stack, 0).await;
    // Paid on the other chain: no sweep refills the treasury on chain A.
    let first = paid_session_on(&stack, CHAIN_B, STABLECOIN).await;
    let second = paid_session_on(&stack, CHAIN_B, STABLECOIN).await;
    eventually("the payouts to be refused", WAIT, || async {
        let refused: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM outgoing WHERE purpose = 'payout' AND last_error IS NOT NULL",
        )
        .fetch_one(&stack.gateway.db)
        .await
        .unwrap();
        (refused == 2).then_some(())
    })
    .await;
    operator_is_told_of_the_shortfall(&stack).await;

    treasury_eth(&stack, 10u128.pow(21)).await;
    completes(&stack, &first).await;
    completes(&stack, &second).await;
    // `/readyz` gives an answer again for a second.
    eventually("the treasury to cover again", WAIT, || async {
        let (treasury, shortfall) = treasury_readiness(&stack).await;
        (treasury["ok"] == true && shortfall == Some(0.0)).then_some(())
    })
    .await;
    let third = paid_session(&stack).await;
    completes(&stack, &third).await;
}

#[tokio::test]
async fn a_payout_priced_under_the_market_is_replaced_at_the_same_nonce() {
    let stack = Stack::start(StackOptions::default()).await;
    let wallet = pay_out_in(&stack, "ETH").await;
    let id = paid_session(&stack).await;
    stack.anvil.rpc("evm_setAutomine", json!([false])).await;
    eventually("the payout to be broadcast", WAIT, || async {
        let sent = outgoing(&stack, "payout").await;
        (sent.first().is_some_and(|(status, _)| status == "pending")).then_some(())
    })
    .await;
    // The base fee jumps far above what the payout offers: it cannot be mined.
    stack
        .anvil
        .rpc("anvil_setNextBlockBaseFeePerGas", json!(["0x2540be4000"]))
        .await;
    stack.anvil.mine(1).await;
    let first_hash = outgoing(&stack, "payout").await[0].1.clone();
    eventually("the payout to be replaced", WAIT, || async {
        let replaced: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM outgoing_hashes h JOIN outgoing o ON o.id = h.outgoing_id
             WHERE o.purpose = 'payout'",
        )
        .fetch_one(&stack.gateway.db)
        .await
        .unwrap();
        (replaced >= 2).then_some(())
    })
    .await;
    assert_ne!(outgoing(&stack, "payout").await[0].1, first_hash);
    stack.anvil.rpc("evm_setAutomine", json!([true])).await;
    completes(&stack, &id).await;
    let balance = stack
        .anvil
        .rpc("eth_getBalance", json!([wallet.to_string(), "latest"]))
        .await;
    assert_eq!(hex_quantity(&balance), 12_375_000_000_000_000, "paid once");
}

#[tokio::test]
async fn a_payout_dropped_from_the_mempool_is_sent_again() {
    let stack = Stack::start(StackOptions::default()).await;
    pay_out_in(&stack, "ETH").await;
    let id = paid_session(&stack).await;
    stack.anvil.rpc("evm_setAutomine", json!([false])).await;
    let hash = eventually("the payout to be broadcast", WAIT, || async {
        let sent = outgoing(&stack, "payout").await;
        sent.first()
            .filter(|(status, _)| status == "pending")
            .and_then(|(_, hash)| hash.clone())
    })
    .await;
    stack
        .anvil
        .rpc("anvil_dropTransaction", json!([hash]))
        .await;
    stack.anvil.rpc("evm_setAutomine", json!([true])).await;
    completes(&stack, &id).await;
}

async fn drain_treasury_stablecoin(stack: &Stack) {
    let devnet = stack.devnet(CHAIN_A);
    let balance = devnet
        .token_balance(stack.stablecoin, stack.treasury)
        .await
        .unwrap();
    let treasury = stack.treasury.to_string();
    stack
        .anvil
        .rpc("anvil_impersonateAccount", json!([treasury]))
        .await;
    devnet
        .send_token(
            stack.stablecoin,
            stack.treasury,
            EvmAddress::repeat_byte(0xde),
            balance,
        )
        .await
        .unwrap();
    stack
        .anvil
        .rpc("anvil_stopImpersonatingAccount", json!([treasury]))
        .await;
}

async fn events(stack: &Stack, id: &SessionId) -> Vec<EventType> {
    let list = stack
        .client
        .list_events(&EventListParams {
            session_id: Some(id.to_string()),
            limit: Some(100),
            ..EventListParams::default()
        })
        .await
        .unwrap();
    list.data.iter().map(|e| e.kind).collect()
}

#[tokio::test]
async fn a_reverted_payout_is_tried_again_and_pays_once_the_treasury_has_the_token() {
    let stack = Stack::start(StackOptions {
        max_payout_attempts: Some(3),
        ..StackOptions::default()
    })
    .await;
    let wallet = pay_out_in(&stack, STABLECOIN).await;
    drain_treasury_stablecoin(&stack).await;
    let id = paid_session(&stack).await;
    eventually("the payout to revert", WAIT, || async {
        let sent = outgoing(&stack, "payout").await;
        sent.iter()
            .any(|(status, _)| status == "reverted")
            .then_some(())
    })
    .await;
    let devnet = stack.devnet(CHAIN_A);
    let million = U256::from(10u64).pow(U256::from(12u64));
    devnet
        .mint(
            stack.stablecoin,
            tender_gateway::chain::devnet::DEV_ACCOUNTS[0],
            stack.treasury,
            million,
        )
        .await
        .unwrap();
    completes(&stack, &id).await;
    let paid = devnet
        .token_balance(stack.stablecoin, wallet)
        .await
        .unwrap();
    assert_eq!(paid, U256::from(24_750_000u64), "24.75 TUSD, once");
    assert!(
        !events(&stack, &id)
            .await
            .contains(&EventType::SessionSettlementFailed)
    );
}

#[tokio::test]
async fn a_payout_that_reverts_every_time_fails_and_the_merchant_hears_of_it() {
    let stack = Stack::start(StackOptions {
        max_payout_attempts: Some(2),
        ..StackOptions::default()
    })
    .await;
    pay_out_in(&stack, STABLECOIN).await;
    drain_treasury_stablecoin(&stack).await;
    let id = paid_session(&stack).await;
    eventually("session.settlement_failed", WAIT, || async {
        events(&stack, &id)
            .await
            .contains(&EventType::SessionSettlementFailed)
            .then_some(())
    })
    .await;
    let reverted = outgoing(&stack, "payout").await;
    assert_eq!(reverted.len(), 2, "two attempts: {reverted:?}");
    let session = stack.client.get_session(&id).await.unwrap();
    assert_eq!(session.status, SessionStatus::Paid, "not completed");
}

#[tokio::test]
async fn a_second_payment_to_a_swept_address_is_swept_too() {
    let stack = Stack::start(StackOptions::default()).await;
    let id = Stack::session_of(&stack.checkout(TSHIRT).await.payment_url);
    let quote = stack.quote_eth(&id).await;
    let deposit = quote.deposit_address.to_string();
    let balance = || async {
        hex_quantity(
            &stack
                .anvil
                .rpc("eth_getBalance", json!([deposit, "latest"]))
                .await,
        )
    };
    stack.pay(&quote, quote.amount_raw.0).await;
    stack.anvil.mine(1).await;
    eventually("the deposit to be swept", WAIT, || async {
        (balance().await < quote.amount_raw.0 / 100).then_some(())
    })
    .await;
    stack.pay(&quote, quote.amount_raw.0).await;
    stack.anvil.mine(1).await;
    eventually("the second payment to be swept", WAIT, || async {
        (balance().await < quote.amount_raw.0 / 100).then_some(())
    })
    .await;
    eventually("two sweeps mined", WAIT, || async {
        let sweeps = outgoing(&stack, "sweep").await;
        (sweeps
            .iter()
            .filter(|(status, _)| status == "mined")
            .count()
            == 2)
            .then_some(())
    })
    .await;
}
