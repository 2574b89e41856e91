//! The cashier's calls to the gateway's public API (same origin).

use tender_protocol::{Claim, ClaimRefund, CreateQuote, PublicSession, Quote, SessionId};
use tender_web::i18n::{t, tf};
use tender_web::{FetchError, fetch_json};

/// In words for the shopper.
fn explain(error: FetchError) -> String {
    match error {
        FetchError::Unreachable => t("error.unreachable"),
        FetchError::Unreadable => t("error.unreadable"),
        FetchError::Refused {
            message: Some(message),
            ..
        } => message,
        FetchError::Refused { status, .. } => tf("error.failed", &[("status", &status)]),
    }
}

/// The session as the shopper may see it.
pub async fn session(id: &SessionId) -> Result<PublicSession, String> {
    fetch_json("GET", &format!("/v1/pay/{id}"), None)
        .await
        .map_err(explain)
}

/// A fresh quote in `token` on `network`.
pub async fn quote(id: &SessionId, network: &str, token: &str) -> Result<Quote, String> {
    let body = CreateQuote {
        network: network.to_owned(),
        token: token.to_owned(),
    };
    let body = tender_web::to_json(&body).ok_or("This request could not be written.")?;
    fetch_json("POST", &format!("/v1/pay/{id}/quote"), Some(body))
        .await
        .map_err(explain)
}

/// The refund a claim link names.
pub async fn claim(token: &str) -> Result<Claim, String> {
    fetch_json("GET", &format!("/v1/claims/{token}"), None)
        .await
        .map_err(explain)
}

/// Claims a refund to `address`; a refusal comes back with its status.
pub async fn claim_refund(
    token: &str,
    address: &str,
    confirm_contract: bool,
) -> Result<Claim, (u16, String)> {
    let body = ClaimRefund {
        address: address.to_owned(),
        confirm_contract,
    };
    let body =
        tender_web::to_json(&body).ok_or((0, "This request could not be written.".to_owned()))?;
    fetch_json("POST", &format!("/v1/claims/{token}"), Some(body))
        .await
        .map_err(|e| {
            let status = match &e {
                FetchError::Refused { status, .. } => *status,
                _ => 0,
            };
            (status, explain(e))
        })
}
