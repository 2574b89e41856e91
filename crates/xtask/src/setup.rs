//! `cargo xtask setup`: installs what is missing, idempotently, one named
//! step at a time. Everything comes from the package registries.

use std::process::Command;

use anyhow::{Context, bail};

use crate::process::{cargo_bin, exec, output, root, step};

/// The trunk release known to work with this toolchain (0.22 needs a newer rustc).
const TRUNK_VERSION: &str = "0.21.14";

pub fn run() -> anyhow::Result<()> {
    wasm_target()?;
    trunk()?;
    wasm_bindgen()?;
    cargo_fuzz()?;
    npm_tools()?;
    chromium()?;
    crate::postgres::install()?;
    crate::schemathesis::install()?;
    step("setup complete");
    Ok(())
}

fn wasm_target() -> anyhow::Result<()> {
    let installed = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        step("wasm32-unknown-unknown target: present");
        return Ok(());
    }
    step("installing the wasm32-unknown-unknown target");
    exec(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
        .context("rustup could not add the wasm target")
}

fn trunk() -> anyhow::Result<()> {
    let want = format!("trunk {TRUNK_VERSION}");
    if output(cargo_bin("trunk"), &["--version"]).as_deref() == Some(want.as_str()) {
        step(&format!("{want}: present"));
        return Ok(());
    }
    step(&format!(
        "installing {want} from crates.io (about 6 minutes)"
    ));
    exec(Command::new("cargo").args(["install", "--locked", &format!("trunk@{TRUNK_VERSION}")]))
        .context("cannot install trunk")
}

/// cargo-fuzz, for the fuzz targets (libFuzzer).
const CARGO_FUZZ_VERSION: &str = "0.13.2";

fn cargo_fuzz() -> anyhow::Result<()> {
    let want = format!("cargo-fuzz {CARGO_FUZZ_VERSION}");
    if output(cargo_bin("cargo-fuzz"), &["fuzz", "--version"]).as_deref() == Some(want.as_str()) {
        step(&format!("{want}: present"));
        return Ok(());
    }
    step(&format!(
        "installing {want} from crates.io (about 2 minutes)"
    ));
    exec(Command::new("cargo").args(["install", "cargo-fuzz", "--version", CARGO_FUZZ_VERSION]))
        .context("cannot install cargo-fuzz")
}

/// The wasm-bindgen version the workspace's lock file pins.
pub fn locked_wasm_bindgen() -> anyhow::Result<String> {
    let lock =
        std::fs::read_to_string(root().join("Cargo.lock")).context("cannot read Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() != "name = \"wasm-bindgen\"" {
            continue;
        }
        if let Some(version) = lines
            .next()
            .and_then(|l| l.trim().strip_prefix("version = \""))
            .and_then(|v| v.strip_suffix('"'))
        {
            return Ok(version.to_owned());
        }
    }
    bail!("Cargo.lock has no wasm-bindgen package")
}

fn wasm_bindgen() -> anyhow::Result<()> {
    let version = locked_wasm_bindgen()?;
    let want = format!("wasm-bindgen {version}");
    if output(cargo_bin("wasm-bindgen"), &["--version"]).as_deref() == Some(want.as_str()) {
        step(&format!("wasm-bindgen-cli {version}: present"));
        return Ok(());
    }
    step(&format!(
        "installing wasm-bindgen-cli {version} (the lock file's version; about 2 minutes)"
    ));
    // Not --locked: its own lock pins a webpki-roots the registry no longer has.
    exec(Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", &version]))
        .context("cannot install wasm-bindgen-cli")
}

fn npm_tools() -> anyhow::Result<()> {
    let wasm_opt = root().join("node_modules/.bin/wasm-opt");
    let lock = root().join("package-lock.json");
    let installed = root().join("node_modules/.package-lock.json");
    let fresh = installed.exists()
        && std::fs::metadata(&installed)
            .and_then(|m| m.modified())
            .ok()
            .zip(std::fs::metadata(&lock).and_then(|m| m.modified()).ok())
            .is_some_and(|(have, want)| have >= want);
    let packages = [
        "node_modules/.bin/openapi-typescript",
        "node_modules/.bin/terser",
        "node_modules/express",
    ];
    if fresh
        && crate::process::anvil_path().exists()
        && wasm_opt.exists()
        && packages.iter().all(|p| root().join(p).exists())
    {
        step(
            "anvil, wasm-opt, openapi-typescript, terser and the Node shop's packages (npm): present",
        );
        return Ok(());
    }
    step(
        "installing anvil, wasm-opt, openapi-typescript, terser and the Node shop's packages from the npm registry (npm ci)",
    );
    exec(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(root()),
    )
    .context("npm ci failed (is node/npm installed?)")?;
    if !crate::process::anvil_path().exists() {
        bail!(
            "npm installed @foundry-rs/anvil but not its linux-amd64 binary; optional dependencies must not be omitted"
        );
    }
    Ok(())
}

fn chromium() -> anyhow::Result<()> {
    // A Japanese font too: the cashier's Japanese screenshots show glyphs,
    // not boxes (Arabic and the Latin languages are in Chromium's own).
    let present = [
        "/usr/bin/chromium",
        "/usr/bin/chromedriver",
        "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
    ]
    .iter()
    .all(|p| std::path::Path::new(p).exists());
    if present {
        step("chromium, chromedriver and a Japanese font: present");
        return Ok(());
    }
    step("installing chromium, chromium-driver and fonts-ipafont-gothic from Debian (apt-get)");
    let sudo = output("id", &["-u"]).as_deref() != Some("0");
    let apt = |args: &[&str]| {
        let mut command = if sudo {
            Command::new("sudo")
        } else {
            Command::new("apt-get")
        };
        if sudo {
            command.arg("apt-get");
        }
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        command
    };
    exec(&mut apt(&["update"])).context("apt-get update failed")?;
    exec(&mut apt(&[
        "install",
        "-y",
        "chromium",
        "chromium-driver",
        "fonts-ipafont-gothic",
    ]))
    .context("cannot install chromium")
}
