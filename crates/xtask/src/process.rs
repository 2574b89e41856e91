//! Running commands: each says what it runs and fails with a message that
//! names the command.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

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
    let npm_bin = crate::root().join("node_modules/.bin");
    let cargo_bin = crate::setup::cargo_bin("");
    let current = std::env::var("PATH").unwrap_or_default();
    format!("{}:{}:{current}", npm_bin.display(), cargo_bin.display())
}

/// `cargo` with the tools on `PATH`, run from the workspace root.
pub fn cargo(args: &[&str]) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .args(args)
        .current_dir(crate::root())
        .env("PATH", tool_path());
    command
}
