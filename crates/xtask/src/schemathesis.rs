//! Schemathesis (from PyPI) against a running gateway's `/openapi.json`:
//! generated and mutated requests to every operation; no answer may be a 5xx
//! and every answer must match its documented schema. Bounded in
//! `cargo xtask test` (a fixed seed and example count).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::process::{cargo, exec, output};
use crate::{root, step};

/// The schemathesis release the run is pinned to.
const VERSION: &str = "4.32.5";

fn venv() -> PathBuf {
    root().join("target/schemathesis")
}

/// Installs schemathesis into its own virtualenv when missing.
pub fn install() -> anyhow::Result<()> {
    let st = venv().join("bin/st");
    let want = format!("st, version {VERSION}");
    if output(&st, &["--version"]).as_deref() == Some(want.as_str()) {
        step(&format!("schemathesis {VERSION}: present"));
        return Ok(());
    }
    step(&format!("installing schemathesis {VERSION} from PyPI"));
    exec(Command::new("python3").args(["-m", "venv"]).arg(venv()))
        .context("python3 -m venv failed")?;
    exec(Command::new(venv().join("bin/pip")).args([
        "install",
        "--quiet",
        &format!("schemathesis=={VERSION}"),
    ]))
    .context("cannot install schemathesis")
}

/// Runs schemathesis against a fresh gateway.
pub fn run(examples: u32) -> anyhow::Result<()> {
    install()?;
    exec(&mut cargo(&["build", "-p", "tender-gateway"]))?;
    let dir = root().join("target/schemathesis-run");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let config = dir.join("gateway.toml");
    std::fs::write(
        &config,
        format!(
            r#"listen = "127.0.0.1:{port}"
database_url = "sqlite://{db}"
dev = true
mnemonic = "test test test test test test test test test test test junk"
[[networks]]
id = "local"
name = "Local"
chain_id = 31337
rpc_url = "http://127.0.0.1:9"
confirmations = 1
native_token = "ETH"
[[rates]]
token = "ETH"
currency = "USD"
price = "2000"
"#,
            db = dir.join("gateway.db").display()
        ),
    )?;
    let gateway = root().join("target/debug/tender-gateway");
    let created = Command::new(&gateway)
        .arg("--config")
        .arg(&config)
        .args(["create-merchant", "--name", "Schemathesis"])
        .output()?;
    if !created.status.success() {
        bail!(
            "create-merchant failed: {}",
            String::from_utf8_lossy(&created.stderr)
        );
    }
    let key = serde_json::from_slice::<serde_json::Value>(&created.stdout)?["apiKey"]
        .as_str()
        .context("no apiKey")?
        .to_owned();
    let log = std::fs::File::create(dir.join("gateway.log"))?;
    let mut server = Command::new(&gateway)
        .arg("--config")
        .arg(&config)
        .env("RUST_LOG", "warn")
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .context("cannot start the gateway")?;
    let started = Instant::now();
    while TcpListener::bind(("127.0.0.1", port)).is_ok()
        && started.elapsed() < Duration::from_secs(30)
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    step(&format!(
        "schemathesis against /openapi.json ({examples} examples per operation, fixed seed)"
    ));
    let result = exec(
        Command::new(venv().join("bin/st"))
            .args(["run", &format!("http://127.0.0.1:{port}/openapi.json")])
            .args(["--header", &format!("Authorization: Bearer {key}")])
            .args(["--checks", "not_a_server_error,response_schema_conformance"])
            .args([
                "--max-examples",
                &examples.to_string(),
                "--seed",
                "1",
                "--workers",
                "2",
            ])
            .arg("--report-dir")
            .arg(dir.join("report"))
            .current_dir(&dir)
            .stdin(Stdio::null()),
    );
    let _ = server.kill();
    let _ = server.wait();
    result
        .context("schemathesis found a 5xx or an answer that does not match its schema (see above)")
}
