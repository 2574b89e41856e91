//! Reading one block for payments: its native transfers to watched
//! addresses (from the block, fetched with its transactions, and from one
//! trace of the block for ETH moved by contracts), its token transfers (one
//! log query for every configured token), then one receipt per matched
//! transaction, for its status and gas fee. The cost is the same whatever
//! the number of watched addresses.

use std::collections::{HashMap, HashSet};

use alloy::consensus::Transaction as _;
use alloy::network::TransactionResponse as _;
use alloy::primitives::{Address as EvmAddress, B256, U256};
use alloy::rpc::types::Block;
use anyhow::Context;
use tender_protocol::Address;

use crate::chain::rpc::{Chain, TRANSFER_TOPIC};
use crate::chain::watcher::watch_set::Watched;
use crate::checkout::payments::Seen;
use crate::checkout::strays::UnknownToken;

fn evm(address: &Address) -> EvmAddress {
    address.as_str().parse().expect("a checked address parses")
}

fn ours(address: EvmAddress) -> Address {
    Address::parse(&address.to_string()).expect("alloy formats addresses as 0x hex")
}

/// A transfer into a watched address, before its receipt is read.
struct Transfer {
    target: Watched,
    /// The token that came, on this network.
    token: String,
    /// Not the network or token its quote asked for.
    off_quote: bool,
    hash: B256,
    /// The log's index; -1 for a native transfer.
    log_index: i64,
    value: U256,
    from: EvmAddress,
}

/// What a block brought to the watched addresses.
#[derive(Debug, Default)]
pub struct Found {
    pub payments: Vec<Seen>,
    /// Transfers of tokens nobody configured.
    pub unknown: Vec<UnknownToken>,
}

/// The successful transfers into `watched` addresses in `block`. Transfers
/// from the treasury (gas for a token sweep) and of zero value are not
/// payments.
pub async fn payments(
    chain: &Chain,
    treasury: EvmAddress,
    block: &Block,
    watched: &HashMap<Address, Watched>,
) -> anyhow::Result<Found> {
    let this_chain = chain.network.chain_id as i64;
    let native = &chain.network.native_token;
    // Native value: on the quote's terms only if the quote asked for this
    // network's native token; any deposit address takes it regardless.
    let native_target = |to: EvmAddress| {
        watched.get(&ours(to)).map(|target| {
            let on_quote = target.chain_id == this_chain && target.contract.is_none();
            (target.clone(), !on_quote)
        })
    };
    let mut found = Vec::new();
    for tx in block.transactions.txns() {
        let Some(to) = tx.to() else { continue };
        if tx.from() == treasury || tx.value().is_zero() {
            continue;
        }
        if let Some((target, off_quote)) = native_target(to) {
            found.push(Transfer {
                target,
                token: native.clone(),
                off_quote,
                hash: tx.tx_hash(),
                log_index: -1,
                value: tx.value(),
                from: tx.from(),
            });
        }
    }
    if watched.is_empty() {
        return Ok(Found::default());
    }
    // ETH that reached a watched address through a contract (a smart
    // wallet, a batch, a forwarder): one trace call for the whole block.
    for internal in chain.internal_transfers(block.header.number).await? {
        if internal.from == treasury {
            continue;
        }
        if let Some((target, off_quote)) = native_target(internal.to) {
            found.push(Transfer {
                target,
                token: native.clone(),
                off_quote,
                hash: internal.tx_hash,
                // Below -1 (a transaction's own value): one per call.
                log_index: -1 - i64::from(internal.index),
                value: internal.value,
                from: internal.from,
            });
        }
    }
    // Every token transfer into any deposit address: a configured token's is
    // a payment; another's is reported.
    let tokens: HashMap<EvmAddress, &str> = chain
        .network
        .tokens
        .iter()
        .map(|t| (evm(&t.address), t.symbol.as_str()))
        .collect();
    let mut unknown = Vec::new();
    {
        for log in chain.transfers(block.header.hash).await? {
            let topics = log.topics();
            if topics.len() != 3 || topics[0] != TRANSFER_TOPIC {
                continue;
            }
            let from = EvmAddress::from_word(topics[1]);
            let to = EvmAddress::from_word(topics[2]);
            let Some(target) = watched.get(&ours(to)) else {
                continue;
            };
            let value = U256::from_be_slice(log.data().data.as_ref());
            let (Some(hash), Some(index)) = (log.transaction_hash, log.log_index) else {
                continue;
            };
            let Some(symbol) = tokens.get(&log.address()) else {
                if !value.is_zero() {
                    unknown.push(UnknownToken {
                        session_id: target.session_id.clone(),
                        chain_id: this_chain,
                        tx_hash: hash.to_string(),
                        log_index: index as i64,
                        contract: log.address().to_string(),
                        amount_raw: value.to_string(),
                        block_number: block.header.number as i64,
                    });
                }
                continue;
            };
            let on_quote = target.chain_id == this_chain && target.contract == Some(log.address());
            if from != treasury && !value.is_zero() {
                found.push(Transfer {
                    target: target.clone(),
                    token: (*symbol).to_owned(),
                    off_quote: !on_quote,
                    hash,
                    log_index: index as i64,
                    value,
                    from,
                });
            }
        }
    }
    // One receipt per matched transaction: its status and gas fee.
    let mut fees = HashMap::new();
    let hashes: HashSet<B256> = found.iter().map(|t| t.hash).collect();
    for hash in hashes {
        let receipt = chain
            .receipt(hash)
            .await?
            .with_context(|| format!("no receipt for {hash}"))?;
        if receipt.status() {
            fees.insert(
                hash,
                u128::from(receipt.gas_used) * receipt.effective_gas_price,
            );
        }
    }
    let chain_id = chain.network.chain_id as i64;
    let payments = found
        .into_iter()
        .filter_map(|t| {
            let fee = fees.get(&t.hash)?;
            Some(Seen {
                session_id: t.target.session_id,
                quote_id: t.target.quote_id,
                chain_id,
                tx_hash: t.hash.to_string(),
                log_index: t.log_index,
                token: t.token,
                off_quote: t.off_quote,
                amount_raw: t.value.to_string(),
                from: t.from.to_string(),
                block_number: block.header.number as i64,
                block_hash: block.header.hash.to_string(),
                block_timestamp: block.header.timestamp as i64,
                gas_fee_raw: fee.to_string(),
            })
        })
        .collect();
    Ok(Found { payments, unknown })
}
