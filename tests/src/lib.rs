//! The harness for Tender's whole-system tests: it starts the real parts
//! (anvil, the gateway, the merchant server, Chromium) and talks to them over
//! HTTP and JSON-RPC, exactly as shoppers and merchants would.

pub mod anvil;
pub mod browser;
pub mod feed;
pub mod flaky;
pub mod lagging;
pub mod logs;
pub mod node_shop;
pub mod receiver;
pub mod stack;
pub mod switch;
pub mod tools;
pub mod wait;

pub use anvil::Anvil;
pub use browser::Browser;
pub use feed::PriceFeed;
pub use flaky::Flaky;
pub use lagging::Lagging;
pub use receiver::Receiver;
pub use stack::{Stack, StackOptions};
pub use switch::Switch;
pub use wait::eventually;
