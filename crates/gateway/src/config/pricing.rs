//! The `[pricing]` settings: where exchange rates come from.

use serde::Deserialize;
use url::Url;

/// Where exchange rates come from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PricingConfig {
    /// An HTTP price feed answering `{"ETH": {"USD": "2000.00"}, ...}`; without
    /// any feed, the static `[[rates]]` table is used.
    pub feed_url: Option<Url>,
    /// More feeds (with `feed_url`, all of them are asked): a quote uses the
    /// median of the fresh answers.
    pub feed_urls: Vec<Url>,
    /// A source further than this from the median (in percent) is ignored.
    pub max_deviation_percent: u32,
    /// Sources that must answer and agree (within the deviation) for a
    /// quote; fewer make quotes fail with 503 and a clear message.
    pub min_agreeing_sources: u32,
    /// How often a feed is fetched, at most.
    pub refresh_seconds: u64,
    /// Older rates are refused: quotes fail with a clear error instead.
    pub max_age_seconds: u64,
}

impl Default for PricingConfig {
    fn default() -> Self {
        Self {
            feed_url: None,
            feed_urls: Vec::new(),
            max_deviation_percent: 5,
            min_agreeing_sources: 1,
            refresh_seconds: 30,
            max_age_seconds: 300,
        }
    }
}

impl PricingConfig {
    /// Every feed configured.
    pub fn feeds(&self) -> Vec<Url> {
        self.feed_url
            .iter()
            .chain(&self.feed_urls)
            .cloned()
            .collect()
    }
}
