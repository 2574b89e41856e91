//! Verifying a webhook from the gateway on the raw request body.

use tender_protocol::{Event, VerifyError, WebhookSecret};

/// Why a webhook was refused; answer 4xx and change nothing.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("signature check failed: {0}")]
    Signature(#[from] VerifyError),
    #[error("the signed body is not a Tender event: {0}")]
    Payload(#[from] serde_json::Error),
}

/// Checks the Standard Webhooks headers against the raw body (within ±5
/// minutes of now) and parses the event. Verify before parsing: the bytes
/// that were signed are the bytes that count.
///
/// ```
/// use tender_client::verify_webhook;
/// use tender_protocol::WebhookSecret;
///
/// let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
/// let headers = http::HeaderMap::new();
/// assert!(verify_webhook(&secret, &headers, b"{}").is_err());
/// ```
pub fn verify_webhook(
    secret: &WebhookSecret,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<Event, WebhookError> {
    secret.verify(headers, body)?;
    Ok(serde_json::from_slice(body)?)
}
