//! The chains: each network's JSON-RPC (`rpc`), the watcher that finds
//! payments on it (`watcher`), the deposit addresses payments go to
//! (`deposits`), the treasury that pays out (`treasury`), the sweeps that
//! move deposits into it (`sweeps`), and dev-chain tooling (`devnet`).

pub mod deposits;
pub mod devnet;
pub mod rpc;
pub mod sweeps;
pub mod treasury;
pub mod watcher;
