//! Schemathesis (from PyPI) against a running gateway's `/openapi.json`:
//! generated and mutated requests to every operation, with real ids where
//! an operation takes one (`fixtures`); no answer may be a 5xx and every
//! answer must match its documented schema. Bounded in `cargo xtask test`
//! (a fixed seed and example count).

mod fixtures;
mod payer;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::Context;
use tender_launch::supervise::free_port;
use tender_launch::{GatewayProcess, GatewayToml, NetworkToml};

use crate::process::{cargo, debug_binary, exec, output, root, step};

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

/// Runs schemathesis against a fresh gateway (built first if `build`).
pub fn run(examples: u32, build: bool) -> anyhow::Result<()> {
    install()?;
    if build {
        exec(&mut cargo(&["build", "-p", "tender-gateway"]))?;
    }
    let dir = root().join("target/schemathesis-run");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let port = free_port()?;
    let database = format!("sqlite://{}", dir.join("gateway.db").display());
    let mut config = GatewayToml::new(port, &database).rate("ETH", "USD", "2000");
    // A chain of its own, where the fixtures pay a session (to refund it).
    let anvil_port = free_port()?;
    let anvil = crate::process::start_anvil(anvil_port, 31337, None, &dir.join("anvil.log"))?;
    let rpc = format!("http://127.0.0.1:{anvil_port}");
    config.watcher_poll_ms = 200;
    config
        .networks
        .push(NetworkToml::new("local", "Local", 31337, &rpc, 1));
    // Generous limits: the run explores every operation, not the limits.
    config.extra = "[limits]\npublic_per_ip_per_minute = 1000000\npublic_burst_per_ip = 100000\n\
                    public_per_session_per_minute = 1000000\nquotes_per_session = 100000\n\
                    endpoints_per_merchant = 100000\n"
        .into();
    let gateway = GatewayProcess::prepare(
        &debug_binary("tender-gateway"),
        &config,
        &dir.join("gateway.toml"),
    )?;
    let key = gateway.create_merchant("Schemathesis")?.api_key;
    let server = gateway.start("the gateway", Some(&dir.join("gateway.log")), "warn")?;
    let url = format!("http://127.0.0.1:{port}");
    std::fs::write(dir.join("tender_hooks.py"), include_str!("hooks.py"))?;
    let config_file = dir.join("schemathesis.toml");
    let fixtures = fixtures::Fixtures::make(&url, &key, &rpc)?;
    std::fs::write(&config_file, fixtures.config())?;
    std::fs::write(dir.join("per_phase.json"), fixtures.per_phase())?;
    step(&format!(
        "schemathesis against /openapi.json ({examples} examples per operation, fixed seed)"
    ));
    let result = exec(
        Command::new(venv().join("bin/st"))
            .arg("--config-file")
            .arg(&config_file)
            .args(["run", &format!("{url}/openapi.json")])
            .args(["--header", &format!("Authorization: Bearer {key}")])
            .args(["--checks", "not_a_server_error,response_schema_conformance"])
            .args([
                "--max-examples",
                &examples.to_string(),
                "--seed",
                "1",
                // One worker: CPython 3.11's ast.parse, which hypothesis calls
                // to describe filters, fails at random ("AST constructor
                // recursion depth mismatch") when two threads parse at once.
                "--workers",
                "1",
            ])
            .args(["--report", "har"])
            .arg("--report-dir")
            .arg(dir.join("report"))
            .env("SCHEMATHESIS_HOOKS", "tender_hooks")
            .env("PYTHONPATH", &dir)
            .current_dir(&dir)
            .stdin(Stdio::null()),
    );
    drop(server);
    drop(anvil);
    result
        .context("schemathesis found a 5xx or an answer that does not match its schema (see above)")
}
