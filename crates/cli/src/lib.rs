//! `tender`, the command line of a merchant's developer: `login` keeps a
//! key (`login`), `listen` forwards the merchant's events to a local server,
//! signed with a secret it prints (`listen`, over the gateway's event stream,
//! `sse`), and the rest call the API through `tender-client` (`commands`).

pub mod commands;
pub mod listen;
pub mod login;
pub mod sse;
