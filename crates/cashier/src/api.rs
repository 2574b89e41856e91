//! The cashier's calls to the gateway's public API (same origin).

use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;
use tender_protocol::{CreateQuote, ErrorBody, PublicSession, Quote, SessionId};

const UNREACHABLE: &str = "We could not reach the payment service. Check your connection.";

async fn read<T: DeserializeOwned>(response: Response) -> Result<T, String> {
    if response.ok() {
        return response
            .json()
            .await
            .map_err(|_| "The payment service answered something unexpected.".to_owned());
    }
    Err(match response.json::<ErrorBody>().await {
        Ok(body) => body.error.message,
        Err(_) => format!("The payment service failed (error {}).", response.status()),
    })
}

/// The session as the shopper may see it.
pub async fn session(id: &SessionId) -> Result<PublicSession, String> {
    let response = Request::get(&format!("/v1/pay/{id}"))
        .send()
        .await
        .map_err(|_| UNREACHABLE.to_owned())?;
    read(response).await
}

/// A fresh quote in `token` on `network`.
pub async fn quote(id: &SessionId, network: &str, token: &str) -> Result<Quote, String> {
    let body = CreateQuote {
        network: network.to_owned(),
        token: token.to_owned(),
    };
    let response = Request::post(&format!("/v1/pay/{id}/quote"))
        .json(&body)
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|_| UNREACHABLE.to_owned())?;
    read(response).await
}
