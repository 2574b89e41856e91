//! Wire types shared by every part of Tender: the gateway, its clients, the
//! merchant companion server and the browser bundles. Serde, camelCase JSON,
//! amounts as decimal strings. No I/O.

pub mod account;
pub mod chain;
pub mod error;
pub mod event;
#[cfg(feature = "openapi")]
pub mod forms;
pub mod ids;
pub mod limits;
pub mod link;
pub mod list;
pub mod locale;
pub mod money;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod overview;
pub mod pay;
pub mod payment;
pub mod product;
pub mod refund;
pub mod scope;
pub mod secret;
pub mod session;
pub mod storefront;
pub mod timestamp;
pub mod webhooks;

pub use account::{AccountSettings, ApiKey, IdempotencyKey, StrayMoneyPolicy};
pub use chain::{Address, TxHash};
pub use error::{ErrorBody, ErrorDetail, ErrorType};
pub use event::{
    CreateWebhookEndpoint, Delivery, DeliveryAttempt, DeliveryCounts, DeliveryStatus,
    EndpointStatus, Event, EventData, EventDetails, EventListParams, EventType, Redeliver,
    RotateSecret, TriggerEvent, WebhookEndpoint,
};
pub use ids::{
    ApiKeyId, EventId, MerchantId, OrderId, PaymentLinkId, ProductId, QuoteId, RefundId, SessionId,
    UserId, WebhookEndpointId,
};
pub use link::{CreatePaymentLink, PaymentLink};
pub use list::{List, ListParams};
pub use money::{Currency, ExchangeRate, Money, RawAmount};
pub use overview::{FailingEndpoint, Overview, OverviewParams, StatusCount};
pub use pay::{CreateQuote, DevWallet, PaymentOption, PublicSession, Quote, RefundOffer};
pub use payment::{GasFee, Payment, PaymentStatus, UnallocatedPart, UnknownTokenTransfer};
pub use product::{CreateProduct, Product};
pub use refund::{
    Claim, ClaimRefund, CreateRefund, NetworkFeePayer, Refund, RefundBasis, RefundListParams,
    RefundSource, RefundStatus,
};
pub use scope::{CreateApiKey, Scope};
pub use secret::Secret;
pub use session::{
    CartItem, CreateSession, LineItem, MAX_LINE_ITEMS, Metadata, ProductData, Session,
    SessionListParams, SessionStatus, Settlement, SettlementDestination, SettlementOption,
    Tolerance,
};
pub use storefront::{CartLine, CheckoutRequest, CheckoutResponse, Order, OrderStatus};
pub use timestamp::Timestamp;
pub use webhooks::{VerifyError, WebhookSecret};
