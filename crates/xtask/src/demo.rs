//! `cargo xtask demo`: the whole local stack — two anvil chains with the test
//! stablecoin, the gateway with a dev merchant, the merchant server with the
//! storefront — and the URL to open. Ctrl-C (or SIGTERM) stops everything it
//! started.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::json;
use tender_client::Client;
use tender_launch::gateway::DEV_MNEMONIC;
use tender_launch::supervise::ensure_free;
use tender_launch::{GatewayProcess, GatewayToml, NetworkToml, Supervised, TokenToml};
use tender_protocol::{
    CreateApiKey, CreateProduct, CreateWebhookEndpoint, Currency, Money, ProductId,
    SettlementDestination,
};

use crate::process::{Children, cargo, debug_binary, exec, root, step};
use crate::{setup, web};

const GATEWAY_PORT: u16 = 4000;
const MERCHANT_PORT: u16 = 3000;
/// The gateway's metrics listener (Prometheus's exporter range).
const METRICS_PORT: u16 = 9464;
/// The demo's two price feeds.
const FEED_PORTS: [u16; 2] = [4101, 4102];
/// How long a server may take to start.
const START: Duration = Duration::from_secs(30);
/// The dev merchant's dashboard user (its password is made at each start).
const DASHBOARD_EMAIL: &str = "demo@tender.local";

/// The two local chains: (network id, name, chain id, port).
const CHAINS: [(&str, &str, u64, u16); 2] = [
    ("anvil", "Anvil (local)", 31337, 8545),
    ("anvil2", "Anvil 2 (local)", 31338, 8546),
];

/// anvil's funded accounts and keys, as it printed them at start.
fn dev_accounts(log: &Path) -> anyhow::Result<Vec<serde_json::Value>> {
    let text = fs::read_to_string(log)?;
    let section = |title: &str| -> Vec<String> {
        text.split(title)
            .nth(1)
            .unwrap_or("")
            .lines()
            .filter_map(|l| l.trim().strip_prefix('(').and_then(|l| l.split_once(") ")))
            .map(|(_, rest)| rest.split_whitespace().next().unwrap_or("").to_owned())
            .take(10)
            .collect()
    };
    let addresses = section("Available Accounts");
    let keys = section("Private Keys");
    Ok(addresses
        .into_iter()
        .zip(keys)
        .take(3)
        .map(|(address, private_key)| json!({"address": address, "privateKey": private_key}))
        .collect())
}

/// The gateway's config: dev mode, both chains with their stablecoin.
fn gateway_config(dir: &Path, stablecoins: &[String]) -> GatewayToml {
    let database = format!("sqlite://{}", dir.join("gateway.db").display());
    let mut config = GatewayToml::new(GATEWAY_PORT, &database)
        .rate("ETH", "USD", "2000.00")
        .rate("TUSD", "USD", "1");
    config.cashier_dir = Some(root().join("target/dist/cashier"));
    config.dashboard_dir = Some(root().join("target/dist/dashboard"));
    config.metrics_port = Some(METRICS_PORT);
    let feeds = FEED_PORTS
        .iter()
        .map(|port| format!("\"http://127.0.0.1:{port}/\""))
        .collect::<Vec<_>>()
        .join(", ");
    config.extra.push_str(&format!(
        "[pricing]\nfeed_urls = [{feeds}]\nmin_agreeing_sources = 2\nrefresh_seconds = 10\n"
    ));
    for ((id, name, chain_id, port), stablecoin) in CHAINS.iter().zip(stablecoins) {
        let rpc = format!("http://127.0.0.1:{port}");
        let mut network = NetworkToml::new(id, name, *chain_id, &rpc, 2);
        network.ws_url = Some(format!("ws://127.0.0.1:{port}"));
        network.tokens.push(TokenToml {
            symbol: "TUSD".into(),
            address: stablecoin.clone(),
            decimals: 6,
        });
        config.networks.push(network);
    }
    config
}

pub fn run() -> anyhow::Result<()> {
    setup::run()?;
    crate::contracts::run(true)?;
    web::build()?;
    step("building the gateway and the merchant server");
    exec(&mut cargo(&[
        "build",
        "-p",
        "tender-gateway",
        "-p",
        "tender-merchant",
    ]))?;
    for (_, name, _, port) in CHAINS {
        ensure_free(port, name)?;
    }
    ensure_free(GATEWAY_PORT, "gateway")?;
    ensure_free(MERCHANT_PORT, "merchant server")?;
    // Two feeds that nearly agree: quotes use their median.
    for (port, eth) in FEED_PORTS.iter().zip(["2000.00", "2001.00"]) {
        crate::feeds::serve(*port, crate::feeds::table(eth))?;
    }
    let dir = root().join("target/demo");
    fs::create_dir_all(&dir)?;
    for stale in fs::read_dir(&dir)? {
        let path = stale?.path();
        if path.to_string_lossy().contains(".db") {
            fs::remove_file(&path)?;
        }
    }
    let mut started = Children::default();

    let mut stablecoins = Vec::new();
    let mut chains = Vec::new();
    let mut first_log = None;
    for (id, name, chain_id, port) in CHAINS {
        step(&format!(
            "starting {name} (chain {chain_id}, a block every second) on port {port}"
        ));
        let log = dir.join(format!("{id}.log"));
        started.add(crate::process::start_anvil(port, chain_id, Some(1), &log)?);
        let rpc_url = format!("http://127.0.0.1:{port}");
        step(&format!("deploying the test stablecoin (TUSD) on {name}"));
        let stablecoin = deploy_stablecoin(&rpc_url)?;
        chains.push(json!({"name": name, "network": id, "chainId": chain_id, "rpcUrl": rpc_url, "stablecoin": stablecoin}));
        stablecoins.push(stablecoin);
        first_log.get_or_insert(log);
    }

    step(&format!("starting the gateway on port {GATEWAY_PORT}"));
    let gateway = GatewayProcess::prepare(
        &debug_binary("tender-gateway"),
        &gateway_config(&dir, &stablecoins),
        &dir.join("gateway.toml"),
    )?;
    started.add(gateway.start("the gateway", Some(&dir.join("gateway.log")), "info")?);

    step("creating the dev merchant, its products, webhook endpoint and payout wallet");
    let created = gateway.create_merchant_as("Tender Demo Shop", Some(DASHBOARD_EMAIL))?;
    let api_key = created.api_key;
    let gateway_url = gateway.url.clone();
    let merchant_url = format!("http://127.0.0.1:{MERCHANT_PORT}");
    let accounts = dev_accounts(first_log.as_deref().context("no chain started")?)?;
    let payout = accounts
        .get(2)
        .and_then(|a| a["address"].as_str())
        .context("anvil printed no third account")?
        .to_owned();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (product_ids, webhook_secret, shop_key) =
        runtime.block_on(catalogue(&gateway_url, &api_key, &merchant_url, &payout))?;

    step(&format!(
        "starting the merchant server on port {MERCHANT_PORT}"
    ));
    let mut merchant_server = Supervised::spawn_logged(
        "the merchant server",
        Command::new(debug_binary("tender-merchant"))
            .env(
                "TENDER_MERCHANT_LISTEN",
                format!("127.0.0.1:{MERCHANT_PORT}"),
            )
            .env("TENDER_GATEWAY_URL", &gateway_url)
            .env("TENDER_API_KEY", &shop_key)
            .env("TENDER_WEBHOOK_SECRET", &webhook_secret)
            .env(
                "TENDER_MERCHANT_DATABASE_URL",
                format!("sqlite://{}", dir.join("merchant.db").display()),
            )
            .env(
                "TENDER_STOREFRONT_DIR",
                root().join("target/dist/storefront"),
            ),
        &dir.join("merchant.log"),
    )?;
    merchant_server.wait_for_http(&format!("{merchant_url}/health"), START)?;
    started.add(merchant_server);

    let summary = json!({
        "storefrontUrl": format!("{merchant_url}/"),
        "merchantUrl": merchant_url,
        "gatewayUrl": gateway_url,
        "apiKey": api_key,
        "dashboardUrl": format!("{gateway_url}/dashboard"),
        "dashboardEmail": &created.dashboard_email,
        "dashboardPassword": &created.dashboard_password,
        "healthUrl": gateway_url,
        "metricsUrl": format!("http://127.0.0.1:{METRICS_PORT}/metrics"),
        "webhookSecret": webhook_secret,
        "productIds": product_ids,
        "chains": chains,
        "devAccounts": accounts,
        "payoutAddress": payout,
    });
    let summary_path = root().join("target/tender-demo.json");
    fs::write(&summary_path, serde_json::to_string_pretty(&summary)?)?;
    println!();
    println!("  Tender is running. Open the shop:  {merchant_url}/");
    println!();
    println!(
        "  Gateway API   {gateway_url}   (API key and more in {})",
        summary_path.display()
    );
    println!(
        "  Dashboard     {gateway_url}/dashboard   (sign in as {}, password {})",
        created.dashboard_email, created.dashboard_password
    );
    println!(
        "  Operations    {gateway_url}/healthz, {gateway_url}/readyz, http://127.0.0.1:{METRICS_PORT}/metrics"
    );
    println!("  Chains        31337 on :8545, 31338 on :8546 (ETH and TUSD on both)");
    println!("  Logs          {}", dir.display());
    println!("  Stop          Ctrl-C");
    println!();
    runtime.block_on(started.wait_for_stop())
}

/// `tender-gateway devnet`: deploys the test stablecoin on a fresh anvil,
/// mints it and funds the treasury; answers the token's address.
fn deploy_stablecoin(rpc_url: &str) -> anyhow::Result<String> {
    let prepared = Command::new(debug_binary("tender-gateway"))
        .args([
            "--dev",
            "--mnemonic",
            DEV_MNEMONIC,
            "devnet",
            "--rpc",
            rpc_url,
        ])
        .output()
        .context("cannot run tender-gateway devnet")?;
    if !prepared.status.success() {
        bail!(
            "deploying the stablecoin failed: {}",
            String::from_utf8_lossy(&prepared.stderr)
        );
    }
    let answer: serde_json::Value = serde_json::from_slice(&prepared.stdout)?;
    Ok(answer["stablecoin"]
        .as_str()
        .context("no stablecoin address")?
        .to_owned())
}

async fn catalogue(
    gateway_url: &str,
    api_key: &str,
    merchant_url: &str,
    payout: &str,
) -> anyhow::Result<(Vec<String>, String, String)> {
    let client = Client::new(gateway_url, api_key)?;
    let mut ids = Vec::new();
    for (id, name, description, price) in [
        (
            "prod_tshirt",
            "Tender T-shirt",
            "Soft organic cotton, printed with the Tender logo.",
            "25.00",
        ),
        (
            "prod_mug",
            "Tender Mug",
            "A 350 ml stoneware mug for long confirmations.",
            "12.00",
        ),
    ] {
        let product = client
            .create_product(&CreateProduct {
                id: Some(ProductId::parse(id)?),
                name: name.into(),
                description: Some(description.into()),
                image_url: None,
                price: Money::parse(price, Currency::Usd)?,
            })
            .await?;
        ids.push(product.id.to_string());
    }
    let endpoint = client
        .create_webhook_endpoint(&CreateWebhookEndpoint {
            url: format!("{merchant_url}/webhooks/tender"),
            enabled_events: vec!["*".into()],
        })
        .await?;
    client
        .put_settlement_destination(&SettlementDestination {
            network: CHAINS[0].0.into(),
            token: "ETH".into(),
            address: payout.parse()?,
        })
        .await?;
    let secret = endpoint
        .secret
        .context("the gateway did not return the endpoint secret")?;
    // The shop's server gets a key with only what it needs.
    let shop_key = client
        .create_api_key(&CreateApiKey {
            scopes: Some(tender_client::SHOP_SERVER_SCOPES.to_vec()),
        })
        .await?
        .secret
        .context("the gateway did not return the new key")?;
    Ok((ids, secret, shop_key))
}
