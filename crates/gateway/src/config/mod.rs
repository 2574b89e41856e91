//! The gateway's typed configuration: defaults, then a TOML file, then
//! `TENDER_*` environment variables and flags (see `main.rs`), validated once
//! at start-up.
//!
//! The file is long because every setting is documented where it is
//! declared, with its default and its check beside it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use serde::Deserialize;
pub use tender_protocol::Secret;
use tender_protocol::{Currency, ExchangeRate};

use url::Url;

mod ops;
mod pricing;
mod security;
pub use ops::OpsConfig;
pub use pricing::PricingConfig;
pub use security::{LimitsConfig, SecurityConfig};

/// The mnemonic every local EVM node ships with. Fine for a laptop, fatal in
/// production: anyone can derive its keys.
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// One EVM network the gateway accepts payments on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// Short key used in the API (`"anvil"`, `"base"`).
    pub id: String,
    /// Name shown to shoppers.
    pub name: String,
    pub chain_id: u64,
    /// JSON-RPC endpoint over HTTP (block fetches, logs, receipts, sends).
    pub rpc_url: Url,
    /// WebSocket endpoint for new-head notifications; without it the
    /// watcher polls `rpc_url`.
    #[serde(default)]
    pub ws_url: Option<Url>,
    /// A public JSON-RPC URL shoppers' wallets may use to add the network
    /// (never `rpc_url`, which may carry a provider key).
    #[serde(default)]
    pub public_rpc_url: Option<Url>,
    /// Blocks a payment needs (its own included) before it counts.
    pub confirmations: u64,
    /// Symbol of the native token (`"ETH"`); it has 18 decimals.
    pub native_token: String,
    /// ERC-20 tokens accepted on this network.
    #[serde(default)]
    pub tokens: Vec<TokenConfig>,
}

/// An ERC-20 token accepted on a network.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    pub symbol: String,
    pub address: tender_protocol::Address,
    pub decimals: u32,
}

impl NetworkConfig {
    /// The token `symbol` on this network: `None` for the native token's
    /// contract; `Err` if the network does not take it.
    pub fn token(&self, symbol: &str) -> Option<(Option<&TokenConfig>, u32)> {
        if symbol == self.native_token {
            return Some((None, NATIVE_DECIMALS));
        }
        self.tokens
            .iter()
            .find(|t| t.symbol == symbol)
            .map(|t| (Some(t), t.decimals))
    }
}

/// Paying merchants out.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SettlementConfig {
    /// The gateway's fee, in basis points of the amount due (100 = 1%).
    pub fee_bps: u32,
    /// How often the settlement worker runs, in milliseconds.
    pub poll_ms: u64,
    /// A transaction not mined this long after it was sent is replaced at
    /// the same nonce with higher fees.
    pub replace_after_seconds: u64,
    /// A payout that reverts is tried again this many times in all, then
    /// the session gets `session.settlement_failed`.
    pub max_payout_attempts: u32,
    /// The pause before trying a reverted payout again, doubling each time;
    /// also the longest a transaction a node refused waits to be tried again.
    pub retry_after_seconds: u64,
}

impl Default for SettlementConfig {
    fn default() -> Self {
        Self {
            fee_bps: 100,
            poll_ms: 1_000,
            replace_after_seconds: 180,
            max_payout_attempts: 5,
            retry_after_seconds: 60,
        }
    }
}

/// The native token's decimals on every EVM network.
pub const NATIVE_DECIMALS: u32 = 18;

/// A static exchange rate: the price of one whole `token` in `currency`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateConfig {
    pub token: String,
    pub currency: Currency,
    /// Decimal string, e.g. `"2000.00"`.
    pub price: String,
}

impl RateConfig {
    pub fn to_rate(&self) -> ExchangeRate {
        ExchangeRate {
            token: self.token.clone(),
            currency: self.currency,
            price: self.price.clone(),
        }
    }
}

/// Webhook delivery settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookConfig {
    /// Delay before each attempt, in milliseconds; the first is normally 0.
    /// The number of entries is the number of attempts.
    pub retry_schedule_ms: Vec<u64>,
    /// How long one delivery request may take.
    pub request_timeout_ms: u64,
    /// How often the dispatcher looks for due deliveries when not woken.
    pub poll_interval_ms: u64,
    /// How long a claimed delivery is held; one left unfinished by a crash
    /// is taken again after this.
    pub lease_ms: u64,
    /// Events older than this, with no delivery still pending, are deleted
    /// with their deliveries and attempts.
    pub retention_days: u32,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        // Immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
        let seconds = [0, 5, 300, 1800, 7200, 18_000, 36_000, 36_000];
        Self {
            retry_schedule_ms: seconds.iter().map(|s| s * 1000).collect(),
            request_timeout_ms: 15_000,
            poll_interval_ms: 1_000,
            lease_ms: 60_000,
            retention_days: 30,
        }
    }
}

/// Everything the gateway needs to run.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Public base URL (for `paymentUrl`); defaults to `http://{listen}`.
    pub public_url: Option<Url>,
    /// `sqlite://path/to/file.db` (created if missing; not in memory).
    pub database_url: String,
    /// BIP-39 phrase deposit addresses are derived from.
    pub mnemonic: Secret<String>,
    /// Development mode: allows the well-known dev mnemonic.
    pub dev: bool,
    pub networks: Vec<NetworkConfig>,
    /// The static rate table (used when `pricing.feed_url` is not set).
    pub rates: Vec<RateConfig>,
    pub pricing: PricingConfig,
    pub settlement: SettlementConfig,
    /// Directory of the built cashier (trunk's dist), served at `/pay/{id}`.
    pub cashier_dir: Option<PathBuf>,
    /// Directory of the built dashboard (trunk's dist), served at `/dashboard`.
    pub dashboard_dir: Option<PathBuf>,
    /// How long a quote's amount is locked, in seconds.
    pub quote_ttl_seconds: u64,
    /// Default session lifetime, in seconds.
    pub session_ttl_seconds: u64,
    /// How long a refund's claim link works, in seconds.
    pub refund_claim_ttl_seconds: u64,
    /// How often each network's watcher polls for new blocks, in milliseconds.
    pub watcher_poll_ms: u64,
    /// A session is expired only once every network's watcher has scanned
    /// past its `expiresAt` (a payment made in time is never late because a
    /// node was down); after this many seconds more it expires regardless,
    /// and says so (`expiredWhileChainsBehind`).
    pub expiry_outage_allowance_seconds: u64,
    pub webhooks: WebhookConfig,
    pub limits: LimitsConfig,
    pub security: SecurityConfig,
    pub ops: OpsConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 4000)),
            public_url: None,
            database_url: "sqlite://tender-gateway.db".to_owned(),
            mnemonic: Secret::new(String::new()),
            dev: false,
            networks: Vec::new(),
            rates: Vec::new(),
            pricing: PricingConfig::default(),
            settlement: SettlementConfig::default(),
            cashier_dir: None,
            dashboard_dir: None,
            quote_ttl_seconds: 15 * 60,
            session_ttl_seconds: 3600,
            refund_claim_ttl_seconds: 30 * 24 * 3600,
            watcher_poll_ms: 1_000,
            expiry_outage_allowance_seconds: 1800,
            webhooks: WebhookConfig::default(),
            limits: LimitsConfig::default(),
            security: SecurityConfig::default(),
            ops: OpsConfig::default(),
        }
    }
}

impl Config {
    /// Reads a TOML file over the defaults.
    pub fn from_toml_file(path: &std::path::Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
    }

    /// Refuses settings the gateway cannot run safely with.
    pub fn validate(&self) -> anyhow::Result<()> {
        let phrase = self.mnemonic.expose().trim();
        ensure!(
            !phrase.is_empty(),
            "no mnemonic: set TENDER_MNEMONIC (or `mnemonic` in the config file)"
        );
        let feeds = self.pricing.feeds().len();
        ensure!(
            feeds == 0 || (1..=feeds).contains(&(self.pricing.min_agreeing_sources as usize)),
            "pricing.min_agreeing_sources must be between 1 and the {feeds} feeds configured"
        );
        if !self.dev && phrase == DEV_MNEMONIC {
            bail!(
                "refusing to start with the well-known development mnemonic outside dev mode: \
                 anyone can spend from its addresses. Set TENDER_MNEMONIC to your own phrase."
            );
        }
        let mut seen = std::collections::HashSet::new();
        for network in &self.networks {
            ensure!(
                seen.insert(&network.id),
                "network {:?} is configured twice",
                network.id
            );
            ensure!(
                network.confirmations >= 1,
                "network {:?}: confirmations must be at least 1",
                network.id
            );
            let mut symbols = std::collections::HashSet::new();
            symbols.insert(&network.native_token);
            for token in &network.tokens {
                ensure!(
                    symbols.insert(&token.symbol),
                    "network {:?}: token {:?} is configured twice",
                    network.id,
                    token.symbol
                );
                ensure!(
                    token.decimals <= 18,
                    "network {:?}: token {:?} has more than 18 decimals",
                    network.id,
                    token.symbol
                );
            }
            if self.pricing.feeds().is_empty() {
                for symbol in symbols {
                    ensure!(
                        self.rates.iter().any(|r| &r.token == symbol),
                        "network {:?}: no rate configured for its token {symbol:?}",
                        network.id,
                    );
                }
            }
        }
        ensure!(
            self.settlement.fee_bps < 10_000,
            "settlement.fee_bps must be below 10000 (100%)"
        );
        for rate in &self.rates {
            ensure!(
                rate.to_rate()
                    .to_token_units(tender_protocol::Money::from_minor(1, rate.currency), 18)
                    .is_some(),
                "rate for {} in {} is not a positive decimal: {:?}",
                rate.token,
                rate.currency,
                rate.price
            );
        }
        ensure!(
            !self.webhooks.retry_schedule_ms.is_empty(),
            "webhooks.retry_schedule_ms needs at least one entry"
        );
        ensure!(
            self.webhooks.lease_ms > self.webhooks.request_timeout_ms,
            "webhooks.lease_ms must be longer than webhooks.request_timeout_ms"
        );
        self.limits.validate()?;
        ensure!(
            self.dev || !self.security.secret_key.expose().trim().is_empty(),
            "no secret key: set TENDER_SECRET_KEY to 64 hex digits (openssl rand -hex 32); \
             webhook secrets are encrypted with it"
        );
        Ok(())
    }

    /// The rules webhook targets are held to.
    pub fn target_policy(&self) -> crate::webhooks::targets::Policy {
        crate::webhooks::targets::Policy {
            allow_private: self.security.allow_private_targets.unwrap_or(self.dev),
            require_https: !self.dev,
        }
    }

    /// Every token symbol some network takes (its own coin and its ERC-20s).
    pub fn tokens(&self) -> impl Iterator<Item = &str> {
        self.networks.iter().flat_map(|n| {
            std::iter::once(n.native_token.as_str())
                .chain(n.tokens.iter().map(|t| t.symbol.as_str()))
        })
    }

    pub fn network(&self, id: &str) -> Option<&NetworkConfig> {
        self.networks.iter().find(|n| n.id == id)
    }

    pub fn network_by_chain(&self, chain_id: u64) -> Option<&NetworkConfig> {
        self.networks.iter().find(|n| n.chain_id == chain_id)
    }

    /// The decimals of a token some configured network accepts. Tender
    /// treats a symbol as one asset with one number of decimals.
    pub fn token_decimals(&self, symbol: &str) -> Option<u32> {
        self.networks
            .iter()
            .find_map(|n| n.token(symbol))
            .map(|(_, d)| d)
    }

    /// Whether the dev wallet may be offered: dev mode, and every network on
    /// this machine (so only play money can move).
    pub fn offers_dev_wallet(&self) -> bool {
        self.dev
            && !self.networks.is_empty()
            && self.networks.iter().all(|n| {
                matches!(n.rpc_url.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
                    || n.rpc_url.host_str() == Some("localhost")
            })
    }

    pub fn watcher_poll(&self) -> Duration {
        Duration::from_millis(self.watcher_poll_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Config {
        Config {
            mnemonic: Secret::new(DEV_MNEMONIC.to_owned()),
            dev: true,
            ..Config::default()
        }
    }

    #[test]
    fn dev_mnemonic_is_refused_outside_dev_mode() {
        assert!(base().validate().is_ok());
        let prod = Config {
            dev: false,
            ..base()
        };
        let err = prod.validate().unwrap_err().to_string();
        assert!(err.contains("well-known development mnemonic"), "{err}");
    }

    #[test]
    fn secrets_do_not_print() {
        let printed = format!("{:?}", base());
        assert!(!printed.contains("junk"), "{printed}");
    }

    #[test]
    fn toml_settings_override_defaults() {
        let config: Config = toml::from_str(
            r#"
            dev = true
            mnemonic = "test test test test test test test test test test test junk"
            [[networks]]
            id = "anvil"
            name = "Anvil"
            chain_id = 31337
            rpc_url = "http://127.0.0.1:8545"
            confirmations = 2
            native_token = "ETH"
            [[rates]]
            token = "ETH"
            currency = "USD"
            price = "2000.00"
            "#,
        )
        .unwrap();
        config.validate().unwrap();
        assert_eq!(config.networks[0].chain_id, 31337);
        assert_eq!(config.quote_ttl_seconds, 900);
    }
}
