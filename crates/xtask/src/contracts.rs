//! `cargo xtask contracts [--check]`: compiles the project's Solidity with
//! npm's solc into the committed artifact the gateway and tests deploy from.
//! `--check` fails if the committed artifact differs from a fresh compile.

use std::process::Command;

use anyhow::{Context, bail};

use crate::process::{root, step};

/// (source, contract, artifact) of every contract.
const CONTRACTS: &[(&str, &str, &str)] = &[(
    "TestStablecoin.sol",
    "TestStablecoin",
    "TestStablecoin.json",
)];

pub fn run(check: bool) -> anyhow::Result<()> {
    let dir = root().join("contracts");
    for (source, contract, artifact) in CONTRACTS {
        step(&format!("compiling contracts/{source} with solc (npm)"));
        let output = Command::new("node")
            .args(["compile.mjs", source, contract])
            .current_dir(&dir)
            .output()
            .context("cannot run node: run `cargo xtask setup`")?;
        if !output.status.success() {
            bail!(
                "solc failed on {source}:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let path = dir.join(artifact);
        if check {
            let committed = std::fs::read(&path).with_context(|| format!("{}", path.display()))?;
            if committed != output.stdout {
                bail!(
                    "contracts/{artifact} is not the compiled contracts/{source}: run `cargo xtask contracts` and commit"
                );
            }
            step(&format!("contracts/{artifact} matches its source"));
        } else {
            std::fs::write(&path, &output.stdout)?;
            step(&format!("wrote contracts/{artifact}"));
        }
    }
    Ok(())
}
