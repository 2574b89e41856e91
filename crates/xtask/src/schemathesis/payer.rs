//! Pays a fixture session on the run's anvil, as a shopper would: a quote
//! from the cashier's API, then a transfer from a funded account.

use serde_json::{Value, json};
use tender_client::Client;
use tender_protocol::{Quote, SessionId, SessionStatus};

/// anvil's first funded account, which pays the fixture session.
const PAYER: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

/// Pays `session` in full from [`PAYER`] on the anvil at `rpc`, through a
/// quote as a shopper would; answers once the gateway counts it paid.
pub async fn pay(client: &Client, url: &str, rpc: &str, session: &SessionId) -> anyhow::Result<()> {
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
