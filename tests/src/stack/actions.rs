//! What a test does with a running stack, as a shopper or a merchant
//! would: check out, quote, pay, and read back.

use tender_protocol::{CheckoutResponse, Order, OrderId, PublicSession, Quote, SessionId};

use crate::stack::{CHAIN_A, CHAIN_B, Stack};

/// How long a test waits for the watcher.
const WAIT: std::time::Duration = std::time::Duration::from_secs(30);

impl Stack {
    /// Moves time `seconds` forward everywhere: on both chains (a block is
    /// mined at the new time on each) and on the gateway's clock.
    pub async fn advance_time(&self, seconds: u64) {
        self.anvil.advance_time(seconds).await;
        self.anvil_b.advance_time(seconds).await;
        self.clock.advance(seconds as i64);
    }

    /// Waits until the gateway's watcher has scanned `network` through
    /// block `number`.
    pub async fn scanned_through(&self, network: &str, number: u64) {
        let chain_id = self
            .gateway
            .config
            .network(network)
            .expect("a configured network")
            .chain_id;
        crate::eventually("the watcher to scan the block", WAIT, || async {
            let cursor: i64 =
                sqlx::query_scalar("SELECT block_number FROM chain_cursors WHERE chain_id = $1")
                    .bind(chain_id as i64)
                    .fetch_one(&self.gateway.db)
                    .await
                    .ok()?;
            (cursor as u64 >= number).then_some(())
        })
        .await;
    }

    /// Pays `amount` base units of a quote's token into its deposit address
    /// from anvil's first dev account, on the quote's chain (mined at once
    /// unless the chain has a block time). Answers the tx hash.
    pub async fn pay(&self, quote: &Quote, amount: u128) -> alloy::primitives::B256 {
        let network = if quote.chain_id == self.anvil_b.chain_id {
            CHAIN_B
        } else {
            CHAIN_A
        };
        let chain = self.devnet(network);
        let payer = crate::anvil::DEV_ACCOUNT.parse().expect("address");
        let to = quote.deposit_address.as_str().parse().expect("address");
        let amount = alloy::primitives::U256::from(amount);
        let sent = match &quote.token_address {
            None => chain.send_native(payer, to, amount).await,
            Some(token) => {
                chain
                    .send_token(token.as_str().parse().expect("address"), payer, to, amount)
                    .await
            }
        };
        sent.expect("the payment is mined")
    }

    /// Starts a checkout the way the Pay button does.
    pub async fn checkout(&self, product: &str) -> CheckoutResponse {
        let response = self
            .http
            .post(format!("{}/api/checkout", self.merchant_url))
            .json(&serde_json::json!({"productId": product, "quantity": 1}))
            .send()
            .await
            .expect("merchant reachable");
        assert!(
            response.status().is_success(),
            "checkout failed: {}",
            response.status()
        );
        response.json().await.expect("checkout answer")
    }

    /// The session id at the end of a payment URL.
    pub fn session_of(payment_url: &str) -> SessionId {
        SessionId::parse(payment_url.rsplit('/').next().expect("path")).expect("session id")
    }

    /// The cashier's view of a session.
    pub async fn public_session(&self, id: &SessionId) -> PublicSession {
        self.http
            .get(format!("{}/v1/pay/{id}", self.gateway_url))
            .send()
            .await
            .expect("gateway reachable")
            .json()
            .await
            .expect("public session")
    }

    /// Asks for a quote, as the cashier does; answers the HTTP status and body.
    pub async fn try_quote(
        &self,
        id: &SessionId,
        network: &str,
        token: &str,
    ) -> (u16, serde_json::Value) {
        let response = self
            .http
            .post(format!("{}/v1/pay/{id}/quote", self.gateway_url))
            .json(&serde_json::json!({"network": network, "token": token}))
            .send()
            .await
            .expect("gateway reachable");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON answer"))
    }

    /// A public call to the gateway (the cashier's or a claim page's):
    /// `GET` without a body, else `POST` with it; answers status and JSON.
    pub async fn public(
        &self,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let url = format!("{}{path}", self.gateway_url);
        let request = match body {
            Some(body) => self.http.post(url).json(&body),
            None => self.http.get(url),
        };
        let response = request.send().await.expect("gateway reachable");
        let status = response.status().as_u16();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    /// A quote that must succeed.
    pub async fn quote(&self, id: &SessionId, network: &str, token: &str) -> Quote {
        let (status, body) = self.try_quote(id, network, token).await;
        assert_eq!(status, 201, "quote failed: {body}");
        serde_json::from_value(body).expect("quote")
    }

    /// Asks for a quote in native ETH on chain A.
    pub async fn quote_eth(&self, id: &SessionId) -> Quote {
        self.quote(id, CHAIN_A, "ETH").await
    }

    /// The merchant's view of an order, as the success page polls it.
    pub async fn order(&self, id: &OrderId) -> Order {
        self.http
            .get(format!("{}/api/orders/{id}", self.merchant_url))
            .send()
            .await
            .expect("merchant reachable")
            .json()
            .await
            .expect("order")
    }
}
