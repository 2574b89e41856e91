//! `cargo xtask bench`: runs the benchmarks (optimised builds), prints a
//! table of their figures and writes them to `target/bench.json`.

use std::process::Stdio;

use anyhow::{Context, bail};
use serde_json::Value;

use crate::process::{cargo, root, step};
use crate::setup;

/// (package, bench target) of every benchmark.
const BENCHES: &[(&str, &str)] = &[
    ("tender-gateway", "sessions"),
    ("tender-e2e", "confirmation"),
    ("tender-gateway", "deliveries"),
    ("tender-e2e", "watcher"),
];

pub fn run(filter: Option<&str>) -> anyhow::Result<()> {
    setup::run()?;
    let mut results = Vec::new();
    // Create-session runs on PostgreSQL too, with one and two instances.
    let cluster = crate::postgres::Cluster::start()?;
    for (package, bench) in BENCHES
        .iter()
        .filter(|(_, b)| filter.is_none_or(|f| f == *b))
    {
        step(&format!("benchmark {bench} ({package}, optimised build)"));
        let output = cargo(&["bench", "-p", package, "--bench", bench])
            .env("TENDER_BENCH_POSTGRES", &cluster.admin_url)
            .stderr(Stdio::inherit())
            .output()
            .context("cannot run cargo bench")?;
        if !output.status.success() {
            bail!("benchmark {bench} failed ({})", output.status);
        }
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            if let Ok(figure) = serde_json::from_str::<Value>(line) {
                results.push(figure);
            }
        }
    }
    drop(cluster);
    if filter.is_none_or(|f| f == "sizes") {
        step("bundle sizes (trunk release builds)");
        crate::web::build()?;
        let mut sizes = serde_json::Map::new();
        sizes.insert("bench".into(), "bundle_sizes_gzip".into());
        for (name, dir) in [
            ("widget_wasm_js_bytes", "target/dist/storefront"),
            ("cashier_wasm_js_bytes", "target/dist/cashier"),
            ("dashboard_wasm_js_bytes", "target/dist/dashboard"),
        ] {
            sizes.insert(
                name.into(),
                crate::web::bundle_size(&root().join(dir))?.into(),
            );
        }
        results.push(Value::Object(sizes));
    }
    if results.is_empty() {
        bail!("no benchmark matched {filter:?}; known: {BENCHES:?} and sizes");
    }
    println!();
    println!("{:<24} {:<32} {:>16}", "benchmark", "figure", "value");
    for figure in &results {
        let name = figure["bench"].as_str().unwrap_or("?");
        for (key, value) in figure
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| *k != "bench")
        {
            println!("{name:<24} {key:<32} {value:>16}");
        }
    }
    let path = root().join("target/bench.json");
    std::fs::write(&path, serde_json::to_string_pretty(&results)?)?;
    println!("\nwritten to {}", path.display());
    Ok(())
}
