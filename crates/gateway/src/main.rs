//! `tender-gateway`: runs the payment platform, or bootstraps a merchant.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tender_gateway::config::Secret;
use tender_gateway::merchants::accounts;
use tender_gateway::ops::logs::Lines;
use tender_gateway::{Application, Config, db};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use url::Url;

/// mimalloc rather than the system allocator: a request allocates and frees
/// many small objects across threads, where glibc's malloc spent about a
/// tenth of the gateway's time under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The Tender payment platform. Settings come from defaults, then the TOML
/// file given by --config, then these flags or their environment variables.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    /// TOML config file (networks, rates, webhook schedule and everything below).
    #[arg(long, env = "TENDER_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:4000.
    #[arg(long, env = "TENDER_LISTEN", global = true)]
    listen: Option<SocketAddr>,
    /// Public base URL, used in each session's paymentUrl.
    #[arg(long, env = "TENDER_PUBLIC_URL", global = true)]
    public_url: Option<Url>,
    /// Database URL: sqlite://tender.db (the default kind) or postgres://user@host/db;
    /// DATABASE_URL is read too.
    #[arg(long, env = "TENDER_DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// BIP-39 phrase deposit addresses are derived from (keep it secret).
    #[arg(long, env = "TENDER_MNEMONIC", global = true, hide_env_values = true)]
    mnemonic: Option<String>,
    /// Key webhook secrets are encrypted with at rest: 64 hex digits
    /// (openssl rand -hex 32). Required outside dev mode.
    #[arg(long, env = "TENDER_SECRET_KEY", global = true, hide_env_values = true)]
    secret_key: Option<String>,
    /// Keys from before a rotation, comma-separated; secrets under them are
    /// encrypted again under --secret-key at start-up.
    #[arg(
        long,
        env = "TENDER_PREVIOUS_SECRET_KEYS",
        global = true,
        hide_env_values = true,
        value_delimiter = ','
    )]
    previous_secret_keys: Vec<String>,
    /// Directory of the built cashier page (trunk's output).
    #[arg(long, env = "TENDER_CASHIER_DIR", global = true)]
    cashier_dir: Option<PathBuf>,
    /// Directory of the built dashboard (trunk's output).
    #[arg(long, env = "TENDER_DASHBOARD_DIR", global = true)]
    dashboard_dir: Option<PathBuf>,
    /// Development mode: allows the well-known dev mnemonic and local chains.
    #[arg(long, env = "TENDER_DEV", global = true)]
    dev: bool,
    /// Logs as JSON lines (also `ops.json_logs`).
    #[arg(long, env = "TENDER_JSON_LOGS", global = true)]
    json_logs: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the gateway (the default).
    Serve,
    /// Create a merchant account and print its id and first API key as JSON.
    CreateMerchant {
        /// The name shoppers see on the cashier.
        #[arg(long)]
        name: String,
        /// The first dashboard user's email (its password is generated and
        /// printed); by default `owner@{merchant id}.invalid`.
        #[arg(long)]
        email: Option<String>,
    },
    /// Print the API's OpenAPI 3.1 description (what `/openapi.json`
    /// serves), from which `cargo xtask client` generates the TypeScript
    /// client.
    Openapi,
    /// Dev chains only (anvil): deploy the test stablecoin, mint it to the
    /// first dev accounts and the treasury, fund the treasury's gas, and
    /// print the token's address as JSON.
    Devnet {
        /// The anvil's JSON-RPC URL.
        #[arg(long)]
        rpc: Url,
    },
}

impl Cli {
    fn into_config(self) -> anyhow::Result<(Config, Option<Command>)> {
        let mut config = match &self.config {
            Some(path) => Config::from_toml_file(path)?,
            None => Config::default(),
        };
        if let Some(v) = self.listen {
            config.listen = v;
        }
        if let Some(v) = self.public_url {
            config.public_url = Some(v);
        }
        // The conventional DATABASE_URL works too, where nothing more
        // specific (the flag, TENDER_DATABASE_URL, the config file) says.
        let unset = config.database_url == Config::default().database_url;
        let conventional = std::env::var("DATABASE_URL").ok().filter(|_| unset);
        if let Some(v) = self.database_url.or(conventional) {
            config.database_url = v;
        }
        if let Some(v) = self.mnemonic {
            config.mnemonic = Secret::new(v);
        }
        if let Some(v) = self.secret_key {
            config.security.secret_key = Secret::new(v);
        }
        if !self.previous_secret_keys.is_empty() {
            config.security.previous_secret_keys = self
                .previous_secret_keys
                .into_iter()
                .map(Secret::new)
                .collect();
        }
        if let Some(v) = self.cashier_dir {
            config.cashier_dir = Some(v);
        }
        if let Some(v) = self.dashboard_dir {
            config.dashboard_dir = Some(v);
        }
        config.dev |= self.dev;
        config.ops.json_logs |= self.json_logs;
        Ok((config, self.command))
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (config, command) = Cli::parse().into_config()?;
    // Logs go to stderr: stdout carries the JSON that commands such as
    // create-merchant print, which a slow-statement warning must not spoil.
    // Written by a thread of their own (`logs`), in colour on a terminal
    // only (a log file would keep the escape codes).
    let lines: &'static Lines = Box::leak(Box::new(Lines::to(std::io::stderr())?));
    let logs = tracing_subscriber::fmt()
        .with_writer(|| lines.make_writer())
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        );
    if config.ops.json_logs {
        logs.json().flatten_event(true).init();
    } else {
        logs.init();
    }
    let ran = execute(config, command).await;
    // Every line logged so far written before the process ends.
    lines.finish();
    ran
}

/// Runs the command given (serving, by default).
async fn execute(config: Config, command: Option<Command>) -> anyhow::Result<()> {
    match command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let grace = Duration::from_secs(config.ops.shutdown_grace_seconds);
            let app = Application::build(config).await?;
            let shutdown = CancellationToken::new();
            tokio::spawn(stop_on_signal(shutdown.clone()));
            let run = app.run(shutdown.clone());
            let overdue = async {
                shutdown.cancelled().await;
                tokio::time::sleep(grace).await;
            };
            let ran = tokio::select! {
                ran = run => ran,
                () = overdue => {
                    // What is still claimed is taken again when its lease ends.
                    tracing::warn!(grace_seconds = grace.as_secs(), "not stopped within the grace period; exiting");
                    Ok(())
                }
            };
            let (sections, held) = db::serial::totals();
            tracing::info!(
                sections,
                held_us = held.as_micros() as u64,
                "serialized write sections"
            );
            ran
        }
        Command::Openapi => {
            println!("{}", tender_gateway::openapi::document()?);
            Ok(())
        }
        Command::Devnet { rpc } => {
            anyhow::ensure!(config.dev, "devnet is for dev mode only (--dev)");
            let treasury =
                tender_gateway::chain::treasury::Treasury::from_mnemonic(config.mnemonic.expose())?;
            let token = tender_gateway::chain::devnet::prepare(rpc, treasury.address()).await?;
            println!(
                "{}",
                serde_json::json!({"stablecoin": token.to_string(), "treasury": treasury.address().to_string()})
            );
            Ok(())
        }
        Command::CreateMerchant { name, email } => {
            let pool = db::connect(&config.database_url).await?;
            let created = accounts::create(&pool, &name, email.as_deref())
                .await
                .context("creating merchant")?;
            println!("{}", serde_json::to_string(&created)?);
            Ok(())
        }
    }
}

async fn stop_on_signal(shutdown: CancellationToken) {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("cannot install the SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("shutting down");
    shutdown.cancel();
}
