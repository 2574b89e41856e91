//! What an API key may do. A standard key (`"*"`) may do everything; a
//! restricted key only what its scopes name, each a resource and `read` or
//! `write`. A key creates keys with at most its own scopes.

use serde::{Deserialize, Serialize};

/// One permission of an API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Scope {
    /// Everything, now and whatever scopes come later: a standard key.
    #[serde(rename = "*")]
    All,
    #[serde(rename = "sessions:read")]
    SessionsRead,
    /// Create and expire Checkout Sessions.
    #[serde(rename = "sessions:write")]
    SessionsWrite,
    #[serde(rename = "products:read")]
    ProductsRead,
    #[serde(rename = "products:write")]
    ProductsWrite,
    #[serde(rename = "events:read")]
    EventsRead,
    #[serde(rename = "webhooks:read")]
    WebhooksRead,
    /// Add, change, test and delete webhook endpoints; redeliver events.
    #[serde(rename = "webhooks:write")]
    WebhooksWrite,
    #[serde(rename = "refunds:read")]
    RefundsRead,
    #[serde(rename = "refunds:write")]
    RefundsWrite,
    #[serde(rename = "keys:read")]
    KeysRead,
    /// Create and revoke API keys.
    #[serde(rename = "keys:write")]
    KeysWrite,
    #[serde(rename = "settlement:read")]
    SettlementRead,
    /// Change where payouts go.
    #[serde(rename = "settlement:write")]
    SettlementWrite,
    #[serde(rename = "account:read")]
    AccountRead,
    #[serde(rename = "account:write")]
    AccountWrite,
}

impl Scope {
    pub const ALL: [Scope; 16] = [
        Self::All,
        Self::SessionsRead,
        Self::SessionsWrite,
        Self::ProductsRead,
        Self::ProductsWrite,
        Self::EventsRead,
        Self::WebhooksRead,
        Self::WebhooksWrite,
        Self::RefundsRead,
        Self::RefundsWrite,
        Self::KeysRead,
        Self::KeysWrite,
        Self::SettlementRead,
        Self::SettlementWrite,
        Self::AccountRead,
        Self::AccountWrite,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::All => "*",
            Self::SessionsRead => "sessions:read",
            Self::SessionsWrite => "sessions:write",
            Self::ProductsRead => "products:read",
            Self::ProductsWrite => "products:write",
            Self::EventsRead => "events:read",
            Self::WebhooksRead => "webhooks:read",
            Self::WebhooksWrite => "webhooks:write",
            Self::RefundsRead => "refunds:read",
            Self::RefundsWrite => "refunds:write",
            Self::KeysRead => "keys:read",
            Self::KeysWrite => "keys:write",
            Self::SettlementRead => "settlement:read",
            Self::SettlementWrite => "settlement:write",
            Self::AccountRead => "account:read",
            Self::AccountWrite => "account:write",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Whether a key holding `held` may do what `needed` allows.
pub fn grants(held: &[Scope], needed: Scope) -> bool {
    held.contains(&Scope::All) || held.contains(&needed)
}

/// `POST /v1/api-keys`. Without `scopes`, the new key has its creator's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateApiKey {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<Scope>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_star_grants_everything() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
            let json = serde_json::to_string(&scope).unwrap();
            assert_eq!(json, format!("\"{}\"", scope.as_str()));
            assert!(grants(&[Scope::All], scope));
        }
        assert!(grants(&[Scope::SessionsRead], Scope::SessionsRead));
        assert!(!grants(&[Scope::SessionsRead], Scope::SessionsWrite));
        assert_eq!(Scope::parse("sessions:delete"), None);
    }
}
