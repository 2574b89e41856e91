//! One network's JSON-RPC, as the watcher and settlement use it. Every call
//! goes through here and is counted, so the cost per block can be measured.

use std::sync::atomic::{AtomicU64, Ordering};

use alloy::eips::BlockNumberOrTag;
use alloy::primitives::{Address, B256, Bytes, U256, b256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::{Block, Filter, Log, TransactionReceipt};
use anyhow::Context;

use alloy::sol_types::SolCall;

use crate::chain::traces::{self, InternalTransfer, Traces};
use crate::chain::treasury::Fees;
use crate::config::NetworkConfig;

/// `keccak256("Transfer(address,address,uint256)")`, topic 0 of ERC-20 transfers.
pub const TRANSFER_TOPIC: B256 =
    b256!("ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");

alloy::sol! {
    function balanceOf(address owner) external view returns (uint256);
}

/// Why a node refused a transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// A transaction with this nonce is already mined (ours, or another).
    #[error("nonce already used")]
    NonceTaken,
    /// The node answered that it will not take it (funds, fees).
    #[error("{0}")]
    Rejected(String),
    /// No clear answer (the node unreachable, a timeout): it may have it.
    #[error("{0}")]
    Unreachable(String),
}

/// Where a block is: its number, hash and timestamp (unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockRef {
    pub number: u64,
    pub hash: B256,
    pub timestamp: u64,
}

impl BlockRef {
    pub fn of(block: &Block) -> Self {
        Self {
            number: block.header.number,
            hash: block.header.hash,
            timestamp: block.header.timestamp,
        }
    }
}

/// A network's RPC endpoint.
pub struct Chain {
    pub network: NetworkConfig,
    provider: DynProvider,
    calls: AtomicU64,
    traces: std::sync::Mutex<Traces>,
}

impl Chain {
    pub fn new(network: NetworkConfig) -> Self {
        let provider = ProviderBuilder::new()
            .disable_recommended_fillers()
            .connect_http(network.rpc_url.clone())
            .erased();
        Self {
            network,
            provider,
            calls: AtomicU64::new(0),
            traces: std::sync::Mutex::new(Traces::Unknown),
        }
    }

    /// RPC calls made so far.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    fn count(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }

    fn context(&self, what: &str) -> String {
        format!("{} ({}): {what}", self.network.id, self.network.chain_id)
    }

    /// The latest block.
    pub async fn head(&self) -> anyhow::Result<BlockRef> {
        self.count();
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .with_context(|| self.context("latest block"))?
            .with_context(|| self.context("no latest block"))?;
        Ok(BlockRef::of(&block))
    }

    /// Block `number` with its full transactions.
    pub async fn block(&self, number: u64) -> anyhow::Result<Block> {
        self.count();
        self.provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .full()
            .await
            .with_context(|| self.context(&format!("block {number}")))?
            .with_context(|| self.context(&format!("block {number} not found")))
    }

    /// Block `number`, header only.
    pub async fn block_ref(&self, number: u64) -> anyhow::Result<BlockRef> {
        self.count();
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .with_context(|| self.context(&format!("block {number}")))?
            .with_context(|| self.context(&format!("block {number} not found")))?;
        Ok(BlockRef::of(&block))
    }

    /// Every ERC-20 `Transfer` log of one block, whatever the contract.
    pub async fn transfers(&self, block: B256) -> anyhow::Result<Vec<Log>> {
        self.count();
        // Every contract's: a token nobody configured is reported too.
        let filter = Filter::new()
            .at_block_hash(block)
            .event_signature(TRANSFER_TOPIC);
        self.provider
            .get_logs(&filter)
            .await
            .with_context(|| self.context("token transfer logs"))
    }

    pub async fn receipt(&self, tx: B256) -> anyhow::Result<Option<TransactionReceipt>> {
        self.count();
        self.provider
            .get_transaction_receipt(tx)
            .await
            .with_context(|| self.context(&format!("receipt of {tx}")))
    }

    pub async fn balance(&self, address: Address) -> anyhow::Result<U256> {
        self.count();
        self.provider
            .get_balance(address)
            .await
            .with_context(|| self.context(&format!("balance of {address}")))
    }

    /// The nonce of `address`'s next transaction, counting only mined ones.
    pub async fn mined_nonce(&self, address: Address) -> anyhow::Result<u64> {
        self.count();
        self.provider
            .get_transaction_count(address)
            .latest()
            .await
            .with_context(|| self.context(&format!("nonce of {address}")))
    }

    /// What gas costs now: EIP-1559 fees (twice the base fee plus the
    /// suggested tip, so a rising base fee does not strand the transaction)
    /// where the chain has a base fee, else its gas price.
    pub async fn fees(&self) -> anyhow::Result<Fees> {
        self.count();
        let head = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .with_context(|| self.context("latest block"))?
            .with_context(|| self.context("no latest block"))?;
        self.count();
        match head.header.base_fee_per_gas {
            Some(base) => {
                let priority = self
                    .provider
                    .get_max_priority_fee_per_gas()
                    .await
                    .with_context(|| self.context("priority fee"))?;
                Ok(Fees::Eip1559 {
                    max_fee: 2 * u128::from(base) + priority,
                    priority,
                })
            }
            None => Ok(Fees::Legacy {
                gas_price: self
                    .provider
                    .get_gas_price()
                    .await
                    .with_context(|| self.context("gas price"))?,
            }),
        }
    }

    /// Whether `address` holds contract code (a wallet contract, or not a
    /// wallet at all).
    pub async fn has_code(&self, address: Address) -> anyhow::Result<bool> {
        self.count();
        let code = self
            .provider
            .get_code_at(address)
            .await
            .with_context(|| self.context(&format!("code of {address}")))?;
        Ok(!code.is_empty())
    }

    /// `owner`'s balance of the ERC-20 `token`.
    pub async fn token_balance(&self, token: Address, owner: Address) -> anyhow::Result<U256> {
        self.count();
        let data = balanceOfCall { owner }.abi_encode();
        let answer = self
            .provider
            .call(
                alloy::rpc::types::TransactionRequest::default()
                    .to(token)
                    .input(Bytes::from(data).into()),
            )
            .await
            .with_context(|| self.context(&format!("balance of {owner} in {token}")))?;
        Ok(balanceOfCall::abi_decode_returns(&answer)?)
    }

    /// Broadcasts a signed transaction. "Already known" is success: the same
    /// bytes were sent before.
    pub async fn broadcast(&self, raw: &Bytes) -> Result<(), Refused> {
        self.count();
        match self.provider.send_raw_transaction(raw).await {
            Ok(_) => Ok(()),
            Err(err) => {
                let text = err.to_string().to_lowercase();
                if text.contains("already known") || text.contains("already imported") {
                    Ok(())
                } else if text.contains("nonce too low") || text.contains("nonce is too low") {
                    Err(Refused::NonceTaken)
                } else if err.as_error_resp().is_some() {
                    Err(Refused::Rejected(
                        self.context(&format!("broadcast: {err}")),
                    ))
                } else {
                    Err(Refused::Unreachable(
                        self.context(&format!("broadcast: {err}")),
                    ))
                }
            }
        }
    }

    /// Every native transfer made by a contract call (not a transaction's
    /// own value) in block `number`, with one call whatever the number of
    /// watched addresses. Empty if the node offers no traces (said once).
    pub async fn internal_transfers(&self, number: u64) -> anyhow::Result<Vec<InternalTransfer>> {
        let method = *self.traces.lock().expect("traces lock");
        let tried = match method {
            Traces::Unavailable => return Ok(Vec::new()),
            Traces::TraceBlock | Traces::Unknown => self.trace_block(number).await,
            Traces::CallTracer => self.call_tracer(number).await,
        };
        match (method, tried) {
            (_, Ok(found)) => {
                if method == Traces::Unknown {
                    *self.traces.lock().expect("traces lock") = Traces::TraceBlock;
                }
                Ok(found)
            }
            (Traces::Unknown, Err(first)) => match self.call_tracer(number).await {
                Ok(found) => {
                    *self.traces.lock().expect("traces lock") = Traces::CallTracer;
                    Ok(found)
                }
                Err(second) if traces::unsupported(&first) && traces::unsupported(&second) => {
                    tracing::warn!(
                        network = %self.network.id,
                        "the node offers neither trace_block nor debug_traceBlockByNumber: \
                         payments made through contracts cannot be seen on this network"
                    );
                    *self.traces.lock().expect("traces lock") = Traces::Unavailable;
                    Ok(Vec::new())
                }
                Err(_) => Err(first),
            },
            (_, Err(err)) => Err(err),
        }
    }

    async fn trace_block(&self, number: u64) -> anyhow::Result<Vec<InternalTransfer>> {
        self.count();
        let traces: serde_json::Value = self
            .provider
            .raw_request("trace_block".into(), (BlockNumberOrTag::Number(number),))
            .await
            .with_context(|| self.context(&format!("trace_block {number}")))?;
        Ok(traces::parse_trace_block(&traces))
    }

    async fn call_tracer(&self, number: u64) -> anyhow::Result<Vec<InternalTransfer>> {
        self.count();
        let traces: serde_json::Value = self
            .provider
            .raw_request(
                "debug_traceBlockByNumber".into(),
                (
                    BlockNumberOrTag::Number(number),
                    serde_json::json!({"tracer": "callTracer"}),
                ),
            )
            .await
            .with_context(|| self.context(&format!("debug_traceBlockByNumber {number}")))?;
        Ok(traces::parse_call_tracer(&traces))
    }

    /// The underlying provider, for anvil-only calls in dev tooling.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }
}
