//! A real local EVM chain (anvil) on a free port, stopped when dropped, and
//! the few JSON-RPC calls tests make to it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

/// anvil's first funded dev account (unlocked, 10,000 ETH).
pub const DEV_ACCOUNT: &str = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";

/// A running anvil.
pub struct Anvil {
    child: Child,
    pub chain_id: u64,
    pub rpc_url: String,
    http: reqwest::Client,
}

impl Anvil {
    /// Starts anvil with `chain_id`; with `block_time` it mines a block every
    /// that many seconds, else one block per transaction.
    pub fn start(chain_id: u64, block_time: Option<u64>) -> Self {
        let mut command = Command::new(crate::tools::anvil());
        command
            .args(["--host", "127.0.0.1", "--port", "0", "--chain-id"])
            .arg(chain_id.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(seconds) = block_time {
            command.args(["--block-time", &seconds.to_string()]);
        }
        let mut child = command
            .spawn()
            .expect("cannot start anvil: run `cargo xtask setup`");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("Listening on ") {
                    let _ = tx.send(addr.trim().to_owned());
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("anvil did not start listening within 20 s");
        Self {
            child,
            chain_id,
            rpc_url: format!("http://{addr}"),
            http: reqwest::Client::new(),
        }
    }

    /// One JSON-RPC call; panics on an RPC error.
    pub async fn rpc(&self, method: &str, params: Value) -> Value {
        let answer: Value = self
            .http
            .post(&self.rpc_url)
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method}: {e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("{method}: {e}"));
        if let Some(error) = answer.get("error") {
            panic!("{method} failed: {error}");
        }
        answer["result"].clone()
    }

    /// Sends `wei` from an unlocked dev account; answers the tx hash.
    pub async fn send_eth(&self, from: &str, to: &str, wei: u128) -> String {
        let tx = json!({"from": from, "to": to, "value": format!("0x{wei:x}")});
        self.rpc("eth_sendTransaction", json!([tx]))
            .await
            .as_str()
            .expect("a tx hash")
            .to_owned()
    }

    /// Mines `n` blocks now.
    pub async fn mine(&self, n: u64) {
        self.rpc("anvil_mine", json!([format!("0x{n:x}")])).await;
    }

    /// Moves the chain's clock `seconds` forward and mines a block there.
    pub async fn advance_time(&self, seconds: u64) {
        self.rpc("evm_increaseTime", json!([seconds])).await;
        self.mine(1).await;
    }

    /// The receipt of a mined transaction.
    pub async fn receipt(&self, hash: &str) -> Value {
        self.rpc("eth_getTransactionReceipt", json!([hash])).await
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Parses a `0x` hex quantity.
pub fn hex_quantity(value: &Value) -> u128 {
    let text = value.as_str().expect("a hex string");
    u128::from_str_radix(text.trim_start_matches("0x"), 16).expect("hex quantity")
}
