//! Where the external tools and built bundles are. A missing one fails the
//! test with what to run; no test skips silently.

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace root")
        .to_path_buf()
}

fn require(path: PathBuf, what: &str, fix: &str) -> PathBuf {
    assert!(
        path.exists(),
        "{what} not found at {}: run `{fix}`",
        path.display()
    );
    path
}

/// anvil, installed from the npm registry by `cargo xtask setup`.
pub fn anvil() -> PathBuf {
    require(
        root().join("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"),
        "anvil",
        "cargo xtask setup",
    )
}

/// Debian's chromedriver.
pub fn chromedriver() -> PathBuf {
    require(
        PathBuf::from("/usr/bin/chromedriver"),
        "chromedriver",
        "cargo xtask setup",
    )
}

/// Debian's Chromium.
pub fn chromium() -> PathBuf {
    require(
        PathBuf::from("/usr/bin/chromium"),
        "Chromium",
        "cargo xtask setup",
    )
}

/// A bundle trunk built into `target/dist/{name}` (`cargo xtask test`
/// builds them first).
fn dist(name: &str) -> PathBuf {
    require(
        root().join(format!("target/dist/{name}/index.html")),
        &format!("the built {name}"),
        "cargo xtask test (it builds the web bundles)",
    )
    .parent()
    .expect("index.html has a directory")
    .to_path_buf()
}

/// The storefront, with the widget.
pub fn storefront_dist() -> PathBuf {
    dist("storefront")
}

/// The cashier.
pub fn cashier_dist() -> PathBuf {
    dist("cashier")
}

/// The merchant dashboard.
pub fn dashboard_dist() -> PathBuf {
    dist("dashboard")
}
