//! The watcher's cost per block with 10, 1,000 and 10,000 open quotes: RPC
//! calls (which must stay constant) and CPU time. `cargo xtask bench` runs
//! it; it prints one JSON line per size.

use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::primitives::{Address, U256};
use tender_e2e::Anvil;
use tender_gateway::chain::devnet::{self, STABLECOIN_DECIMALS};
use tender_gateway::chain::treasury::Treasury;
use tender_gateway::chain::watcher::Watcher;
use tender_gateway::config::{DEV_MNEMONIC, NetworkConfig, RateConfig, TokenConfig};
use tender_protocol::{Currency, Secret};

/// Blocks timed per size; each carries one payment to a watched address.
const BLOCKS: u64 = 50;

/// User + system CPU time of this process so far.
fn cpu_time() -> Duration {
    cpu_time::ProcessTime::now().as_duration()
}

async fn measure(quotes: usize) -> serde_json::Value {
    let anvil = Anvil::start(31337, None);
    let rpc: url::Url = anvil.rpc_url.parse().unwrap();
    let treasury = Treasury::from_mnemonic(DEV_MNEMONIC).unwrap().address();
    let token = devnet::prepare(rpc.clone(), treasury).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let network = NetworkConfig {
        id: "anvil".into(),
        name: "Anvil".into(),
        chain_id: 31337,
        rpc_url: rpc.clone(),
        ws_url: None,
        public_rpc_url: None,
        confirmations: 2,
        native_token: "ETH".into(),
        tokens: vec![TokenConfig {
            symbol: "TUSD".into(),
            address: token.to_string().parse().unwrap(),
            decimals: STABLECOIN_DECIMALS,
        }],
    };
    let config = tender_gateway::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: format!("sqlite://{}", dir.path().join("gateway.db").display()),
        mnemonic: Secret::new(DEV_MNEMONIC.into()),
        dev: true,
        networks: vec![network],
        rates: ["ETH", "TUSD"]
            .map(|t| RateConfig {
                token: t.into(),
                currency: Currency::Usd,
                price: "1".into(),
            })
            .to_vec(),
        ..tender_gateway::Config::default()
    };
    // The gateway's state, without its workers: the bench drives the watcher.
    let app = tender_gateway::Application::build(config).await.unwrap();
    let state = app.state().clone();
    let merchant = tender_gateway::merchants::accounts::create(&state.db, "Bench", None)
        .await
        .unwrap()
        .merchant_id;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut addresses = Vec::with_capacity(quotes);
    let mut tx = state.db.begin().await.unwrap();
    for i in 0..quotes {
        let session = format!("cs_bench{i}");
        sqlx::query(
            "INSERT INTO sessions (id, merchant_id, status, line_items, amount_due_minor, currency, metadata,
                                   success_url, expires_at, created_at, updated_at)
             VALUES ($1, $2, 'open', '[]', '100', 'USD', '{}', 'https://x.test/', $3, $4, $4)",
        )
        .bind(&session)
        .bind(merchant.as_str())
        .bind(now + 3600)
        .bind(now)
        .execute(&mut *tx)
        .await
        .unwrap();
        let address = Address::from_word(alloy::primitives::keccak256(i.to_be_bytes()));
        let (symbol, contract) = if i % 2 == 0 {
            ("ETH", None)
        } else {
            ("TUSD", Some(token.to_string().to_lowercase()))
        };
        sqlx::query(
            "INSERT INTO quotes (id, session_id, network, chain_id, token, token_address, decimals, amount_raw,
                                 covers_minor, deposit_index, deposit_address, rate_price, rate_currency,
                                 expires_at, created_at)
             VALUES ($1, $2, 'anvil', 31337, $3, $4, 18, '1000', '100', $5, $6, '1', 'USD', $7, $8)",
        )
        .bind(format!("qt_bench{i}"))
        .bind(&session)
        .bind(symbol)
        .bind(contract)
        .bind(i as i64 + 1_000_000)
        .bind(address.to_string().to_lowercase())
        .bind(now + 3600)
        .bind(now)
        .execute(&mut *tx)
        .await
        .unwrap();
        addresses.push(address);
    }
    tx.commit().await.unwrap();

    let chain = state.chains.get("anvil").unwrap().clone();
    let watcher = Watcher::new(state.clone(), Arc::clone(&chain));
    watcher.tick().await.unwrap(); // sets the cursor at the head
    let devnet = devnet::Devnet::connect(rpc);
    let payer = devnet::DEV_ACCOUNTS[0];
    // One block, one step, as the running gateway does; only the steps are timed.
    let mut calls = 0;
    let mut cpu = Duration::ZERO;
    let mut wall = Duration::ZERO;
    let mut found = 0;
    for block in 0..BLOCKS as usize {
        let to = addresses[block % addresses.len()];
        if block % 2 == 0 {
            devnet
                .send_native(payer, to, U256::from(1000u64))
                .await
                .unwrap();
        } else {
            devnet
                .send_token(token, payer, to, U256::from(1000u64))
                .await
                .unwrap();
        }
        let (calls_before, cpu_before, started) = (chain.calls(), cpu_time(), Instant::now());
        let outcome = watcher.tick().await.unwrap();
        wall += started.elapsed();
        cpu += cpu_time() - cpu_before;
        calls += chain.calls() - calls_before;
        assert_eq!(outcome.blocks_scanned, 1);
        found += outcome.payments_found;
    }
    let per_block = |d: Duration| d.as_secs_f64() * 1000.0 / BLOCKS as f64;
    let calls = calls as f64 / BLOCKS as f64;
    assert_eq!(found as u64, BLOCKS, "every payment found");
    serde_json::json!({
        "bench": format!("watcher_{quotes}_quotes"),
        "rpc_calls_per_block": (calls * 100.0).round() / 100.0,
        "cpu_ms_per_block": (per_block(cpu) * 100.0).round() / 100.0,
        "wall_ms_per_block": (per_block(wall) * 100.0).round() / 100.0,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    for quotes in [10, 1_000, 10_000] {
        println!("{}", measure(quotes).await);
    }
}
