//! `cargo xtask <command>`: everything a fresh machine needs, in two commands.
//!
//! - `setup`: installs what is missing (wasm target, trunk, wasm-bindgen-cli,
//!   anvil and wasm-opt from npm, Chromium and chromedriver from Debian).
//! - `demo`: setup, then the whole local stack, and the URL to open.
//! - `test`: setup, then every test (unit, integration, wasm components in
//!   headless Chromium, end to end), plus fmt and clippy.
//! - `web`: builds the storefront and cashier bundles with trunk.
//! - `bench [name]`: runs the benchmarks and prints their figures.
//! - `contracts [--check]`: compiles the Solidity test token with npm's solc.
//! - `client [--check]`: generates the TypeScript client from the API's
//!   OpenAPI description.
//! - `fuzz [seconds]`: runs the cargo-fuzz targets.

mod bench;
mod client;
mod contracts;
mod demo;
mod feeds;
mod fuzz;
mod postgres;
mod process;
mod schemathesis;
mod setup;
mod test;
mod web;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <setup | demo | test | web | bench [name]>

  setup   install what is missing (idempotent)
  demo    start the whole local stack and print the URL to open
  test    run every test (installs what is missing first)
  web     build the storefront and cashier bundles
  bench   run the benchmarks, print a table, write target/bench.json
  contracts [--check]  compile contracts/*.sol with solc (or check the committed artifacts)
  client [--check]     generate the TypeScript client from the gateway's OpenAPI description
  fuzz [seconds]       run each fuzz target (default 300 s each)
  schemathesis [n]     schemathesis against a fresh gateway (default 200 examples per operation)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::run(),
        Some("demo") => demo::run(),
        Some("test") => test::run(),
        Some("web") => setup::run().and_then(|()| web::build()),
        Some("bench") => bench::run(args.get(1).map(String::as_str)),
        Some("schemathesis") => setup::run().and_then(|()| {
            let examples = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(200);
            schemathesis::run(examples, true)
        }),
        Some("fuzz") => setup::run().and_then(|()| {
            let seconds = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(300);
            fuzz::run(seconds)
        }),
        Some("client") => {
            setup::run().and_then(|()| client::run(args.get(1).is_some_and(|a| a == "--check")))
        }
        Some("contracts") => {
            setup::run().and_then(|()| contracts::run(args.get(1).is_some_and(|a| a == "--check")))
        }
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("\x1b[1;31merror:\x1b[0m {err:#}");
            ExitCode::FAILURE
        }
    }
}
