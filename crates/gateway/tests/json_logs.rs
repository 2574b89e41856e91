//! `tender-gateway --json-logs`: the real binary writes its logs as JSON
//! lines, with their fields as keys.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tender_gateway::config::DEV_MNEMONIC;

#[test]
fn json_logs_are_one_json_object_a_line_with_their_fields() {
    let dir = tempfile::tempdir().unwrap();
    let mut gateway = Command::new(env!("CARGO_BIN_EXE_tender-gateway"))
        .arg("--json-logs")
        .env_clear()
        .env("TENDER_DEV", "true")
        .env("TENDER_MNEMONIC", DEV_MNEMONIC)
        .env("TENDER_LISTEN", "127.0.0.1:0")
        .env(
            "TENDER_DATABASE_URL",
            format!("sqlite://{}", dir.path().join("g.db").display()),
        )
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the gateway binary starts");
    let started = Instant::now();
    let mut lines = BufReader::new(gateway.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let listening = loop {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no 'gateway listening' line: {seen:?}"
        );
        let Some(Ok(line)) = lines.next() else {
            break None;
        };
        let parsed: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        if parsed["message"] == "gateway listening" {
            break Some(parsed);
        }
        seen.push(line);
    };
    let _ = gateway.kill();
    let _ = gateway.wait();
    let listening = listening.expect("the gateway said it was listening");
    assert_eq!(listening["level"], "INFO");
    assert!(
        listening["addr"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:"),
        "{listening}"
    );
    assert!(listening["treasury"].as_str().unwrap().starts_with("0x"));
}
