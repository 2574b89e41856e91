//! The chains: each network's JSON-RPC (`rpc`), the watcher that finds
//! payments on it (`watcher`) and the traces that show payments made
//! through contracts (`traces`), the deposit addresses payments go to
//! (`deposits`), the treasury key and transaction signing (`treasury`), the
//! one nonce-safe way a transaction is sent (`sender`), the sweeps that move
//! deposits into the treasury (`sweeps`), and dev-chain tooling (`devnet`).

pub mod deposits;
pub mod devnet;
pub mod rpc;
pub mod sender;
pub mod sweeps;
pub mod traces;
pub mod treasury;
pub mod watcher;
