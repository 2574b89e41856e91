//! `cargo xtask fuzz [seconds]`: runs every cargo-fuzz target (libFuzzer) for
//! a while; `cargo xtask test` runs each briefly. cargo-fuzz needs nightly
//! flags: `RUSTC_BOOTSTRAP=1` lets the stable toolchain accept them. The
//! code under test has no `unsafe`, so no sanitizer is needed.

use std::process::Command;

use anyhow::Context;

use crate::process::{exec, root, step, tool_path};

const TARGETS: &[&str] = &["webhook_verify", "amounts"];

pub fn run(seconds: u64) -> anyhow::Result<()> {
    for target in TARGETS {
        step(&format!("fuzzing {target} for {seconds} s"));
        exec(
            Command::new(crate::process::cargo_bin("cargo-fuzz"))
                .args(["fuzz", "run", "--sanitizer", "none", "--target-dir"])
                .arg(root().join("target/fuzz"))
                .arg(target)
                .arg("--")
                .arg(format!("-max_total_time={seconds}"))
                .current_dir(root().join("fuzz"))
                .env("RUSTC_BOOTSTRAP", "1")
                .env("PATH", tool_path()),
        )
        .with_context(|| format!("fuzz target {target} failed: see fuzz/artifacts/{target}"))?;
    }
    Ok(())
}
