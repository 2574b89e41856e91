//! `cargo xtask demo`: the whole local stack — two anvil chains with the test
//! stablecoin, the gateway with a dev merchant, the merchant server with the
//! storefront — and the URL to open. Ctrl-C (or SIGTERM) stops everything it
//! started.

use std::fs;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::json;
use tender_client::Client;
use tender_protocol::{
    CreateProduct, CreateWebhookEndpoint, Currency, Money, ProductId, SettlementDestination,
};

use crate::process::{cargo, exec};
use crate::{root, setup, step, web};

const GATEWAY_PORT: u16 = 4000;
const MERCHANT_PORT: u16 = 3000;
const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// The two local chains: (network id, name, chain id, port).
const CHAINS: [(&str, &str, u64, u16); 2] = [
    ("anvil", "Anvil (local)", 31337, 8545),
    ("anvil2", "Anvil 2 (local)", 31338, 8546),
];

/// Children stopped (SIGTERM, then waited for) when dropped.
struct Started(Vec<(&'static str, Child)>);

impl Drop for Started {
    fn drop(&mut self) {
        for (name, child) in self.0.iter_mut().rev() {
            let _ = Command::new("kill").arg(child.id().to_string()).status();
            let _ = child.wait();
            eprintln!("stopped {name}");
        }
    }
}

fn ensure_free(port: u16, what: &str) -> anyhow::Result<()> {
    if TcpListener::bind(("127.0.0.1", port)).is_err() {
        bail!("port {port} ({what}) is in use: stop whatever listens there and run again");
    }
    Ok(())
}

fn spawn_logged(name: &'static str, command: &mut Command, log: &Path) -> anyhow::Result<Child> {
    let file = fs::File::create(log).with_context(|| format!("{}", log.display()))?;
    command
        .stdout(file.try_clone()?)
        .stderr(file)
        .stdin(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {name}"))
}

fn wait_for_port(port: u16, what: &str, child: &mut Child, log: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if let Some(status) = child.try_wait()? {
            bail!("{what} exited ({status}); see {}", log.display());
        }
        if TcpListener::bind(("127.0.0.1", port)).is_err() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!(
        "{what} did not listen on port {port} within 30 s; see {}",
        log.display()
    )
}

fn wait_for_http(url: &str, what: &str, child: &mut Child, log: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if let Some(status) = child.try_wait()? {
            bail!("{what} exited ({status}); see {}", log.display());
        }
        let ok = Command::new("curl")
            .args(["-fsS", "-o", "/dev/null", url])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    bail!(
        "{what} did not answer at {url} within 30 s; see {}",
        log.display()
    )
}

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
fn gateway_config(dir: &Path, stablecoins: &[String]) -> String {
    let mut config = format!(
        r#"# Written by `cargo xtask demo`: a dev gateway on two local anvil chains.
listen = "127.0.0.1:{GATEWAY_PORT}"
database_url = "sqlite://{db}"
dev = true
mnemonic = "{DEV_MNEMONIC}"
cashier_dir = "{cashier}"
watcher_poll_ms = 1000

[[rates]]
token = "ETH"
currency = "USD"
price = "2000.00"

[[rates]]
token = "TUSD"
currency = "USD"
price = "1"
"#,
        db = dir.join("gateway.db").display(),
        cashier = root().join("target/dist/cashier").display(),
    );
    for ((id, name, chain_id, port), stablecoin) in CHAINS.iter().zip(stablecoins) {
        config.push_str(&format!(
            r#"
[[networks]]
id = "{id}"
name = "{name}"
chain_id = {chain_id}
rpc_url = "http://127.0.0.1:{port}"
ws_url = "ws://127.0.0.1:{port}"
confirmations = 2
native_token = "ETH"

[[networks.tokens]]
symbol = "TUSD"
address = "{stablecoin}"
decimals = 6
"#
        ));
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
    let dir = root().join("target/demo");
    fs::create_dir_all(&dir)?;
    for stale in fs::read_dir(&dir)? {
        let path = stale?.path();
        if path.to_string_lossy().contains(".db") {
            fs::remove_file(&path)?;
        }
    }
    let bin = |name: &str| root().join("target/debug").join(name);
    let mut started = Started(Vec::new());

    let mut stablecoins = Vec::new();
    let mut chains = Vec::new();
    let mut first_log = None;
    for (id, name, chain_id, port) in CHAINS {
        step(&format!(
            "starting {name} (chain {chain_id}, a block every second) on port {port}"
        ));
        let log = dir.join(format!("{id}.log"));
        let mut anvil = spawn_logged(
            "anvil",
            Command::new(setup::anvil_path()).args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--chain-id",
                &chain_id.to_string(),
                "--block-time",
                "1",
            ]),
            &log,
        )?;
        wait_for_port(port, name, &mut anvil, &log)?;
        started.0.push(("anvil", anvil));
        let rpc_url = format!("http://127.0.0.1:{port}");
        step(&format!("deploying the test stablecoin (TUSD) on {name}"));
        let prepared = Command::new(bin("tender-gateway"))
            .args([
                "--dev",
                "--mnemonic",
                DEV_MNEMONIC,
                "devnet",
                "--rpc",
                &rpc_url,
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
        let stablecoin = answer["stablecoin"]
            .as_str()
            .context("no stablecoin address")?
            .to_owned();
        chains.push(json!({"name": name, "network": id, "chainId": chain_id, "rpcUrl": rpc_url, "stablecoin": stablecoin}));
        stablecoins.push(stablecoin);
        first_log.get_or_insert(log);
    }

    step(&format!("starting the gateway on port {GATEWAY_PORT}"));
    let config_path = dir.join("gateway.toml");
    fs::write(&config_path, gateway_config(&dir, &stablecoins))?;
    let gateway_log = dir.join("gateway.log");
    let mut gateway = spawn_logged(
        "gateway",
        Command::new(bin("tender-gateway"))
            .arg("--config")
            .arg(&config_path),
        &gateway_log,
    )?;
    let gateway_url = format!("http://127.0.0.1:{GATEWAY_PORT}");
    wait_for_http(
        &format!("{gateway_url}/health"),
        "the gateway",
        &mut gateway,
        &gateway_log,
    )?;
    started.0.push(("gateway", gateway));

    step("creating the dev merchant, its products, webhook endpoint and payout wallet");
    let created = Command::new(bin("tender-gateway"))
        .arg("--config")
        .arg(&config_path)
        .args(["create-merchant", "--name", "Tender Demo Shop"])
        .output()
        .context("cannot run tender-gateway create-merchant")?;
    if !created.status.success() {
        bail!(
            "create-merchant failed: {}",
            String::from_utf8_lossy(&created.stderr)
        );
    }
    let merchant: serde_json::Value = serde_json::from_slice(&created.stdout)?;
    let api_key = merchant["apiKey"].as_str().context("no apiKey")?.to_owned();
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
    let (product_ids, webhook_secret) =
        runtime.block_on(catalogue(&gateway_url, &api_key, &merchant_url, &payout))?;

    step(&format!(
        "starting the merchant server on port {MERCHANT_PORT}"
    ));
    let merchant_log = dir.join("merchant.log");
    let mut merchant_server = spawn_logged(
        "merchant server",
        Command::new(bin("tender-merchant"))
            .env(
                "TENDER_MERCHANT_LISTEN",
                format!("127.0.0.1:{MERCHANT_PORT}"),
            )
            .env("TENDER_GATEWAY_URL", &gateway_url)
            .env("TENDER_API_KEY", &api_key)
            .env("TENDER_WEBHOOK_SECRET", &webhook_secret)
            .env(
                "TENDER_MERCHANT_DATABASE_URL",
                format!("sqlite://{}", dir.join("merchant.db").display()),
            )
            .env(
                "TENDER_STOREFRONT_DIR",
                root().join("target/dist/storefront"),
            ),
        &merchant_log,
    )?;
    wait_for_http(
        &format!("{merchant_url}/health"),
        "the merchant server",
        &mut merchant_server,
        &merchant_log,
    )?;
    started.0.push(("merchant server", merchant_server));

    let summary = json!({
        "storefrontUrl": format!("{merchant_url}/"),
        "merchantUrl": merchant_url,
        "gatewayUrl": gateway_url,
        "apiKey": api_key,
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
    println!("  Chains        31337 on :8545, 31338 on :8546 (ETH and TUSD on both)");
    println!("  Logs          {}", dir.display());
    println!("  Stop          Ctrl-C");
    println!();
    runtime.block_on(wait_for_stop(&mut started))
}

async fn catalogue(
    gateway_url: &str,
    api_key: &str,
    merchant_url: &str,
    payout: &str,
) -> anyhow::Result<(Vec<String>, String)> {
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
    Ok((ids, secret))
}

/// Returns on SIGINT or SIGTERM, or fails if a child dies first.
async fn wait_for_stop(started: &mut Started) -> anyhow::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            _ = term.recv() => return Ok(()),
            () = tokio::time::sleep(Duration::from_secs(1)) => {
                for (name, child) in &mut started.0 {
                    if let Some(status) = child.try_wait()? {
                        bail!("{name} exited ({status}); see target/demo/");
                    }
                }
            }
        }
    }
}
