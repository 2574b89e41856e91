//! Internal transfers: native value moved by contract calls inside a
//! transaction (a smart wallet, a batch, a forwarder), read from a block's
//! traces. Nodes offer them as `trace_block` (Erigon, Reth, Nethermind,
//! anvil) or through Geth's call tracer; which one is found on first use.

use alloy::primitives::{Address, B256, U256};

/// Native value moved by a contract call inside a transaction (an internal
/// transfer: a smart wallet, a batch, a forwarder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalTransfer {
    pub tx_hash: B256,
    /// Its place among the transaction's calls (stable across rescans).
    pub index: u32,
    pub from: Address,
    pub to: Address,
    pub value: U256,
}

/// How a node shows internal transfers, found out on first use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Traces {
    Unknown,
    /// `trace_block` (Erigon, Reth, Nethermind, anvil).
    TraceBlock,
    /// `debug_traceBlockByNumber` with the call tracer (Geth).
    CallTracer,
    /// Neither: only top-level transfers are seen.
    Unavailable,
}

/// Whether an RPC error says the method does not exist here.
pub fn unsupported(err: &anyhow::Error) -> bool {
    let text = format!("{err:#}").to_lowercase();
    [
        "-32601",
        "not found",
        "not supported",
        "does not exist",
        "unsupported",
        "not available",
    ]
    .iter()
    .any(|needle| text.contains(needle))
}

fn address_of(value: &serde_json::Value) -> Option<Address> {
    value.as_str()?.parse().ok()
}

fn value_of(value: &serde_json::Value) -> U256 {
    value
        .as_str()
        .and_then(|hex| U256::from_str_radix(hex.trim_start_matches("0x"), 16).ok())
        .unwrap_or(U256::ZERO)
}

/// `trace_block`'s flat list: calls below the top level (a non-empty
/// `traceAddress`) that moved value and did not fail.
pub fn parse_trace_block(traces: &serde_json::Value) -> Vec<InternalTransfer> {
    let mut found = Vec::new();
    let mut index_in_tx: std::collections::HashMap<B256, u32> = Default::default();
    for trace in traces.as_array().into_iter().flatten() {
        let Some(tx_hash) = trace["transactionHash"]
            .as_str()
            .and_then(|h| h.parse().ok())
        else {
            continue;
        };
        let index = index_in_tx.entry(tx_hash).or_insert(0);
        *index += 1;
        let nested = trace["traceAddress"]
            .as_array()
            .is_some_and(|a| !a.is_empty());
        let action = &trace["action"];
        let value = value_of(&action["value"]);
        if !nested || trace.get("error").is_some_and(|e| !e.is_null()) || value.is_zero() {
            continue;
        }
        if let (Some(from), Some(to)) = (address_of(&action["from"]), address_of(&action["to"])) {
            found.push(InternalTransfer {
                tx_hash,
                index: *index,
                from,
                to,
                value,
            });
        }
    }
    found
}

/// The call tracer's tree per transaction: every frame below the top that
/// moved value and did not fail (nor did its parents).
pub fn parse_call_tracer(traces: &serde_json::Value) -> Vec<InternalTransfer> {
    fn walk(
        frame: &serde_json::Value,
        tx_hash: B256,
        index: &mut u32,
        out: &mut Vec<InternalTransfer>,
    ) {
        for call in frame["calls"].as_array().into_iter().flatten() {
            *index += 1;
            if call.get("error").is_some_and(|e| !e.is_null()) {
                continue;
            }
            let value = value_of(&call["value"]);
            if let (false, Some(from), Some(to)) = (
                value.is_zero(),
                address_of(&call["from"]),
                address_of(&call["to"]),
            ) {
                out.push(InternalTransfer {
                    tx_hash,
                    index: *index,
                    from,
                    to,
                    value,
                });
            }
            walk(call, tx_hash, index, out);
        }
    }
    let mut found = Vec::new();
    for tx in traces.as_array().into_iter().flatten() {
        let Some(tx_hash) = tx["txHash"].as_str().and_then(|h| h.parse().ok()) else {
            continue;
        };
        let root = &tx["result"];
        if root.get("error").is_some_and(|e| !e.is_null()) {
            continue;
        }
        let mut index = 0;
        walk(root, tx_hash, &mut index, &mut found);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const TX: &str = "0x0118d27310311314ff7be78bb78c2238bc1c22c1aa4a5cc19955c159a2dd1030";

    #[test]
    fn trace_block_yields_the_nested_calls_that_moved_value() {
        let traces = serde_json::json!([
            {"action": {"from": "0x00000000000000000000000000000000000000aa", "to": "0x00000000000000000000000000000000000000bb", "value": "0x10"},
             "traceAddress": [], "transactionHash": TX, "type": "call"},
            {"action": {"from": "0x00000000000000000000000000000000000000bb", "to": "0x00000000000000000000000000000000000000cc", "value": "0x10"},
             "traceAddress": [0], "transactionHash": TX, "type": "call"},
            {"action": {"from": "0x00000000000000000000000000000000000000bb", "to": "0x00000000000000000000000000000000000000dd", "value": "0x5"},
             "traceAddress": [1], "transactionHash": TX, "type": "call", "error": "Reverted"},
            {"action": {"from": "0x00000000000000000000000000000000000000bb", "to": "0x00000000000000000000000000000000000000ee", "value": "0x0"},
             "traceAddress": [2], "transactionHash": TX, "type": "call"}
        ]);
        let found = parse_trace_block(&traces);
        assert_eq!(found.len(), 1, "{found:?}");
        let cc: Address = "0x00000000000000000000000000000000000000cc"
            .parse()
            .unwrap();
        assert_eq!(found[0].to, cc);
        assert_eq!(found[0].value, U256::from(16));
        assert_eq!(found[0].index, 2);
    }

    #[test]
    fn the_call_tracer_yields_nested_frames_that_moved_value() {
        let traces = serde_json::json!([{"txHash": TX, "result": {
        "from": "0x00000000000000000000000000000000000000aa", "to": "0x00000000000000000000000000000000000000bb", "value": "0x10",
        "calls": [
            {"from": "0x00000000000000000000000000000000000000bb", "to": "0x00000000000000000000000000000000000000cc", "value": "0x10",
             "calls": [{"from": "0x00000000000000000000000000000000000000cc", "to": "0x00000000000000000000000000000000000000dd", "value": "0x3"}]},
            {"from": "0x00000000000000000000000000000000000000bb", "to": "0x00000000000000000000000000000000000000ee", "value": "0x7", "error": "execution reverted"}
        ]}}]);
        let found = parse_call_tracer(&traces);
        let values: Vec<u64> = found.iter().map(|t| t.value.to::<u64>()).collect();
        assert_eq!(values, vec![16, 3]);
    }
}
