//! Standard Webhooks signatures (<https://www.standardwebhooks.com/>):
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`,
//! secrets written `whsec_<base64>`.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

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

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key size");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().into()
    }

    /// One signature, `v1,<base64>`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        format!("v1,{}", BASE64.encode(self.mac(id, timestamp, body)))
    }

    /// Checks a delivery: the timestamp within ±5 minutes of `now` (unix
    /// seconds) and one of the header's `v1` signatures matching, compared in
    /// constant time.
    pub fn verify(
        &self,
        headers: &SignedHeaders<'_>,
        body: &[u8],
        now: i64,
    ) -> Result<(), VerifyError> {
        let timestamp: i64 = headers
            .timestamp
            .trim()
            .parse()
            .map_err(|_| VerifyError::InvalidTimestamp)?;
        // abs_diff: an extreme timestamp must not overflow (found by fuzzing).
        if now.abs_diff(timestamp) > TOLERANCE_SECONDS.unsigned_abs() {
            return Err(VerifyError::TimestampOutOfTolerance);
        }
        let expected = self.mac(headers.id, timestamp, body);
        let matched = headers
            .signature
            .split(' ')
            .filter_map(|entry| entry.strip_prefix("v1,"))
            .filter_map(|encoded| BASE64.decode(encoded).ok())
            .fold(false, |found, candidate| {
                found | bool::from(candidate.as_slice().ct_eq(&expected))
            });
        if matched {
            Ok(())
        } else {
            Err(VerifyError::NoMatchingSignature)
        }
    }
}

/// The three Standard Webhooks headers of one delivery, as received.
#[derive(Debug, Clone, Copy)]
pub struct SignedHeaders<'a> {
    pub id: &'a str,
    pub timestamp: &'a str,
    pub signature: &'a str,
}

impl<'a> SignedHeaders<'a> {
    /// Reads the three headers through `get`, which looks a header up by its
    /// lower-case name (so any HTTP library's header map works).
    pub fn from_lookup(get: impl Fn(&'static str) -> Option<&'a str>) -> Result<Self, VerifyError> {
        let need = |name| get(name).ok_or(VerifyError::MissingHeader(name));
        Ok(Self {
            id: need(HEADER_ID)?,
            timestamp: need(HEADER_TIMESTAMP)?,
            signature: need(HEADER_SIGNATURE)?,
        })
    }
}

/// The `webhook-signature` value for a delivery signed by every secret given
/// (several while a secret is being rotated).
pub fn signature_header(
    secrets: &[WebhookSecret],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    secrets
        .iter()
        .map(|s| s.sign(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const NOW: i64 = 1_700_000_000;

    fn headers<'a>(sig: &'a str, ts: &'a str) -> SignedHeaders<'a> {
        SignedHeaders {
            id: "evt_1",
            timestamp: ts,
            signature: sig,
        }
    }

    #[test]
    fn own_signature_verifies() {
        let secret = WebhookSecret::parse(SECRET).unwrap();
        let sig = secret.sign("evt_1", NOW, b"{}");
        let ts = NOW.to_string();
        assert_eq!(secret.verify(&headers(&sig, &ts), b"{}", NOW + 10), Ok(()));
    }

    #[test]
    fn tampered_body_wrong_secret_and_stale_timestamp_are_rejected() {
        let secret = WebhookSecret::parse(SECRET).unwrap();
        let other = WebhookSecret::parse("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
        let sig = secret.sign("evt_1", NOW, b"{\"a\":1}");
        let ts = NOW.to_string();
        let h = headers(&sig, &ts);
        assert_eq!(
            secret.verify(&h, b"{\"a\":2}", NOW),
            Err(VerifyError::NoMatchingSignature)
        );
        assert_eq!(
            other.verify(&h, b"{\"a\":1}", NOW),
            Err(VerifyError::NoMatchingSignature)
        );
        assert_eq!(
            secret.verify(&h, b"{\"a\":1}", NOW + TOLERANCE_SECONDS + 1),
            Err(VerifyError::TimestampOutOfTolerance)
        );
        assert_eq!(
            secret.verify(&h, b"{\"a\":1}", NOW - TOLERANCE_SECONDS - 1),
            Err(VerifyError::TimestampOutOfTolerance)
        );
    }

    #[test]
    fn any_of_several_signatures_may_match() {
        let old = WebhookSecret::parse(SECRET).unwrap();
        let new = WebhookSecret::parse("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
        let header = signature_header(&[old.clone(), new.clone()], "evt_1", NOW, b"x");
        let ts = NOW.to_string();
        assert!(old.verify(&headers(&header, &ts), b"x", NOW).is_ok());
        assert!(new.verify(&headers(&header, &ts), b"x", NOW).is_ok());
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
            let ts = extreme.to_string();
            let sig = secret.sign("evt_1", extreme, b"");
            assert_eq!(
                secret.verify(&headers(&sig, &ts), b"", NOW),
                Err(VerifyError::TimestampOutOfTolerance)
            );
        }
    }

    #[test]
    fn malformed_timestamp_is_rejected() {
        let secret = WebhookSecret::parse(SECRET).unwrap();
        let sig = secret.sign("evt_1", NOW, b"");
        assert_eq!(
            secret.verify(&headers(&sig, "soon"), b"", NOW),
            Err(VerifyError::InvalidTimestamp)
        );
    }
}
