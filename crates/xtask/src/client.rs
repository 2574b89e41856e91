//! `cargo xtask client [--check]`: the TypeScript client in
//! `clients/typescript`, generated from the gateway's OpenAPI description
//! by openapi-typescript (npm): `openapi.json` (what `tender-gateway
//! openapi` prints; the gateway's tests fail when it is stale) and
//! `src/schema.d.ts` from it. `--check` fails if the committed types are
//! not what the committed description generates, then type-checks the
//! client and its typed usage test with tsc.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

use crate::process::{cargo, exec, root, step};

fn openapi_typescript(spec: &Path, out: &Path) -> anyhow::Result<()> {
    exec(
        Command::new(root().join("node_modules/.bin/openapi-typescript"))
            .arg(spec)
            .arg("-o")
            .arg(out)
            .arg("--silent"),
    )
    .context("openapi-typescript failed: run `cargo xtask setup`")
}

pub fn run(check: bool) -> anyhow::Result<()> {
    let dir = root().join("clients/typescript");
    let spec = dir.join("openapi.json");
    let types = dir.join("src/schema.d.ts");
    if check {
        step("the TypeScript client: generated from the committed openapi.json");
        let fresh = root().join("target/client-check/schema.d.ts");
        std::fs::create_dir_all(fresh.parent().expect("a directory"))?;
        openapi_typescript(&spec, &fresh)?;
        if std::fs::read(&fresh)? != std::fs::read(&types).unwrap_or_default() {
            bail!(
                "clients/typescript/src/schema.d.ts is stale: run `cargo xtask client` and commit"
            );
        }
        step("the TypeScript client: tsc --noEmit");
        return exec(
            Command::new(root().join("node_modules/.bin/tsc"))
                .args(["-p", "tsconfig.json"])
                .current_dir(&dir),
        )
        .context("the TypeScript client does not type-check");
    }
    step("writing clients/typescript/openapi.json (tender-gateway openapi)");
    let output = cargo(&["run", "-q", "-p", "tender-gateway", "--", "openapi"])
        .output()
        .context("cannot run cargo")?;
    if !output.status.success() {
        bail!(
            "tender-gateway openapi failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    std::fs::write(&spec, &output.stdout)?;
    step("writing clients/typescript/src/schema.d.ts (openapi-typescript)");
    openapi_typescript(&spec, &types)
}
