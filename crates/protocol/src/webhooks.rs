//! Standard Webhooks signatures (<https://www.standardwebhooks.com/>):
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`,
//! secrets written `whsec_<base64>`. Signing and verifying (feature
//! `signing`, servers only) go through the Standard Webhooks authors'
//! `standardwebhooks` crate; this module adds the secret's type, which
//! never shows its key, and an overflow-safe timestamp check before the
//! crate's own.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// Header carrying the message id, which receivers use as the idempotency key.
pub const HEADER_ID: &str = "webhook-id";
/// Header carrying the send time in unix seconds.
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
/// Header carrying one or more space-separated `v1,<base64>` signatures.
pub const HEADER_SIGNATURE: &str = "webhook-signature";
/// How far a timestamp may be from the receiver's clock, either way.
pub const TOLERANCE_SECONDS: i64 = 5 * 60;

const SECRET_PREFIX: &str = "whsec_";

/// Why a secret string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a webhook secret is \"whsec_\" followed by base64 of at least 24 bytes")]
pub struct InvalidSecret;

/// Why a delivery did not verify. Receivers answer 4xx to every one of these
/// and change nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("missing {0} header")]
    MissingHeader(&'static str),
    #[error("webhook-timestamp is not a unix time in seconds")]
    InvalidTimestamp,
    #[error("webhook-timestamp is more than 5 minutes from now")]
    TimestampOutOfTolerance,
    #[error("no signature matches")]
    NoMatchingSignature,
}

/// A webhook signing secret. Its `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret {
    key: Vec<u8>,
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(whsec_***)")
    }
}

impl WebhookSecret {
    /// Parses `whsec_<base64>`.
    pub fn parse(text: &str) -> Result<Self, InvalidSecret> {
        let encoded = text.strip_prefix(SECRET_PREFIX).ok_or(InvalidSecret)?;
        let key = BASE64.decode(encoded).map_err(|_| InvalidSecret)?;
        if key.len() < 24 {
            return Err(InvalidSecret);
        }
        Ok(Self { key })
    }

    /// A fresh random 32-byte secret.
    #[cfg(feature = "generate")]
    pub fn generate() -> Self {
        use rand::RngCore;
        let mut key = vec![0u8; 32];
        rand::rng().fill_bytes(&mut key);
        Self { key }
    }

    /// The secret in its `whsec_<base64>` form, to show the merchant once or
    /// to store. Deliberately not `Display`, so it never lands in a log line.
    pub fn expose(&self) -> String {
        format!("{SECRET_PREFIX}{}", BASE64.encode(&self.key))
    }
}

#[cfg(feature = "signing")]
impl WebhookSecret {
    fn signer(&self) -> standardwebhooks::Webhook {
        standardwebhooks::Webhook::from_bytes(self.key.clone()).expect("any key is a signing key")
    }

    /// One signature, `v1,<base64>`, of a JSON body.
    pub fn sign(&self, id: &str, timestamp: i64, body: &str) -> String {
        self.signer()
            .sign(id, timestamp, body.as_bytes())
            .expect("a str body is valid UTF-8")
    }

    /// Checks a delivery against the current time: the timestamp within ±5
    /// minutes and one of the header's `v1` signatures matching, compared in
    /// constant time.
    pub fn verify(&self, headers: &http::HeaderMap, body: &[u8]) -> Result<(), VerifyError> {
        let header = |name: &'static str| {
            headers
                .get(name)
                .map(|v| v.to_str().map_err(|_| VerifyError::NoMatchingSignature))
                .ok_or(VerifyError::MissingHeader(name))?
        };
        header(HEADER_ID)?;
        header(HEADER_SIGNATURE)?;
        let timestamp: i64 = header(HEADER_TIMESTAMP)?
            .parse()
            .map_err(|_| VerifyError::InvalidTimestamp)?;
        // Checked here first: the crate subtracts the timestamp from now
        // unchecked, which overflows on an extreme one (found by fuzzing).
        if unix_now().abs_diff(timestamp) > TOLERANCE_SECONDS.unsigned_abs() {
            return Err(VerifyError::TimestampOutOfTolerance);
        }
        self.signer().verify(body, headers).map_err(|e| match e {
            standardwebhooks::WebhookError::TimestampTooOldError
            | standardwebhooks::WebhookError::FutureTimestampError => {
                VerifyError::TimestampOutOfTolerance
            }
            _ => VerifyError::NoMatchingSignature,
        })
    }
}

#[cfg(feature = "signing")]
fn unix_now() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
}

/// The `webhook-signature` value for a delivery signed by every secret given
/// (several while a secret is being rotated).
#[cfg(feature = "signing")]
pub fn signature_header(secrets: &[WebhookSecret], id: &str, timestamp: i64, body: &str) -> String {
    secrets
        .iter()
        .map(|s| s.sign(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(all(test, feature = "signing"))]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn headers(sig: &str, ts: &str) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert(HEADER_ID, http::HeaderValue::from_static("evt_1"));
        h.insert(HEADER_TIMESTAMP, http::HeaderValue::from_str(ts).unwrap());
        h.insert(HEADER_SIGNATURE, http::HeaderValue::from_str(sig).unwrap());
        h
    }

    #[test]
    fn own_signature_verifies() {
        let secret = WebhookSecret::parse(SECRET).unwrap();
        let now = unix_now() - 10;
        let sig = secret.sign("evt_1", now, "{}");
        assert_eq!(
            secret.verify(&headers(&sig, &now.to_string()), b"{}"),
            Ok(())
        );
    }

    #[test]
    fn tampered_body_wrong_secret_and_stale_timestamp_are_rejected() {
        let secret = WebhookSecret::parse(SECRET).unwrap();
        let other = WebhookSecret::parse("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
        let now = unix_now();
        let sig = secret.sign("evt_1", now, "{\"a\":1}");
        let h = headers(&sig, &now.to_string());
        assert_eq!(
            secret.verify(&h, b"{\"a\":2}"),
            Err(VerifyError::NoMatchingSignature)
        );
        assert_eq!(
            other.verify(&h, b"{\"a\":1}"),
            Err(VerifyError::NoMatchingSignature)
        );
        for off in [TOLERANCE_SECONDS + 5, -TOLERANCE_SECONDS - 5] {
            let ts = now + off;
            let sig = secret.sign("evt_1", ts, "{}");
            assert_eq!(
                secret.verify(&headers(&sig, &ts.to_string()), b"{}"),
                Err(VerifyError::TimestampOutOfTolerance)
            );
        }
    }

    #[test]
    fn any_of_several_signatures_may_match() {
        let old = WebhookSecret::parse(SECRET).unwrap();
        let new = WebhookSecret::parse("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
        let now = unix_now();
        let header = signature_header(&[old.clone(), new.clone()], "evt_1", now, "x");
        let h = headers(&header, &now.to_string());
        assert!(old.verify(&h, b"x").is_ok());
        assert!(new.verify(&h, b"x").is_ok());
    }

    #[test]
    fn secrets_must_be_prefixed_base64_of_enough_bytes() {
        assert!(WebhookSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
        assert!(WebhookSecret::parse("whsec_!!!").is_err());
        assert!(WebhookSecret::parse("whsec_AAAA").is_err());
        let s = WebhookSecret::parse(SECRET).unwrap();
        assert_eq!(s.expose(), SECRET);
        assert!(!format!("{s:?}").contains("MfKQ"));
    }

    #[test]
    fn extreme_timestamps_are_out_of_tolerance_not_a_crash() {
        let secret = WebhookSecret::parse(SECRET).unwrap();
        for extreme in [i64::MIN, i64::MAX] {
            let sig = secret.sign("evt_1", extreme, "");
            assert_eq!(
                secret.verify(&headers(&sig, &extreme.to_string()), b""),
                Err(VerifyError::TimestampOutOfTolerance)
            );
        }
    }

    #[test]
    fn missing_and_malformed_headers_are_named() {
        let secret = WebhookSecret::parse(SECRET).unwrap();
        let now = unix_now();
        let sig = secret.sign("evt_1", now, "");
        assert_eq!(
            secret.verify(&headers(&sig, "soon"), b""),
            Err(VerifyError::InvalidTimestamp)
        );
        let mut h = headers(&sig, &now.to_string());
        h.remove(HEADER_SIGNATURE);
        assert_eq!(
            secret.verify(&h, b""),
            Err(VerifyError::MissingHeader(HEADER_SIGNATURE))
        );
    }
}
