//! The hosted cashier, public: the shopper's page (`page`), the API it
//! calls (`api`), and the live stream that follows a payment (`live`). The
//! session id is the capability: no API key. The API and the stream are
//! held to `limits` (see the crate's `router`).

pub mod api;
pub mod live;
pub mod page;
