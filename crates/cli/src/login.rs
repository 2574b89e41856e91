//! Where `tender login` keeps the gateway and key: a JSON file readable by
//! its owner only, `$TENDER_CLI_CONFIG` or `~/.config/tender/cli.json`.

use std::path::PathBuf;

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// What `login` stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Login {
    pub gateway: String,
    pub api_key: String,
}

/// The file the login is kept in.
pub fn path() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("TENDER_CLI_CONFIG") {
        return Ok(PathBuf::from(path));
    }
    let home = std::env::var_os("HOME").context("no HOME: set TENDER_CLI_CONFIG")?;
    Ok(PathBuf::from(home).join(".config/tender/cli.json"))
}

/// Stores `login`, readable by its owner only.
pub fn save(login: &Login) -> anyhow::Result<PathBuf> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = path()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(serde_json::to_string_pretty(login)?.as_bytes())?;
    Ok(path)
}

/// The stored login.
pub fn load() -> anyhow::Result<Login> {
    let path = path()?;
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "not logged in ({} missing): run tender login",
            path.display()
        )
    })?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a login file", path.display()))
}
