//! One network's JSON-RPC, as the watcher and settlement use it. Every call
//! goes through here and is counted, so the cost per block can be measured.

use std::sync::atomic::{AtomicU64, Ordering};

use alloy::eips::BlockNumberOrTag;
use alloy::primitives::{Address, B256, Bytes, U256, b256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::{Block, Filter, Log, TransactionReceipt};
use anyhow::Context;

use crate::config::NetworkConfig;

/// `keccak256("Transfer(address,address,uint256)")`, topic 0 of ERC-20 transfers.
pub const TRANSFER_TOPIC: B256 =
    b256!("ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");

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

    /// Every Transfer log of the `tokens` contracts in one block.
    pub async fn transfers(&self, block: B256, tokens: &[Address]) -> anyhow::Result<Vec<Log>> {
        self.count();
        let filter = Filter::new()
            .at_block_hash(block)
            .address(tokens.to_vec())
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

    pub async fn nonce(&self, address: Address) -> anyhow::Result<u64> {
        self.count();
        self.provider
            .get_transaction_count(address)
            .pending()
            .await
            .with_context(|| self.context(&format!("nonce of {address}")))
    }

    pub async fn gas_price(&self) -> anyhow::Result<u128> {
        self.count();
        self.provider
            .get_gas_price()
            .await
            .with_context(|| self.context("gas price"))
    }

    /// Broadcasts a signed transaction. "Already known" is success: the same
    /// bytes were sent before.
    pub async fn broadcast(&self, raw: &Bytes) -> anyhow::Result<()> {
        self.count();
        match self.provider.send_raw_transaction(raw).await {
            Ok(_) => Ok(()),
            Err(err) if err.to_string().to_lowercase().contains("already") => Ok(()),
            Err(err) => Err(err).with_context(|| self.context("broadcast")),
        }
    }

    /// The underlying provider, for anvil-only calls in dev tooling.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }
}
