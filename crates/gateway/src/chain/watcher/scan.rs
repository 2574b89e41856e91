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

fn evm(address: &Address) -> EvmAddress {
    address.as_str().parse().expect("a checked address parses")
}

fn ours(address: EvmAddress) -> Address {
    Address::parse(&address.to_string()).expect("alloy formats addresses as 0x hex")
}

/// A transfer into a watched address, before its receipt is read.
struct Transfer {
    target: Watched,
    hash: B256,
    /// The log's index; -1 for a native transfer.
    log_index: i64,
    value: U256,
    from: EvmAddress,
}

/// The successful transfers into `watched` addresses in `block`. Transfers
/// from the treasury (gas for a token sweep) and of zero value are not
/// payments.
pub async fn payments(
    chain: &Chain,
    treasury: EvmAddress,
    block: &Block,
    watched: &HashMap<Address, Watched>,
) -> anyhow::Result<Vec<Seen>> {
    let mut found = Vec::new();
    for tx in block.transactions.txns() {
        let Some(to) = tx.to() else { continue };
        if tx.from() == treasury || tx.value().is_zero() {
            continue;
        }
        if let Some(target) = watched.get(&ours(to)).filter(|w| w.contract.is_none()) {
            found.push(Transfer {
                target: target.clone(),
                hash: tx.tx_hash(),
                log_index: -1,
                value: tx.value(),
                from: tx.from(),
            });
        }
    }
    // ETH that reached a watched address through a contract (a smart
    // wallet, a batch, a forwarder): one trace call for the whole block.
    if watched.values().any(|w| w.contract.is_none()) {
        for internal in chain.internal_transfers(block.header.number).await? {
            if internal.from == treasury {
                continue;
            }
            if let Some(target) = watched
                .get(&ours(internal.to))
                .filter(|w| w.contract.is_none())
            {
                found.push(Transfer {
                    target: target.clone(),
                    hash: internal.tx_hash,
                    // Below -1 (a transaction's own value): one per call.
                    log_index: -1 - i64::from(internal.index),
                    value: internal.value,
                    from: internal.from,
                });
            }
        }
    }
    let contracts: Vec<EvmAddress> = chain
        .network
        .tokens
        .iter()
        .map(|t| evm(&t.address))
        .collect();
    if !contracts.is_empty() && !watched.is_empty() {
        for log in chain.transfers(block.header.hash, &contracts).await? {
            let topics = log.topics();
            if topics.len() != 3 || topics[0] != TRANSFER_TOPIC {
                continue;
            }
            let from = EvmAddress::from_word(topics[1]);
            let to = EvmAddress::from_word(topics[2]);
            let Some(target) = watched
                .get(&ours(to))
                .filter(|w| w.contract == Some(log.address()))
            else {
                continue;
            };
            let value = U256::from_be_slice(log.data().data.as_ref());
            let (Some(hash), Some(index)) = (log.transaction_hash, log.log_index) else {
                continue;
            };
            if from != treasury && !value.is_zero() {
                found.push(Transfer {
                    target: target.clone(),
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
    Ok(found
        .into_iter()
        .filter_map(|t| {
            let fee = fees.get(&t.hash)?;
            Some(Seen {
                session_id: t.target.session_id,
                quote_id: t.target.quote_id,
                chain_id,
                tx_hash: t.hash.to_string(),
                log_index: t.log_index,
                token: t.target.token,
                amount_raw: t.value.to_string(),
                from: t.from.to_string(),
                block_number: block.header.number as i64,
                block_hash: block.header.hash.to_string(),
                block_timestamp: block.header.timestamp as i64,
                gas_fee_raw: fee.to_string(),
            })
        })
        .collect())
}
