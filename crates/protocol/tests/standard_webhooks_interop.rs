//! Our signatures against the reference `standardwebhooks` crate, both ways.

use http::{HeaderMap, HeaderValue};
use standardwebhooks::Webhook;
use tender_protocol::webhooks::{self, SignedHeaders, VerifyError, WebhookSecret};
use time::OffsetDateTime;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const BODY: &[u8] = br#"{"id":"evt_1","type":"session.paid","data":{}}"#;

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn header_map(id: &str, ts: i64, sig: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(webhooks::HEADER_ID, HeaderValue::from_str(id).unwrap());
    h.insert(
        webhooks::HEADER_TIMESTAMP,
        HeaderValue::from_str(&ts.to_string()).unwrap(),
    );
    h.insert(
        webhooks::HEADER_SIGNATURE,
        HeaderValue::from_str(sig).unwrap(),
    );
    h
}

#[test]
fn our_signature_verifies_with_the_reference_crate() {
    let ours = WebhookSecret::parse(SECRET).unwrap();
    let ts = now();
    let sig = ours.sign("evt_1", ts, BODY);
    let reference = Webhook::new(SECRET).unwrap();
    reference
        .verify(BODY, &header_map("evt_1", ts, &sig))
        .expect("reference crate rejects our signature");
}

#[test]
fn reference_signature_verifies_with_ours() {
    let reference = Webhook::new(SECRET).unwrap();
    let ts = now();
    let sig = reference.sign("evt_1", ts, BODY).unwrap();
    let ours = WebhookSecret::parse(SECRET).unwrap();
    let ts_text = ts.to_string();
    let headers = SignedHeaders {
        id: "evt_1",
        timestamp: &ts_text,
        signature: &sig,
    };
    assert_eq!(ours.verify(&headers, BODY, now()), Ok(()));
}

#[test]
fn both_reject_a_tampered_body() {
    let ours = WebhookSecret::parse(SECRET).unwrap();
    let ts = now();
    let sig = ours.sign("evt_1", ts, BODY);
    let tampered = br#"{"id":"evt_1","type":"session.paid","data":{"x":1}}"#;
    assert!(
        Webhook::new(SECRET)
            .unwrap()
            .verify(tampered, &header_map("evt_1", ts, &sig))
            .is_err()
    );
    let ts_text = ts.to_string();
    let headers = SignedHeaders {
        id: "evt_1",
        timestamp: &ts_text,
        signature: &sig,
    };
    assert_eq!(
        ours.verify(&headers, tampered, now()),
        Err(VerifyError::NoMatchingSignature)
    );
}

#[test]
fn both_reject_a_stale_timestamp() {
    let reference = Webhook::new(SECRET).unwrap();
    let stale = now() - webhooks::TOLERANCE_SECONDS - 60;
    let sig = reference.sign("evt_1", stale, BODY).unwrap();
    assert!(
        reference
            .verify(BODY, &header_map("evt_1", stale, &sig))
            .is_err()
    );
    let ts_text = stale.to_string();
    let headers = SignedHeaders {
        id: "evt_1",
        timestamp: &ts_text,
        signature: &sig,
    };
    let ours = WebhookSecret::parse(SECRET).unwrap();
    assert_eq!(
        ours.verify(&headers, BODY, now()),
        Err(VerifyError::TimestampOutOfTolerance)
    );
}

#[test]
fn both_reject_a_signature_made_with_another_secret() {
    let other = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let ts = now();
    let sig = Webhook::new(other)
        .unwrap()
        .sign("evt_1", ts, BODY)
        .unwrap();
    assert!(
        Webhook::new(SECRET)
            .unwrap()
            .verify(BODY, &header_map("evt_1", ts, &sig))
            .is_err()
    );
    let ts_text = ts.to_string();
    let headers = SignedHeaders {
        id: "evt_1",
        timestamp: &ts_text,
        signature: &sig,
    };
    let ours = WebhookSecret::parse(SECRET).unwrap();
    assert_eq!(
        ours.verify(&headers, BODY, now()),
        Err(VerifyError::NoMatchingSignature)
    );
}
