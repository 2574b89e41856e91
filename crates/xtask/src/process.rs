//! Running things: where the workspace is, each step said before it runs,
//! commands that fail with a message naming them, the tools' `PATH`, and
//! the supervision of long-running children (the demo's chains and
//! servers), which stop with the xtask.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use tender_launch::Supervised;

/// The workspace root (the xtask crate sits in crates/xtask).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/xtask is two levels below the root")
        .to_path_buf()
}

/// Prints a step so a slow run shows its progress.
pub fn step(message: &str) {
    eprintln!("\x1b[1;34m==>\x1b[0m {message}");
}

/// Where `cargo install` puts `name`.
pub fn cargo_bin(name: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"));
    home.join("bin").join(name)
}

/// Runs `command` to completion, with its output shown; fails if it fails.
pub fn exec(command: &mut Command) -> anyhow::Result<()> {
    let shown = format!("{command:?}").replace('"', "");
    let status = command
        .status()
        .with_context(|| format!("cannot run {shown}"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
}

/// The trimmed stdout of a command, or `None` if it cannot run or fails.
pub fn output(program: impl AsRef<Path>, args: &[&str]) -> Option<String> {
    let out = Command::new(program.as_ref())
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// `PATH` with npm's tool directory first, so trunk finds binaryen's wasm-opt
/// (never Debian's, which corrupts modules built by this rustc), then cargo's
/// bin directory, where setup installs trunk and wasm-bindgen's test runner.
pub fn tool_path() -> String {
    let npm_bin = root().join("node_modules/.bin");
    let cargo_bin = cargo_bin("");
    let current = std::env::var("PATH").unwrap_or_default();
    format!("{}:{}:{current}", npm_bin.display(), cargo_bin.display())
}

/// `cargo` with the tools on `PATH`, run from the workspace root.
pub fn cargo(args: &[&str]) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .args(args)
        .current_dir(root())
        .env("PATH", tool_path());
    command
}

/// A workspace binary built in the dev profile.
pub fn debug_binary(name: &str) -> PathBuf {
    root().join("target/debug").join(name)
}

/// Children that run until the xtask stops; dropped in reverse order, each
/// stopped with SIGTERM and waited for.
#[derive(Default)]
pub struct Children(Vec<Supervised>);

impl Children {
    pub fn add(&mut self, child: Supervised) {
        self.0.push(child);
    }

    /// Returns on SIGINT or SIGTERM; fails if a child dies first.
    pub async fn wait_for_stop(&mut self) -> anyhow::Result<()> {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => return Ok(()),
                _ = term.recv() => return Ok(()),
                () = tokio::time::sleep(Duration::from_secs(1)) => {
                    for child in &mut self.0 {
                        child.check_alive()?;
                    }
                }
            }
        }
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        while let Some(child) = self.0.pop() {
            let name = child.name.clone();
            drop(child);
            eprintln!("stopped {name}");
        }
    }
}

/// anvil, installed from the npm registry (pinned in package-lock.json).
pub fn anvil_path() -> PathBuf {
    root().join("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
}

/// anvil on a loopback `port` with `chain_id` (a block every
/// `block_seconds`, else one per transaction), logging to `log`; answers
/// once it listens.
pub fn start_anvil(
    port: u16,
    chain_id: u64,
    block_seconds: Option<u64>,
    log: &Path,
) -> anyhow::Result<Supervised> {
    let mut command = Command::new(anvil_path());
    command
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--chain-id", &chain_id.to_string()]);
    if let Some(seconds) = block_seconds {
        command.args(["--block-time", &seconds.to_string()]);
    }
    let mut anvil = Supervised::spawn_logged("anvil", &mut command, log)?;
    anvil.wait_for_port(port, Duration::from_secs(20))?;
    Ok(anvil)
}
