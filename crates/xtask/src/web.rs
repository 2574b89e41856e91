//! Builds the browser bundles with trunk, offline: the storefront (root
//! Trunk.toml, with the widget), the cashier (crates/cashier) and the
//! dashboard (crates/dashboard).

use std::path::Path;
use std::process::Command;

use anyhow::Context;

use crate::process::{exec, root, step, tool_path};

/// Builds the bundle of `dir`'s Trunk.toml; `args` add to or override it.
fn trunk_build(dir: &Path, what: &str, rustflags: &str, args: &[&str]) -> anyhow::Result<()> {
    step(&format!("building the {what} with trunk"));
    // Added to the caller's own, not in place of them.
    let rustflags = [
        std::env::var("RUSTFLAGS").unwrap_or_default(),
        rustflags.to_owned(),
    ]
    .join(" ")
    .trim()
    .to_owned();
    exec(
        Command::new(crate::process::cargo_bin("trunk"))
            .args(["build", "--release", "--offline"])
            .args(args)
            .current_dir(dir)
            .env("PATH", tool_path())
            // Only the wasm: with `--target` (which trunk passes), build
            // scripts and proc macros are built without them.
            .env("RUSTFLAGS", &rustflags)
            // trunk parses NO_COLOR as a boolean flag: "1" (common in CI) is an error.
            .env("NO_COLOR", "true"),
    )
    .with_context(|| format!("trunk could not build the {what}"))
}

/// Leptos's `erase_components`: every component's view type erased. The
/// cashier, with a dozen components, is 6 KB smaller with it (gzipped);
/// the widget, with two, 9 KB larger, so it is built without.
const CASHIER_RUSTFLAGS: &str = "--cfg erase_components";

/// Builds the bundles into target/dist/{storefront,cashier,dashboard}
/// (the dashboard, with as many components as the cashier, erased too).
/// The refund page is the cashier crate's second bundle, in
/// target/dist/cashier/refund (after the cashier's: trunk replaces its
/// whole dist directory).
pub fn build() -> anyhow::Result<()> {
    trunk_build(&root(), "storefront", "", &[])?;
    let cashier = root().join("crates/cashier");
    trunk_build(&cashier, "cashier", CASHIER_RUSTFLAGS, &[])?;
    trunk_build(
        &cashier,
        "refund page",
        CASHIER_RUSTFLAGS,
        &[
            "--dist",
            "../../target/dist/cashier/refund",
            "--public-url",
            "/cashier/refund/",
            "refund.html",
        ],
    )?;
    trunk_build(
        &root().join("crates/dashboard"),
        "dashboard",
        CASHIER_RUSTFLAGS,
        &[],
    )?;
    for (name, dir) in [
        ("storefront", "target/dist/storefront"),
        ("cashier", "target/dist/cashier"),
        ("refund page", "target/dist/cashier/refund"),
        ("dashboard", "target/dist/dashboard"),
    ] {
        if let Ok(size) = bundle_size(&root().join(dir)) {
            step(&format!(
                "{name} bundle: {} bytes of wasm + js, gzipped",
                size
            ));
        }
    }
    Ok(())
}

/// gzip -9 size of the wasm and js files of a bundle.
pub fn bundle_size(dir: &Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("{}", dir.display()))? {
        let path = entry?.path();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext == "wasm" || ext == "js" {
            let out = Command::new("gzip").args(["-9c"]).arg(&path).output()?;
            total += out.stdout.len() as u64;
        }
    }
    Ok(total)
}
