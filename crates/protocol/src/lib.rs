//! Wire types shared by every part of Tender: the gateway, its clients, the
//! merchant companion server and the browser bundles. Serde, camelCase JSON,
//! amounts as decimal strings. No I/O.

pub mod chain;
pub mod error;
pub mod event;
pub mod ids;
pub mod money;
pub mod pay;
pub mod product;
pub mod secret;
pub mod session;
pub mod storefront;
pub mod webhooks;

pub use chain::{Address, TxHash};
pub use error::{ErrorBody, ErrorDetail, ErrorType};
pub use event::{CreateWebhookEndpoint, Event, EventData, EventType, WebhookEndpoint};
pub use ids::{EventId, MerchantId, OrderId, ProductId, QuoteId, SessionId, WebhookEndpointId};
pub use money::{Currency, ExchangeRate, Money, RawAmount};
pub use pay::{CreateQuote, PaymentOption, PublicSession, Quote};
pub use product::{CreateProduct, List, Product};
pub use secret::Secret;
pub use session::{
    CreateSession, GasFee, LineItem, Metadata, Payment, PaymentStatus, ProductData, Session,
    SessionStatus, Settlement,
};
pub use storefront::{CheckoutRequest, CheckoutResponse, Order, OrderStatus};
pub use webhooks::{SignedHeaders, VerifyError, WebhookSecret};
