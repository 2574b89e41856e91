//! Exchange rates: where the price of one token in a fiat currency comes
//! from. A static table (config) for local use, or an HTTP price feed for
//! production, cached, refused once older than its staleness limit.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tender_protocol::{Currency, ExchangeRate, Money};
use url::Url;

use crate::config::RateConfig;

/// Why no rate can be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("no exchange rate for {token} in {currency}")]
    Unknown { token: String, currency: Currency },
    #[error(
        "exchange rates are out of date (the price feed has not answered for {0:?}); try again shortly"
    )]
    Stale(Duration),
}

/// A source of exchange rates.
pub trait RateSource: Send + Sync + 'static {
    /// The current price of one whole `token` in `currency`.
    fn rate(
        &self,
        token: &str,
        currency: Currency,
    ) -> impl Future<Output = Result<ExchangeRate, RateError>> + Send;
}

/// Rates fixed in the configuration.
#[derive(Debug, Clone)]
pub struct StaticRates {
    table: Vec<RateConfig>,
}

impl StaticRates {
    pub fn new(table: Vec<RateConfig>) -> Self {
        Self { table }
    }

    fn lookup(&self, token: &str, currency: Currency) -> Result<ExchangeRate, RateError> {
        self.table
            .iter()
            .find(|r| r.token == token && r.currency == currency)
            .map(RateConfig::to_rate)
            .ok_or_else(|| RateError::Unknown {
                token: token.to_owned(),
                currency,
            })
    }
}

impl RateSource for StaticRates {
    async fn rate(&self, token: &str, currency: Currency) -> Result<ExchangeRate, RateError> {
        self.lookup(token, currency)
    }
}

/// A feed's answer: token -> currency -> price.
type Table = HashMap<String, HashMap<String, String>>;

/// An HTTP price feed answering `{"ETH": {"USD": "2000.00", "EUR": "1850.00"}, ...}`
/// (decimal strings). Fetched at most every `refresh`; a cached table older
/// than `max_age` is refused rather than used.
pub struct FeedRates {
    url: Url,
    http: reqwest::Client,
    refresh: Duration,
    max_age: Duration,
    cache: Mutex<Option<(Instant, Table)>>,
}

impl FeedRates {
    pub fn new(url: Url, refresh: Duration, max_age: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .expect("an HTTP client with a timeout builds");
        Self {
            url,
            http,
            refresh,
            max_age,
            cache: Mutex::new(None),
        }
    }

    async fn fetch(&self) -> anyhow::Result<Table> {
        let table = self
            .http
            .get(self.url.clone())
            .send()
            .await?
            .error_for_status()?
            .json::<Table>()
            .await?;
        Ok(table)
    }

    fn cached(&self) -> Option<(Instant, Table)> {
        self.cache.lock().expect("rate cache lock").clone()
    }
}

impl RateSource for FeedRates {
    async fn rate(&self, token: &str, currency: Currency) -> Result<ExchangeRate, RateError> {
        let cached = self.cached();
        let fresh_enough = cached
            .as_ref()
            .is_some_and(|(at, _)| at.elapsed() < self.refresh);
        let (fetched_at, table) = if fresh_enough {
            cached.expect("checked")
        } else {
            match self.fetch().await {
                Ok(table) => {
                    let entry = (Instant::now(), table);
                    *self.cache.lock().expect("rate cache lock") = Some(entry.clone());
                    entry
                }
                Err(err) => {
                    tracing::warn!(error = format!("{err:#}"), url = %self.url, "price feed unavailable");
                    match cached {
                        Some(entry) => entry,
                        None => return Err(RateError::Stale(self.max_age)),
                    }
                }
            }
        };
        let age = fetched_at.elapsed();
        if age > self.max_age {
            return Err(RateError::Stale(age));
        }
        let price = table
            .get(token)
            .and_then(|prices| prices.get(currency.code()))
            .ok_or_else(|| RateError::Unknown {
                token: token.to_owned(),
                currency,
            })?;
        let rate = ExchangeRate {
            token: token.to_owned(),
            currency,
            price: price.clone(),
        };
        // A malformed or zero price is as good as none.
        if rate
            .to_token_units(Money::from_minor(1, currency), 18)
            .is_none()
        {
            return Err(RateError::Unknown {
                token: token.to_owned(),
                currency,
            });
        }
        Ok(rate)
    }
}

/// The configured source, static or feed.
pub enum Rates {
    Static(StaticRates),
    Feed(FeedRates),
}

impl Rates {
    pub async fn rate(&self, token: &str, currency: Currency) -> Result<ExchangeRate, RateError> {
        match self {
            Rates::Static(s) => s.rate(token, currency).await,
            Rates::Feed(f) => f.rate(token, currency).await,
        }
    }
}
