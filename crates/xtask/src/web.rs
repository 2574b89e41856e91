//! Builds the browser bundles with trunk, offline: the storefront (root
//! Trunk.toml, with the widget), the cashier (crates/cashier) and the
//! dashboard (crates/dashboard).

use std::path::Path;
use std::process::Command;

use anyhow::Context;

use crate::process::{exec, root, step, tool_path};

/// Builds the bundle of `dir`'s Trunk.toml into `dist` (which `dir`'s
/// Trunk.toml or `args` name); `args` add to or override it. Its scripts
/// are then minified ([`minify_scripts`]) and its size said.
fn trunk_build(
    dir: &Path,
    what: &str,
    rustflags: &str,
    args: &[&str],
    dist: &str,
) -> anyhow::Result<()> {
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
    .with_context(|| format!("trunk could not build the {what}"))?;
    let dist = root().join(dist);
    minify_scripts(&dist)?;
    step(&format!(
        "{what} bundle: {} bytes of wasm + js, gzipped",
        bundle_size(&dist)?
    ));
    Ok(())
}

/// Minifies the JavaScript wasm-bindgen wrote beside each wasm of `dist`
/// with terser (npm; trunk's own minifier fails on it), and gives the
/// pages of `dist` the new files' integrity hashes. The widget's glue went
/// from 7,131 to 5,250 bytes gzipped; names the pages and the wasm use
/// (exports, import properties) are kept.
fn minify_scripts(dist: &Path) -> anyhow::Result<()> {
    use base64::Engine;
    use sha2::{Digest, Sha384};
    let integrity = |bytes: &[u8]| {
        format!(
            "sha384-{}",
            base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes))
        )
    };
    let terser = root().join("node_modules/.bin/terser");
    anyhow::ensure!(terser.exists(), "terser is missing: run cargo xtask setup");
    let files: Vec<_> = std::fs::read_dir(dist)
        .with_context(|| format!("{}", dist.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    for script in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "js"))
    {
        let before = std::fs::read(script)?;
        let minified = script.with_extension("min.js");
        exec(
            Command::new(&terser)
                .arg(script)
                .args(["--module", "--compress", "--mangle", "--output"])
                .arg(&minified),
        )
        .with_context(|| format!("terser could not minify {}", script.display()))?;
        std::fs::rename(&minified, script)?;
        let (old, new) = (integrity(&before), integrity(&std::fs::read(script)?));
        let mut pinned = false;
        for page in files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "html"))
        {
            let text = std::fs::read_to_string(page)?;
            if text.contains(&old) {
                std::fs::write(page, text.replace(&old, &new))?;
                pinned = true;
            }
        }
        // trunk pins each script it links with a sha384 hash; a page left
        // with the old one would have the browser refuse the script.
        anyhow::ensure!(
            pinned,
            "no page in {} pins {} with its sha384 hash: has trunk's integrity changed?",
            dist.display(),
            script.display()
        );
    }
    Ok(())
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
    trunk_build(&root(), "storefront", "", &[], "target/dist/storefront")?;
    let cashier = root().join("crates/cashier");
    trunk_build(
        &cashier,
        "cashier",
        CASHIER_RUSTFLAGS,
        &[],
        "target/dist/cashier",
    )?;
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
        "target/dist/cashier/refund",
    )?;
    trunk_build(
        &root().join("crates/dashboard"),
        "dashboard",
        CASHIER_RUSTFLAGS,
        &[],
        "target/dist/dashboard",
    )?;
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
