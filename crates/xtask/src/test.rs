//! `cargo xtask test`: setup, the web bundles, then every test.

use anyhow::Context;

use crate::process::{cargo, exec, step};
use crate::{setup, web};

pub fn run_all() -> anyhow::Result<()> {
    step("formatting (cargo fmt --check)");
    exec(&mut cargo(&["fmt", "--all", "--", "--check"]))
        .context("code is not formatted: run `cargo fmt --all`")?;
    crate::contracts::run(true)?;
    crate::client::run(true)?;
    web::build()?;
    step("unit, integration and end-to-end tests");
    exec(&mut cargo(&["test", "--all-targets"]))?;
    let cluster = crate::postgres::Cluster::start()?;
    step("the gateway's tests again, on PostgreSQL");
    exec(
        cargo(&["test", "-p", "tender-gateway", "--tests"])
            .env("TENDER_TEST_POSTGRES", &cluster.admin_url),
    )?;
    step("two gateway processes on one PostgreSQL, one killed with SIGKILL");
    exec(
        // The default members, as above: the same features, nothing rebuilt.
        cargo(&["test", "--test", "instances"]).env("TENDER_TEST_POSTGRES", &cluster.admin_url),
    )?;
    drop(cluster);
    step("doc tests");
    exec(&mut cargo(&["test", "--doc"]))?;
    step("widget component and bundle JSON tests in headless Chromium");
    exec(&mut cargo(&[
        "test",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        "tender-widget",
        "-p",
        "tender-web",
    ]))?;
    step("lints (cargo clippy -D warnings)");
    exec(&mut cargo(&[
        "clippy",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    exec(&mut cargo(&[
        "clippy",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        "tender-widget",
        "-p",
        "tender-cashier",
        "-p",
        "tender-dashboard",
        "-p",
        "tender-web",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    // Against the gateway binary the tests above built.
    crate::schemathesis::run(25, false)?;
    // A short bounded run; `cargo xtask fuzz` runs longer.
    crate::fuzz::run(15)?;
    step("all tests passed");
    Ok(())
}

pub fn run() -> anyhow::Result<()> {
    setup::run()?;
    run_all()
}
