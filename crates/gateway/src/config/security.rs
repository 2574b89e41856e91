//! What a hostile merchant or an anonymous flood is allowed: abuse limits,
//! where webhooks may go, and the key webhook secrets are encrypted with.

use anyhow::ensure;
use serde::Deserialize;
pub use tender_protocol::Secret;

/// Abuse limits. Every one answers with a clear error (429 with
/// `Retry-After` for rates, 400 or 409 for counts) and is per gateway
/// instance.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Requests one IP address may make to the public API (`/v1/pay/*`,
    /// `/v1/claims/*`) per minute, on average.
    pub public_per_ip_per_minute: u32,
    /// How many of those may come at once before the average applies.
    pub public_burst_per_ip: u32,
    /// Requests per minute to one session's public API, from any address.
    pub public_per_session_per_minute: u32,
    /// Quotes a session may ask for in its life.
    pub quotes_per_session: u32,
    /// Live streams open at once on one session.
    pub streams_per_session: u32,
    /// Live streams open at once from one IP address.
    pub streams_per_ip: u32,
    /// Webhook endpoints one merchant may have.
    pub endpoints_per_merchant: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            public_per_ip_per_minute: 300,
            public_burst_per_ip: 60,
            public_per_session_per_minute: 120,
            quotes_per_session: 20,
            streams_per_session: 10,
            streams_per_ip: 30,
            endpoints_per_merchant: 16,
        }
    }
}

impl LimitsConfig {
    pub fn validate(&self) -> anyhow::Result<()> {
        for (name, value) in [
            ("public_per_ip_per_minute", self.public_per_ip_per_minute),
            ("public_burst_per_ip", self.public_burst_per_ip),
            (
                "public_per_session_per_minute",
                self.public_per_session_per_minute,
            ),
            ("quotes_per_session", self.quotes_per_session),
            ("streams_per_session", self.streams_per_session),
            ("streams_per_ip", self.streams_per_ip),
            ("endpoints_per_merchant", self.endpoints_per_merchant),
        ] {
            ensure!(value > 0, "limits.{name} must be at least 1");
        }
        Ok(())
    }
}

/// Outbound requests and secrets at rest.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    /// Webhook endpoints may be loopback or private addresses. Unset, it
    /// follows dev mode. Link-local and metadata addresses are refused
    /// whatever this says.
    pub allow_private_targets: Option<bool>,
    /// The key webhook signing secrets are encrypted with at rest: 64 hex
    /// digits (`openssl rand -hex 32`), from `TENDER_SECRET_KEY`. Required
    /// outside dev mode; in dev mode, without one, a key is derived from
    /// the mnemonic.
    pub secret_key: Secret<String>,
    /// Keys secrets were encrypted with before a rotation, from
    /// `TENDER_PREVIOUS_SECRET_KEYS` (comma-separated). At start-up every
    /// secret under one of them is encrypted again under `secret_key`.
    pub previous_secret_keys: Vec<Secret<String>>,
}
