//! `POST /webhooks/tender` over real HTTP: signed deliveries apply once,
//! anything that does not verify changes nothing.

use serde_json::{Value, json};
use tender_protocol::WebhookSecret;
use tender_protocol::webhooks::{HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use time::OffsetDateTime;

mod common;

use common::{ORDER, SECRET, SESSION, Shop, shop_with_an_order};

fn event(id: &str, kind: &str, status: &str) -> Value {
    let tx = format!("0x{}", "ab".repeat(32));
    json!({
        "id": id, "type": kind, "createdAt": "2026-11-26T12:00:00Z",
        "data": {"session": {
            "id": SESSION, "status": status, "paymentUrl": "http://gw.test/pay/cs_test1",
            "lineItems": [], "amountDue": {"amount": "1.00", "currency": "USD"},
            "amountReceived": {"amount": "1.00", "currency": "USD"},
            "metadata": {"order_id": ORDER}, "successUrl": "http://shop.test/ok", "cancelUrl": null,
            "expiresAt": "2026-11-26T13:00:00Z", "createdAt": "2026-11-26T12:00:00Z",
            "payments": [{
                "txHash": tx, "network": "anvil", "chainId": 31337, "token": "ETH",
                "amount": "0.0005", "amountRaw": "500000000000000",
                "from": "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", "blockNumber": 5,
                "confirmations": 2, "status": "confirmed",
                "gasFee": {"amount": "0.000021", "amountRaw": "21000000000000", "token": "ETH"},
                "exchangeRate": {"token": "ETH", "currency": "USD", "price": "2000.00"}
            }]
        }}
    })
}

impl Shop {
    async fn deliver(&self, id: &str, body: &str, secret: &str, timestamp: i64) -> u16 {
        let signature = WebhookSecret::parse(secret)
            .unwrap()
            .sign(id, timestamp, body);
        self.http
            .post(format!("{}/webhooks/tender", self.url))
            .header(HEADER_ID, id)
            .header(HEADER_TIMESTAMP, timestamp.to_string())
            .header(HEADER_SIGNATURE, signature)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    async fn order(&self) -> Value {
        self.http
            .get(format!("{}/api/orders/{ORDER}", self.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn shipments(&self) -> i64 {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM shipments")
            .fetch_one(&self.state.db)
            .await
            .unwrap();
        n
    }
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

#[tokio::test]
async fn a_verified_paid_event_fulfils_the_order_once_despite_duplicates() {
    let shop = shop_with_an_order().await;
    let body = event("evt_paid", "session.paid", "paid").to_string();
    for _ in 0..3 {
        assert_eq!(shop.deliver("evt_paid", &body, SECRET, now()).await, 200);
    }
    let order = shop.order().await;
    assert_eq!(order["status"], "fulfilled");
    assert_eq!(order["txHash"], format!("0x{}", "ab".repeat(32)));
    assert_eq!(shop.shipments().await, 1);
}

#[tokio::test]
async fn a_paid_late_event_that_does_not_cover_the_amount_due_ships_nothing() {
    let shop = shop_with_an_order().await;
    let mut short = event("evt_late_dust", "session.paid_late", "expired");
    short["data"]["session"]["amountReceived"]["amount"] = json!("0.01");
    assert_eq!(
        shop.deliver("evt_late_dust", &short.to_string(), SECRET, now())
            .await,
        200
    );
    assert_eq!(shop.order().await["status"], "awaiting_payment");
    assert_eq!(shop.shipments().await, 0);
    // One that covers it is fulfilled.
    let full = event("evt_late_full", "session.paid_late", "paid").to_string();
    assert_eq!(
        shop.deliver("evt_late_full", &full, SECRET, now()).await,
        200
    );
    assert_eq!(shop.order().await["status"], "fulfilled");
    assert_eq!(shop.shipments().await, 1);
}

fn refund_completed(id: &str, refund: &str, amount: &str) -> Value {
    let mut body = event(id, "refund.completed", "paid");
    body["data"]["refund"] = json!({
        "id": refund, "sessionId": SESSION, "status": "completed", "source": "payment",
        "basis": "token", "networkFee": "merchant",
        "amount": {"amount": amount, "currency": "USD"},
        "network": "anvil", "chainId": 31337, "token": "ETH", "decimals": 18,
        "claimExpiresAt": "2026-12-26T12:00:00Z", "createdAt": "2026-11-26T12:00:00Z"
    });
    body
}

#[tokio::test]
async fn refunds_paid_out_make_the_order_partially_then_fully_refunded_once_each() {
    let shop = shop_with_an_order().await;
    let paid = event("evt_paid", "session.paid", "paid").to_string();
    assert_eq!(shop.deliver("evt_paid", &paid, SECRET, now()).await, 200);
    let first = refund_completed("evt_r1", "re_one", "0.40").to_string();
    for _ in 0..2 {
        assert_eq!(shop.deliver("evt_r1", &first, SECRET, now()).await, 200);
    }
    assert_eq!(shop.order().await["status"], "partially_refunded");
    // The same refund under another delivery id counts once too.
    let again = refund_completed("evt_r1_again", "re_one", "0.40").to_string();
    assert_eq!(
        shop.deliver("evt_r1_again", &again, SECRET, now()).await,
        200
    );
    assert_eq!(shop.order().await["status"], "partially_refunded");
    let rest = refund_completed("evt_r2", "re_two", "0.60").to_string();
    assert_eq!(shop.deliver("evt_r2", &rest, SECRET, now()).await, 200);
    assert_eq!(shop.order().await["status"], "refunded");
    assert_eq!(
        shop.shipments().await,
        1,
        "fulfilled once, before the refunds"
    );
}

#[tokio::test]
async fn an_older_event_after_a_newer_one_changes_nothing() {
    let shop = shop_with_an_order().await;
    let paid = event("evt_paid", "session.paid", "paid").to_string();
    let processing = event("evt_processing", "session.processing", "processing").to_string();
    assert_eq!(shop.deliver("evt_paid", &paid, SECRET, now()).await, 200);
    assert_eq!(
        shop.deliver("evt_processing", &processing, SECRET, now())
            .await,
        200
    );
    assert_eq!(shop.order().await["status"], "fulfilled");
    assert_eq!(shop.shipments().await, 1);
}

#[tokio::test]
async fn tampered_stale_or_foreign_deliveries_are_refused_and_change_nothing() {
    let shop = shop_with_an_order().await;
    let body = event("evt_paid", "session.paid", "paid").to_string();
    let signature = WebhookSecret::parse(SECRET)
        .unwrap()
        .sign("evt_paid", now(), &body);
    let tampered = body.replace("paid", "PAID");
    let status = shop
        .http
        .post(format!("{}/webhooks/tender", shop.url))
        .header(HEADER_ID, "evt_paid")
        .header(HEADER_TIMESTAMP, now().to_string())
        .header(HEADER_SIGNATURE, signature)
        .body(tampered)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 400, "tampered body");
    assert_eq!(
        shop.deliver("evt_paid", &body, SECRET, now() - 600).await,
        400,
        "stale"
    );
    let other = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    assert_eq!(
        shop.deliver("evt_paid", &body, other, now()).await,
        400,
        "wrong secret"
    );
    assert_eq!(shop.order().await["status"], "awaiting_payment");
    assert_eq!(shop.shipments().await, 0);
    // The refused id was not recorded: the genuine delivery still applies.
    assert_eq!(shop.deliver("evt_paid", &body, SECRET, now()).await, 200);
    assert_eq!(shop.order().await["status"], "fulfilled");
}
