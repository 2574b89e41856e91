//! A gateway process: its config file, its first merchant, and the running
//! server, started as an operator starts it (`tender-gateway --config`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::supervise::Supervised;

/// The mnemonic every local EVM node ships with; the gateway accepts it in
/// dev mode only.
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// An ERC-20 a network accepts.
#[derive(Debug, Clone)]
pub struct TokenToml {
    pub symbol: String,
    pub address: String,
    pub decimals: u32,
}

/// A network the gateway watches.
#[derive(Debug, Clone)]
pub struct NetworkToml {
    pub id: String,
    pub name: String,
    pub chain_id: u64,
    pub rpc_url: String,
    pub ws_url: Option<String>,
    pub confirmations: u64,
    pub tokens: Vec<TokenToml>,
}

impl NetworkToml {
    /// An ETH network without tokens.
    pub fn new(id: &str, name: &str, chain_id: u64, rpc_url: &str, confirmations: u64) -> Self {
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
            chain_id,
            rpc_url: rpc_url.to_owned(),
            ws_url: None,
            confirmations,
            tokens: Vec::new(),
        }
    }
}

/// A dev gateway's config file (`dev = true`, the dev mnemonic).
#[derive(Debug, Clone)]
pub struct GatewayToml {
    pub port: u16,
    pub database_url: String,
    pub cashier_dir: Option<PathBuf>,
    pub dashboard_dir: Option<PathBuf>,
    pub watcher_poll_ms: u64,
    pub networks: Vec<NetworkToml>,
    /// Static rates: (token, currency, price).
    pub rates: Vec<(String, String, String)>,
    /// Where `/metrics` is served (`[ops] metrics_listen`); by default a
    /// free loopback port.
    pub metrics_port: Option<u16>,
    /// More TOML, appended as is (`[webhooks]`, `[settlement]` tables).
    pub extra: String,
}

impl GatewayToml {
    pub fn new(port: u16, database_url: &str) -> Self {
        Self {
            port,
            database_url: database_url.to_owned(),
            cashier_dir: None,
            dashboard_dir: None,
            watcher_poll_ms: 1000,
            networks: Vec::new(),
            rates: Vec::new(),
            metrics_port: None,
            extra: String::new(),
        }
    }

    /// Adds a static rate: one `token` costs `price` `currency`.
    pub fn rate(mut self, token: &str, currency: &str, price: &str) -> Self {
        self.rates
            .push((token.to_owned(), currency.to_owned(), price.to_owned()));
        self
    }

    pub fn render(&self) -> String {
        let mut toml = format!(
            "# A dev gateway, written by tender-launch.\n\
             listen = \"127.0.0.1:{}\"\n\
             database_url = {:?}\n\
             dev = true\n\
             mnemonic = {DEV_MNEMONIC:?}\n\
             watcher_poll_ms = {}\n",
            self.port, self.database_url, self.watcher_poll_ms
        );
        if let Some(dir) = &self.cashier_dir {
            let _ = writeln!(toml, "cashier_dir = {:?}", dir.display().to_string());
        }
        if let Some(dir) = &self.dashboard_dir {
            let _ = writeln!(toml, "dashboard_dir = {:?}", dir.display().to_string());
        }
        for (token, currency, price) in &self.rates {
            let _ = write!(
                toml,
                "\n[[rates]]\ntoken = {token:?}\ncurrency = {currency:?}\nprice = {price:?}\n"
            );
        }
        for n in &self.networks {
            let _ = write!(
                toml,
                "\n[[networks]]\nid = {:?}\nname = {:?}\nchain_id = {}\nrpc_url = {:?}\n\
                 confirmations = {}\nnative_token = \"ETH\"\n",
                n.id, n.name, n.chain_id, n.rpc_url, n.confirmations
            );
            if let Some(ws) = &n.ws_url {
                let _ = writeln!(toml, "ws_url = {ws:?}");
            }
            for t in &n.tokens {
                let _ = write!(
                    toml,
                    "\n[[networks.tokens]]\nsymbol = {:?}\naddress = {:?}\ndecimals = {}\n",
                    t.symbol, t.address, t.decimals
                );
            }
        }
        if let Some(port) = self.metrics_port {
            let _ = write!(toml, "\n[ops]\nmetrics_listen = \"127.0.0.1:{port}\"\n");
        }
        if !self.extra.is_empty() {
            toml.push('\n');
            toml.push_str(&self.extra);
        }
        toml
    }

    /// Writes the file to `path`.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        std::fs::write(path, self.render())
            .with_context(|| format!("cannot write {}", path.display()))
    }
}

/// The `tender-gateway` binary and a config file it runs with.
#[derive(Debug, Clone)]
pub struct GatewayProcess {
    pub binary: PathBuf,
    pub config: PathBuf,
    /// `http://127.0.0.1:{port}`.
    pub url: String,
}

/// A merchant account `create-merchant` made.
#[derive(Debug, Clone)]
pub struct NewMerchant {
    pub merchant_id: String,
    pub api_key: String,
    /// Its first dashboard user's sign-in.
    pub dashboard_email: String,
    pub dashboard_password: String,
}

impl GatewayProcess {
    /// Writes `config` to `config_path` for `binary`; fails with a hint if
    /// the binary is not built.
    pub fn prepare(
        binary: &Path,
        config: &GatewayToml,
        config_path: &Path,
    ) -> anyhow::Result<Self> {
        if !binary.exists() {
            bail!(
                "{} not found: build it (`cargo build -p tender-gateway`; `cargo xtask test` does)",
                binary.display()
            );
        }
        config.write(config_path)?;
        Ok(Self {
            binary: binary.to_owned(),
            config: config_path.to_owned(),
            url: format!("http://127.0.0.1:{}", config.port),
        })
    }

    /// `tender-gateway create-merchant --name {name}`: a merchant and its
    /// first API key.
    pub fn create_merchant(&self, name: &str) -> anyhow::Result<NewMerchant> {
        self.create_merchant_as(name, None)
    }

    /// [`create_merchant`](Self::create_merchant) with its first dashboard
    /// user's email (`--email`).
    pub fn create_merchant_as(
        &self,
        name: &str,
        email: Option<&str>,
    ) -> anyhow::Result<NewMerchant> {
        let mut command = Command::new(&self.binary);
        command
            .arg("--config")
            .arg(&self.config)
            .args(["create-merchant", "--name", name]);
        if let Some(email) = email {
            command.args(["--email", email]);
        }
        let created = command
            .output()
            .context("cannot run tender-gateway create-merchant")?;
        if !created.status.success() {
            bail!(
                "create-merchant failed: {}",
                String::from_utf8_lossy(&created.stderr)
            );
        }
        let answer: serde_json::Value =
            serde_json::from_slice(&created.stdout).context("create-merchant printed no JSON")?;
        let field = |name: &str| {
            answer[name]
                .as_str()
                .map(str::to_owned)
                .with_context(|| format!("create-merchant printed no {name}"))
        };
        Ok(NewMerchant {
            merchant_id: field("merchantId")?,
            api_key: field("apiKey")?,
            dashboard_email: field("dashboardEmail")?,
            dashboard_password: field("dashboardPassword")?,
        })
    }

    /// Starts the gateway with its output in `log` (or, without one, its
    /// errors on this process's stderr), and waits until it answers
    /// `/health`.
    pub fn start(
        &self,
        name: &str,
        log: Option<&Path>,
        rust_log: &str,
    ) -> anyhow::Result<Supervised> {
        let mut command = Command::new(&self.binary);
        command
            .arg("--config")
            .arg(&self.config)
            .env("RUST_LOG", rust_log);
        let mut process = match log {
            Some(log) => Supervised::spawn_logged(name, &mut command, log)?,
            None => {
                let child = command
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::inherit())
                    .spawn()
                    .with_context(|| format!("cannot start {name}"))?;
                Supervised::adopt(name, child)
            }
        };
        process.wait_for_http(&format!("{}/health", self.url), Duration::from_secs(30))?;
        Ok(process)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_names_every_network_token_and_rate() {
        let mut config = GatewayToml::new(4000, "sqlite://x.db").rate("ETH", "USD", "2000");
        let mut network = NetworkToml::new("anvil", "Anvil", 31337, "http://127.0.0.1:8545", 2);
        network.ws_url = Some("ws://127.0.0.1:8545".into());
        network.tokens.push(TokenToml {
            symbol: "TUSD".into(),
            address: "0x5FbDB2315678afecb367f032d93F642f64180aa3".into(),
            decimals: 6,
        });
        config.networks.push(network);
        config.extra = "[settlement]\npoll_ms = 200\n".into();
        let toml = config.render();
        for line in [
            "listen = \"127.0.0.1:4000\"",
            "dev = true",
            "chain_id = 31337",
            "ws_url = \"ws://127.0.0.1:8545\"",
            "[[networks.tokens]]",
            "decimals = 6",
            "price = \"2000\"",
            "poll_ms = 200",
        ] {
            assert!(toml.contains(line), "{line} missing from:\n{toml}");
        }
        // The network's own keys come before its tokens' table.
        assert!(toml.find("ws_url").unwrap() < toml.find("[[networks.tokens]]").unwrap());
    }
}
