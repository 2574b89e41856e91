//! Refunds on real anvil chains with a real gateway: the merchant's API and
//! its refusals, the shopper's claim and its refusals, the payout on chain,
//! and a refund of a payment taken off the merchant's next payout.

use std::time::Duration;

use alloy::primitives::{Address as EvmAddress, U256};
use serde_json::{Value, json};
use tender_e2e::anvil::hex_quantity;
use tender_e2e::stack::{CHAIN_A, TSHIRT};
use tender_e2e::{Stack, StackOptions, eventually};
use tender_protocol::{
    CreateRefund, EventListParams, EventType, Money, Refund, RefundSource, RefundStatus, SessionId,
    SessionStatus, SettlementDestination,
};

const WAIT: Duration = Duration::from_secs(45);

fn usd(amount: &str) -> Money {
    Money::parse(amount, tender_protocol::Currency::Usd).unwrap()
}

/// A session paid with `share` of its quote in ETH on chain A (1.5 pays
/// half again).
async fn paid(stack: &Stack, numerator: u128, denominator: u128) -> (SessionId, u128) {
    let id = Stack::session_of(&stack.checkout(TSHIRT).await.payment_url);
    let quote = stack.quote_eth(&id).await;
    let amount = quote.amount_raw.0 * numerator / denominator;
    stack.pay(&quote, amount).await;
    stack.anvil.mine(1).await;
    eventually("the session to be paid", WAIT, || async {
        let session = stack.client.get_session(&id).await.unwrap();
        (session.status == SessionStatus::Paid).then_some(())
    })
    .await;
    (id, amount)
}

fn token_of(refund: &Refund) -> String {
    refund
        .claim_url
        .as_deref()
        .expect("the claim link, in the answer that creates it")
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned()
}

async fn api_error(stack: &Stack, id: &SessionId, body: &CreateRefund) -> (u16, Value) {
    match stack.client.create_refund(id, body).await {
        Ok(refund) => panic!("refused expected, got {refund:?}"),
        Err(tender_client::Error::Api { status, detail }) => {
            (status.as_u16(), serde_json::to_value(&detail).unwrap())
        }
        Err(other) => panic!("{other}"),
    }
}

#[tokio::test]
async fn refunds_refuse_what_cannot_be_given_and_a_claim_is_taken_once() {
    let stack = Stack::start(StackOptions::default()).await;
    // An open session has nothing to give back.
    let open = Stack::session_of(&stack.checkout(TSHIRT).await.payment_url);
    let (status, _) = api_error(&stack, &open, &CreateRefund::default()).await;
    assert_eq!(status, 409);

    let (id, _) = paid(&stack, 1, 1).await;
    let too_much = CreateRefund {
        amount: Some(usd("25.01")),
        ..CreateRefund::default()
    };
    let (status, error) = api_error(&stack, &id, &too_much).await;
    assert_eq!(
        (status, error["param"].as_str()),
        (400, Some("amount")),
        "{error}"
    );
    let euros = CreateRefund {
        amount: Some(Money::parse("1.00", tender_protocol::Currency::Eur).unwrap()),
        ..CreateRefund::default()
    };
    assert_eq!(api_error(&stack, &id, &euros).await.0, 400);
    let nothing_held = CreateRefund {
        source: Some(RefundSource::Unallocated),
        ..CreateRefund::default()
    };
    assert_eq!(api_error(&stack, &id, &nothing_held).await.0, 409);

    let ten = stack
        .client
        .create_refund(
            &id,
            &CreateRefund {
                amount: Some(usd("10.00")),
                reason: Some("One size too small".into()),
                ..CreateRefund::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ten.status, RefundStatus::Pending);
    assert_eq!(ten.source, RefundSource::Payment);
    assert_eq!(
        ten.token_amount.as_deref(),
        Some("0.005"),
        "40% of 0.0125 ETH"
    );
    let twenty = CreateRefund {
        amount: Some(usd("20.00")),
        ..CreateRefund::default()
    };
    let (status, error) = api_error(&stack, &id, &twenty).await;
    assert_eq!(status, 400, "only 15.00 left: {error}");
    assert!(
        stack
            .client
            .get_refund(&ten.id)
            .await
            .unwrap()
            .claim_url
            .is_none(),
        "the link is shown once"
    );

    // The claim page.
    let token = token_of(&ten);
    let (status, claim) = stack.public(&format!("/v1/claims/{token}"), None).await;
    assert_eq!(status, 200, "{claim}");
    assert_eq!(claim["merchantName"], "Tender Demo Shop");
    assert_eq!(claim["amount"]["amount"], "10.00");
    assert_eq!(claim["reason"], "One size too small");
    let (status, _) = stack.public("/v1/claims/nope", None).await;
    assert_eq!(status, 404);
    let claim_with =
        |address: &str, confirm: bool| json!({"address": address, "confirmContract": confirm});
    let path = format!("/v1/claims/{token}");
    let (status, error) = stack
        .public(
            &path,
            Some(claim_with(
                "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",
                false,
            )),
        )
        .await;
    assert_eq!(
        (status, error["error"]["param"].as_str()),
        (400, Some("address")),
        "{error}"
    );
    let contract = stack.stablecoin.to_string();
    let (status, error) = stack
        .public(&path, Some(claim_with(&contract, false)))
        .await;
    assert_eq!(status, 409, "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("contract")
    );

    let shopper = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
    let (status, claimed) = stack.public(&path, Some(claim_with(shopper, false))).await;
    assert_eq!(status, 200, "{claimed}");
    assert_eq!(claimed["status"], "claimed");
    // The same claim again (a second click) answers where it stands;
    // another address cannot take the refund.
    let (status, again) = stack
        .public(&path, Some(claim_with(&shopper.to_lowercase(), false)))
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["destination"], claimed["destination"]);
    let someone_else = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
    let (status, _) = stack
        .public(&path, Some(claim_with(someone_else, false)))
        .await;
    assert_eq!(status, 409, "a link is used once");
    let (status, _) = stack
        .public(&format!("/v1/refunds/{}/cancel", ten.id), Some(json!({})))
        .await;
    assert_eq!(status, 401, "the merchant API needs its key");
    assert!(
        stack.client.cancel_refund(&ten.id).await.is_err(),
        "claimed: too late"
    );

    // A pending refund canceled, and one whose link expired.
    let five = stack
        .client
        .create_refund(
            &id,
            &CreateRefund {
                amount: Some(usd("5.00")),
                ..CreateRefund::default()
            },
        )
        .await
        .unwrap();
    let canceled = stack.client.cancel_refund(&five.id).await.unwrap();
    assert_eq!(canceled.status, RefundStatus::Canceled);
    let (status, _) = stack
        .public(
            &format!("/v1/claims/{}", token_of(&five)),
            Some(claim_with(shopper, false)),
        )
        .await;
    assert_eq!(status, 409);
    let late = stack
        .client
        .create_refund(
            &id,
            &CreateRefund {
                amount: Some(usd("5.00")),
                ..CreateRefund::default()
            },
        )
        .await
        .unwrap();
    stack.clock.advance(31 * 24 * 3600);
    let late_path = format!("/v1/claims/{}", token_of(&late));
    let (_, shown) = stack.public(&late_path, None).await;
    assert_eq!(shown["expired"], true);
    let (status, error) = stack
        .public(&late_path, Some(claim_with(shopper, false)))
        .await;
    assert_eq!(status, 409);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
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
    list.data.iter().rev().map(|e| e.kind).collect()
}

/// Mines now and then until the refund is completed.
async fn completes(stack: &Stack, refund: &Refund) -> Refund {
    eventually("the refund to be completed", WAIT, || async {
        stack.anvil.mine(1).await;
        let now = stack.client.get_refund(&refund.id).await.unwrap();
        (now.status == RefundStatus::Completed).then_some(now)
    })
    .await
}

#[tokio::test]
async fn an_overpayment_is_refunded_to_the_address_the_shopper_claims_with() {
    let stack = Stack::start(StackOptions::default()).await;
    let (id, paid_raw) = paid(&stack, 3, 2).await;
    let session = stack.client.get_session(&id).await.unwrap();
    let held = session.payments[0]
        .unallocated
        .as_ref()
        .unwrap()
        .amount_raw
        .0;
    assert_eq!(held, paid_raw / 3);
    let refund = stack
        .client
        .create_refund(
            &id,
            &CreateRefund {
                source: Some(RefundSource::Unallocated),
                ..CreateRefund::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(refund.token_amount_raw.map(|r| r.0), Some(held));
    assert_eq!(refund.amount, usd("12.50"));
    let shopper = EvmAddress::repeat_byte(0x5e);
    let (status, body) = stack
        .public(
            &format!("/v1/claims/{}", token_of(&refund)),
            Some(json!({"address": shopper.to_string()})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let done = completes(&stack, &refund).await;
    assert!(done.tx_hash.is_some());
    let balance = stack
        .anvil
        .rpc("eth_getBalance", json!([shopper.to_string(), "latest"]))
        .await;
    assert_eq!(hex_quantity(&balance), held, "the excess, to the wei");
    let kinds = events(&stack, &id).await;
    for kind in [
        EventType::RefundCreated,
        EventType::RefundClaimed,
        EventType::RefundCompleted,
    ] {
        assert!(kinds.contains(&kind), "{kind:?} in {kinds:?}");
    }
}

#[tokio::test]
async fn a_refund_of_a_payment_comes_off_the_merchants_next_payout() {
    let stack = Stack::start(StackOptions::default()).await;
    let wallet = EvmAddress::repeat_byte(0x6d);
    let (first, _) = paid(&stack, 1, 1).await;
    let refund = stack
        .client
        .create_refund(
            &first,
            &CreateRefund {
                amount: Some(usd("10.00")),
                ..CreateRefund::default()
            },
        )
        .await
        .unwrap();
    stack
        .public(
            &format!("/v1/claims/{}", token_of(&refund)),
            Some(json!({"address": EvmAddress::repeat_byte(0x5f).to_string()})),
        )
        .await;
    completes(&stack, &refund).await;

    stack
        .client
        .put_settlement_destination(&SettlementDestination {
            network: CHAIN_A.into(),
            token: "ETH".into(),
            address: wallet.to_string().parse().unwrap(),
        })
        .await
        .unwrap();
    // Both sessions settle now: 24.75 + 24.75 less the 10.00 owed.
    eventually("both payouts", WAIT, || async {
        stack.anvil.mine(1).await;
        let balance = hex_quantity(
            &stack
                .anvil
                .rpc("eth_getBalance", json!([wallet.to_string(), "latest"]))
                .await,
        );
        (balance > 0).then_some(balance)
    })
    .await;
    let (second, _) = paid(&stack, 1, 1).await;
    eventually("the sessions to complete", WAIT, || async {
        stack.anvil.mine(1).await;
        let a = stack.client.get_session(&first).await.unwrap().status;
        let b = stack.client.get_session(&second).await.unwrap().status;
        (a == SessionStatus::Completed && b == SessionStatus::Completed).then_some(())
    })
    .await;
    let balance = hex_quantity(
        &stack
            .anvil
            .rpc("eth_getBalance", json!([wallet.to_string(), "latest"]))
            .await,
    );
    // 39.50 USD at 2000 USD/ETH.
    assert_eq!(U256::from(balance), U256::from(19_750_000_000_000_000u128));
}

#[tokio::test]
async fn with_the_automatic_policy_an_overpayment_is_offered_back_on_the_cashier_page() {
    let stack = Stack::start(StackOptions::default()).await;
    stack
        .client
        .put_account_settings(&tender_protocol::AccountSettings {
            stray_money: tender_protocol::StrayMoneyPolicy::Automatic,
            ..Default::default()
        })
        .await
        .unwrap();
    let (id, paid_raw) = paid(&stack, 3, 2).await;
    let held = paid_raw / 3;
    let offer = eventually("the offer on the cashier", WAIT, || async {
        let (_, public) = stack.public(&format!("/v1/pay/{id}"), None).await;
        public["refundOffers"].as_array()?.first().cloned()
    })
    .await;
    assert_eq!(offer["amount"], "0.00625");
    assert_eq!(offer["token"], "ETH");
    let refunds = stack
        .client
        .list_refunds(&tender_protocol::RefundListParams {
            session_id: Some(id.to_string()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(refunds.data.len(), 1, "the merchant sees it too");
    assert_eq!(
        refunds.data[0].network_fee,
        tender_protocol::NetworkFeePayer::Customer
    );

    let token = offer["claimUrl"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    let shopper = EvmAddress::repeat_byte(0x7a);
    let (status, body) = stack
        .public(
            &format!("/v1/claims/{token}"),
            Some(json!({"address": shopper.to_string()})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let done = completes(&stack, &refunds.data[0]).await;
    let sent = done.token_amount_raw.unwrap().0;
    assert!(sent < held, "the network fee came off: {sent} of {held}");
    let balance = stack
        .anvil
        .rpc("eth_getBalance", json!([shopper.to_string(), "latest"]))
        .await;
    assert_eq!(hex_quantity(&balance), sent);
    let (_, public) = stack.public(&format!("/v1/pay/{id}"), None).await;
    assert!(
        public.get("refundOffers").is_none(),
        "claimed: no longer offered"
    );
}
