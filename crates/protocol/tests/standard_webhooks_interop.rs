//! Our signatures against the reference `standardwebhooks` crate used on
//! its own, both ways: the secret's `whsec_` form, the header names and the
//! timestamp rule agree with the specification's reference code.

use http::{HeaderMap, HeaderValue};
use standardwebhooks::Webhook;
use tender_protocol::webhooks::{self, VerifyError, WebhookSecret};
use time::OffsetDateTime;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const BODY: &str = r#"{"id":"evt_1","type":"session.paid","data":{}}"#;

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
        .verify(BODY.as_bytes(), &header_map("evt_1", ts, &sig))
        .expect("reference crate rejects our signature");
}

#[test]
fn reference_signature_verifies_with_ours() {
    let reference = Webhook::new(SECRET).unwrap();
    let ts = now();
    let sig = reference.sign("evt_1", ts, BODY.as_bytes()).unwrap();
    let ours = WebhookSecret::parse(SECRET).unwrap();
    assert_eq!(
        ours.verify(&header_map("evt_1", ts, &sig), BODY.as_bytes()),
        Ok(())
    );
}

#[test]
fn both_reject_a_tampered_body() {
    let ours = WebhookSecret::parse(SECRET).unwrap();
    let ts = now();
    let sig = ours.sign("evt_1", ts, BODY);
    let tampered = br#"{"id":"evt_1","type":"session.paid","data":{"x":1}}"#;
    let headers = header_map("evt_1", ts, &sig);
    assert!(
        Webhook::new(SECRET)
            .unwrap()
            .verify(tampered, &headers)
            .is_err()
    );
    assert_eq!(
        ours.verify(&headers, tampered),
        Err(VerifyError::NoMatchingSignature)
    );
}

#[test]
fn both_reject_a_stale_timestamp() {
    let reference = Webhook::new(SECRET).unwrap();
    let stale = now() - webhooks::TOLERANCE_SECONDS - 60;
    let sig = reference.sign("evt_1", stale, BODY.as_bytes()).unwrap();
    let headers = header_map("evt_1", stale, &sig);
    assert!(reference.verify(BODY.as_bytes(), &headers).is_err());
    let ours = WebhookSecret::parse(SECRET).unwrap();
    assert_eq!(
        ours.verify(&headers, BODY.as_bytes()),
        Err(VerifyError::TimestampOutOfTolerance)
    );
}

#[test]
fn both_reject_a_signature_made_with_another_secret() {
    let other = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let ts = now();
    let sig = Webhook::new(other)
        .unwrap()
        .sign("evt_1", ts, BODY.as_bytes())
        .unwrap();
    let headers = header_map("evt_1", ts, &sig);
    assert!(
        Webhook::new(SECRET)
            .unwrap()
            .verify(BODY.as_bytes(), &headers)
            .is_err()
    );
    let ours = WebhookSecret::parse(SECRET).unwrap();
    assert_eq!(
        ours.verify(&headers, BODY.as_bytes()),
        Err(VerifyError::NoMatchingSignature)
    );
}
