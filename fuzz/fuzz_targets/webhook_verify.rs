//! Webhook verification on arbitrary headers and bodies: it never panics,
//! only a genuine signature verifies, and our own signature always does.
#![no_main]

use std::sync::LazyLock;

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use tender_protocol::webhooks::{
    HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, TOLERANCE_SECONDS, WebhookSecret,
};

/// Verification measures against the wall clock; one reading per run keeps
/// every input well inside or outside the window.
static NOW: LazyLock<i64> = LazyLock::new(|| {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
});

fuzz_target!(|data: &[u8]| {
    let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("a valid test secret");
    // id \0 timestamp \0 signature \0 body
    let mut parts = data.splitn(4, |b| *b == 0);
    let mut text = || String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let (id, timestamp, signature) = (text(), text(), text());
    let body = data.splitn(4, |b| *b == 0).nth(3).unwrap_or_default();
    // Only what HTTP can carry reaches a receiver.
    let (Ok(id_value), Ok(ts_value), Ok(sig_value)) = (
        HeaderValue::from_str(&id),
        HeaderValue::from_str(&timestamp),
        HeaderValue::from_str(&signature),
    ) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert(HEADER_ID, id_value);
    headers.insert(HEADER_TIMESTAMP, ts_value);
    headers.insert(HEADER_SIGNATURE, sig_value);
    let verified = secret.verify(&headers, body).is_ok();
    let (Ok(ts), Ok(text_body)) = (timestamp.parse::<i64>(), std::str::from_utf8(body)) else {
        assert!(!verified, "a malformed timestamp or body verified");
        return;
    };
    let genuine = secret.sign(&id, ts, text_body);
    if verified {
        assert!(signature.split(' ').any(|s| s == genuine), "a forged signature verified");
    }
    // Well inside the window, so a second passing between readings cannot matter.
    if NOW.abs_diff(ts) + 5 <= TOLERANCE_SECONDS.unsigned_abs() {
        headers.insert(HEADER_SIGNATURE, HeaderValue::from_str(&genuine).unwrap());
        assert!(secret.verify(&headers, body).is_ok(), "our own signature did not verify");
    }
});
