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

/// The storefront built by trunk (`cargo xtask test` builds it first).
pub fn storefront_dist() -> PathBuf {
    require(
        root().join("target/dist/storefront/index.html"),
        "the built storefront",
        "cargo xtask test (it builds the web bundles)",
    )
    .parent()
    .expect("index.html has a directory")
    .to_path_buf()
}

/// The cashier built by trunk (`cargo xtask test` builds it first).
pub fn cashier_dist() -> PathBuf {
    require(
        root().join("target/dist/cashier/index.html"),
        "the built cashier",
        "cargo xtask test (it builds the web bundles)",
    )
    .parent()
    .expect("index.html has a directory")
    .to_path_buf()
}
