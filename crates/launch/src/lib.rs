//! Starting Tender's processes from the outside, as an operator would: the
//! gateway's config file, `tender-gateway create-merchant`, the gateway
//! process and its readiness (`gateway`), and child processes that are
//! stopped when dropped (`supervise`). `cargo xtask` (the demo,
//! schemathesis) and the whole-system tests share it, so there is one way
//! to start a gateway process. Only the standard library: the xtask builds
//! it before anything else.

pub mod gateway;
pub mod supervise;

pub use gateway::{GatewayProcess, GatewayToml, NetworkToml, TokenToml};
pub use supervise::Supervised;
