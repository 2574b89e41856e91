//! `cargo xtask test`: setup, the web bundles, then every test.

use std::process::Command;

use anyhow::Context;

use crate::process::exec;
use crate::{root, setup, step, web};

pub fn run_all() -> anyhow::Result<()> {
    step("formatting (cargo fmt --check)");
    exec(
        Command::new("cargo")
            .args(["fmt", "--all", "--", "--check"])
            .current_dir(root()),
    )
    .context("code is not formatted: run `cargo fmt --all`")?;
    web::build()?;
    step("unit, integration and end-to-end tests");
    exec(
        Command::new("cargo")
            .args(["test", "--all-targets"])
            .current_dir(root()),
    )?;
    step("doc tests");
    exec(
        Command::new("cargo")
            .args(["test", "--doc"])
            .current_dir(root()),
    )?;
    step("widget component tests in headless Chromium");
    exec(
        Command::new("cargo")
            .args([
                "test",
                "--target",
                "wasm32-unknown-unknown",
                "-p",
                "tender-widget",
            ])
            .current_dir(root()),
    )?;
    step("lints (cargo clippy -D warnings)");
    exec(
        Command::new("cargo")
            .args(["clippy", "--all-targets", "--", "-D", "warnings"])
            .current_dir(root()),
    )?;
    exec(
        Command::new("cargo")
            .args([
                "clippy",
                "--target",
                "wasm32-unknown-unknown",
                "-p",
                "tender-widget",
                "-p",
                "tender-cashier",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ])
            .current_dir(root()),
    )?;
    step("all tests passed");
    Ok(())
}

pub fn run() -> anyhow::Result<()> {
    setup::run()?;
    run_all()
}
