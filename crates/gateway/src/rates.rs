//! Exchange rates: where the price of one token in a fiat currency comes
//! from. A static table (config) for local use, or HTTP price feeds for
//! production, each cached and refused once older than its staleness limit;
//! with several feeds, the median of the fresh answers, ignoring any
//! further than a set percentage from it, and only when enough agree.

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
    #[error(
        "prices of {token} in {currency} are paused: {agreeing} of {asked} price sources answered \
         and agreed, {needed} are needed; try again shortly"
    )]
    TooFewSources {
        token: String,
        currency: Currency,
        agreeing: usize,
        asked: usize,
        needed: usize,
    },
}

/// A rate and when its source gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priced {
    pub rate: ExchangeRate,
    /// Unix seconds when the price was fetched from its feed; `None` for a
    /// price fixed in the configuration.
    pub fetched_at: Option<i64>,
}

/// A source of exchange rates.
pub trait RateSource: Send + Sync + 'static {
    /// The current price of one whole `token` in `currency`.
    fn rate(
        &self,
        token: &str,
        currency: Currency,
    ) -> impl Future<Output = Result<Priced, RateError>> + Send;
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
    async fn rate(&self, token: &str, currency: Currency) -> Result<Priced, RateError> {
        Ok(Priced {
            rate: self.lookup(token, currency)?,
            fetched_at: None,
        })
    }
}

/// A feed's answer: token -> currency -> price.
type Table = HashMap<String, HashMap<String, String>>;

/// A feed's answer as cached: when it came (monotonic, for its age; and
/// wall-clock Unix seconds, to tell the shopper) and its table.
type Fetched = (Instant, i64, std::sync::Arc<Table>);

/// An HTTP price feed answering `{"ETH": {"USD": "2000.00", "EUR": "1850.00"}, ...}`
/// (decimal strings). Fetched at most every `refresh`; a cached table older
/// than `max_age` is refused rather than used.
pub struct FeedRates {
    url: Url,
    http: reqwest::Client,
    refresh: Duration,
    max_age: Duration,
    cache: Mutex<Option<Fetched>>,
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

    fn cached(&self) -> Option<Fetched> {
        self.cache.lock().expect("rate cache lock").clone()
    }
}

impl RateSource for FeedRates {
    async fn rate(&self, token: &str, currency: Currency) -> Result<Priced, RateError> {
        let cached = self.cached();
        let fresh_enough = cached
            .as_ref()
            .is_some_and(|(at, _, _)| at.elapsed() < self.refresh);
        let (fetched_at, fetched_unix, table) = if fresh_enough {
            cached.expect("checked")
        } else {
            match self.fetch().await {
                Ok(table) => {
                    let entry = (
                        Instant::now(),
                        crate::clock::now_seconds(),
                        std::sync::Arc::new(table),
                    );
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
        Ok(Priced {
            rate,
            fetched_at: Some(fetched_unix),
        })
    }
}

/// Several feeds: the median of those that answer, sources further than
/// `max_deviation_percent` from it left out, and at least `min_agreeing`
/// left, or no rate.
pub struct MedianRates {
    pub feeds: Vec<FeedRates>,
    pub max_deviation_percent: u32,
    pub min_agreeing: usize,
}

/// Prices compared as integers with the most digits a rate may carry.
const SCALE: u32 = tender_protocol::money::RATE_MAX_DECIMALS;

impl RateSource for MedianRates {
    async fn rate(&self, token: &str, currency: Currency) -> Result<Priced, RateError> {
        // One feed: its own answer, and its own reason when it has none.
        if let [feed] = self.feeds.as_slice() {
            return feed.rate(token, currency).await;
        }
        let answers =
            futures_util::future::join_all(self.feeds.iter().map(|f| f.rate(token, currency)))
                .await;
        // Every source that answered lacks it: no rate, not a passing outage
        // (a session in this currency is refused when it is made).
        if answers
            .iter()
            .all(|a| matches!(a, Err(RateError::Unknown { .. })))
        {
            return Err(RateError::Unknown {
                token: token.to_owned(),
                currency,
            });
        }
        let mut prices: Vec<(u128, Priced)> = answers
            .into_iter()
            .filter_map(Result::ok)
            .filter_map(|priced| {
                let scaled = tender_protocol::money::parse_units(&priced.rate.price, SCALE).ok()?;
                (scaled > 0).then_some((scaled, priced))
            })
            .collect();
        prices.sort_by_key(|(p, _)| *p);
        let too_few = |agreeing: usize| RateError::TooFewSources {
            token: token.to_owned(),
            currency,
            agreeing,
            asked: self.feeds.len(),
            needed: self.min_agreeing,
        };
        let Some(median) = median(&prices) else {
            return Err(too_few(0));
        };
        let pct = u128::from(self.max_deviation_percent);
        let agreeing: Vec<(u128, Priced)> = prices
            .into_iter()
            .filter(|(p, _)| p.abs_diff(median) * 100 <= median * pct)
            .collect();
        if agreeing.len() < self.min_agreeing {
            tracing::warn!(
                token,
                currency = currency.code(),
                agreeing = agreeing.len(),
                "price sources disagree or are down"
            );
            return Err(too_few(agreeing.len()));
        }
        // The median of those that agree, as one of them said it.
        let chosen = agreeing[(agreeing.len() - 1) / 2].1.clone();
        Ok(chosen)
    }
}

/// The middle price (the lower of the two middles for an even count: a
/// price some source gave).
fn median(sorted: &[(u128, Priced)]) -> Option<u128> {
    (!sorted.is_empty()).then(|| sorted[(sorted.len() - 1) / 2].0)
}

/// The configured source: a static table, or feeds.
pub enum Rates {
    Static(StaticRates),
    Feeds(MedianRates),
}

impl Rates {
    /// From the configuration.
    pub fn from_config(config: &crate::config::Config) -> Self {
        let feeds = config.pricing.feeds();
        if feeds.is_empty() {
            return Rates::Static(StaticRates::new(config.rates.clone()));
        }
        Rates::Feeds(MedianRates {
            feeds: feeds
                .into_iter()
                .map(|url| {
                    FeedRates::new(
                        url,
                        Duration::from_secs(config.pricing.refresh_seconds),
                        Duration::from_secs(config.pricing.max_age_seconds),
                    )
                })
                .collect(),
            max_deviation_percent: config.pricing.max_deviation_percent,
            min_agreeing: config.pricing.min_agreeing_sources as usize,
        })
    }

    /// The current price of one whole `token` in `currency`.
    pub async fn rate(&self, token: &str, currency: Currency) -> Result<ExchangeRate, RateError> {
        Ok(self.priced(token, currency).await?.rate)
    }

    /// Whether quotes can be priced in `currency`: some token the gateway
    /// takes has a price in it. Prices that are only out of date, or
    /// sources that disagree for now, do not count against it: quotes
    /// will say so, and work again once the feeds do.
    pub async fn prices_in<'a>(
        &self,
        currency: Currency,
        tokens: impl Iterator<Item = &'a str>,
    ) -> bool {
        let mut asked = false;
        for token in tokens {
            asked = true;
            match self.priced(token, currency).await {
                Err(RateError::Unknown { .. }) => {}
                Ok(_) | Err(_) => return true,
            }
        }
        // No token to pay with at all: nothing to say about the currency.
        !asked
    }

    /// The same, with when it was fetched (what a quote shows the shopper).
    pub async fn priced(&self, token: &str, currency: Currency) -> Result<Priced, RateError> {
        match self {
            Rates::Static(s) => s.rate(token, currency).await,
            Rates::Feeds(m) => m.rate(token, currency).await,
        }
    }
}
