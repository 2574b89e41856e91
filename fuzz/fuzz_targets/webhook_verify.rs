//! Webhook verification on arbitrary headers and bodies: it never panics,
//! only a genuine signature verifies, and our own signature always does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tender_protocol::webhooks::{SignedHeaders, TOLERANCE_SECONDS, WebhookSecret};

const NOW: i64 = 1_800_000_000;

fuzz_target!(|data: &[u8]| {
    let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("a valid test secret");
    // id \0 timestamp \0 signature \0 body
    let mut parts = data.splitn(4, |b| *b == 0);
    let mut text = || String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let (id, timestamp, signature) = (text(), text(), text());
    let body = data.splitn(4, |b| *b == 0).nth(3).unwrap_or_default();
    let headers = SignedHeaders {
        id: &id,
        timestamp: &timestamp,
        signature: &signature,
    };
    let verified = secret.verify(&headers, body, NOW).is_ok();
    if let Ok(ts) = timestamp.trim().parse::<i64>() {
        let genuine = secret.sign(&id, ts, body);
        if verified {
            assert!(signature.split(' ').any(|s| s == genuine), "a forged signature verified");
        }
        if NOW.abs_diff(ts) <= TOLERANCE_SECONDS.unsigned_abs() {
            let ours = SignedHeaders {
                signature: &genuine,
                ..headers
            };
            assert!(secret.verify(&ours, body, NOW).is_ok(), "our own signature did not verify");
        }
    } else {
        assert!(!verified, "a malformed timestamp verified");
    }
});
