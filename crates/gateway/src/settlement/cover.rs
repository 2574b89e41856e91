//! Whether the treasury can cover what it must send on a network: every
//! payout, refund and sweep gas it has been asked for and that is not yet
//! mined, each with its own gas at today's fees, plus the gas of the token
//! sweeps about to ask. Read by `/readyz`, by the metrics, and by the
//! settler before each round of sending, so the operator hears how much is
//! missing before a node refuses a transaction for want of funds.

use std::collections::BTreeMap;
use std::sync::Mutex;

use alloy::primitives::{Address, U256};
use tender_protocol::money::format_units;

use crate::chain::rpc::Chain;
use crate::chain::{sender, sweeps, treasury};
use crate::config::NATIVE_DECIMALS;
use crate::state::AppState;

/// One coin of a network: what the treasury must send of it and holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cover {
    pub symbol: String,
    pub decimals: u32,
    pub needed: U256,
    pub held: U256,
    /// Transactions waiting that need this coin (as value or as gas).
    pub waiting: usize,
}

impl Cover {
    pub fn missing(&self) -> U256 {
        self.needed.saturating_sub(self.held)
    }

    /// `raw` of this coin, as a person writes it ("0.25 ETH").
    pub fn amount(&self, raw: U256) -> String {
        let raw = u128::try_from(raw).unwrap_or(u128::MAX);
        format!("{} {}", format_units(raw, self.decimals, 0), self.symbol)
    }

    /// What to tell the operator.
    pub fn describe(&self) -> String {
        let what = format!(
            "needs {} for {} transaction(s) waiting and their gas, holds {}",
            self.amount(self.needed),
            self.waiting,
            self.amount(self.held)
        );
        if self.missing().is_zero() {
            what
        } else {
            format!("short of {}: {what}", self.amount(self.missing()))
        }
    }
}

/// The coins of `chain` the treasury must send some of, each with what it
/// holds (coins with nothing to send are left out: no balance is read).
pub async fn of(state: &AppState, chain: &Chain) -> anyhow::Result<Vec<Cover>> {
    let network = &chain.network;
    let owed = sender::owed_by_treasury(&state.db, network.chain_id).await?;
    let sweeps = sweeps::awaiting_gas(&state.db, network.chain_id, &network.native_token).await?;
    if owed.is_empty() && sweeps == 0 {
        return Ok(Vec::new());
    }
    let per_gas = chain.fees().await?.max_per_gas();
    // Keyed by contract; `None` (the native coin) sorts first.
    let mut needs: BTreeMap<Option<Address>, (U256, usize)> = BTreeMap::new();
    for (token, amount) in owed {
        let gas = U256::from(treasury::gas_limit(token)) * U256::from(per_gas);
        let value = needs.entry(token).or_default();
        value.0 += amount;
        value.1 += 1;
        let native = needs.entry(None).or_default();
        native.0 += gas;
        if token.is_some() {
            native.1 += 1;
        }
    }
    if sweeps > 0 {
        let native = needs.entry(None).or_default();
        native.0 += sweeps::sweep_gas(per_gas) * U256::from(sweeps);
        native.1 += usize::try_from(sweeps).unwrap_or(usize::MAX);
    }
    let owner = state.treasury.address();
    let mut covers = Vec::with_capacity(needs.len());
    for (contract, (needed, waiting)) in needs {
        let (symbol, decimals, held) = match contract {
            None => (
                network.native_token.clone(),
                NATIVE_DECIMALS,
                chain.balance(owner).await?,
            ),
            Some(token) => {
                let known = network
                    .tokens
                    .iter()
                    .find(|t| t.address.as_str().parse::<Address>().ok() == Some(token));
                let (symbol, decimals) = known.map_or_else(
                    || (token.to_string(), 0),
                    |t| (t.symbol.clone(), t.decimals),
                );
                (symbol, decimals, chain.token_balance(token, owner).await?)
            }
        };
        covers.push(Cover {
            symbol,
            decimals,
            needed,
            held,
            waiting,
        });
    }
    Ok(covers)
}

/// The settler's alarm: logs a shortfall when it starts or changes, and
/// when the treasury covers again, never every round.
#[derive(Default)]
pub struct Alarm {
    /// The last shortfall logged, by network and coin.
    said: Mutex<BTreeMap<(String, String), U256>>,
}

impl Alarm {
    pub async fn check(&self, state: &AppState, chain: &Chain) {
        let network = &chain.network.id;
        let covers = match of(state, chain).await {
            Ok(covers) => covers,
            Err(err) => {
                tracing::debug!(network = %network, error = format!("{err:#}"), "treasury cover could not be read");
                return;
            }
        };
        let mut said = self.said.lock().unwrap_or_else(|e| e.into_inner());
        let mut short = BTreeMap::new();
        for cover in &covers {
            let missing = cover.missing();
            if missing.is_zero() {
                continue;
            }
            let key = (network.clone(), cover.symbol.clone());
            if said.get(&key) != Some(&missing) {
                tracing::error!(
                    network = %network,
                    token = %cover.symbol,
                    missing = %cover.amount(missing),
                    needed = %cover.amount(cover.needed),
                    held = %cover.amount(cover.held),
                    "treasury low: {}; refill it, or these transactions wait",
                    cover.describe()
                );
            }
            short.insert(key, missing);
        }
        said.retain(|key, _| {
            let covered = &key.0 != network || short.contains_key(key);
            if !covered {
                tracing::info!(network = %network, token = %key.1, "treasury covers what it must send again");
            }
            covered
        });
        said.extend(short);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shortfall_says_how_much_is_missing_in_whole_tokens() {
        let cover = Cover {
            symbol: "ETH".into(),
            decimals: 18,
            needed: U256::from(1_500_000_000_000_000_000u128),
            held: U256::from(250_000_000_000_000_000u128),
            waiting: 2,
        };
        assert_eq!(
            cover.describe(),
            "short of 1.25 ETH: needs 1.5 ETH for 2 transaction(s) waiting and their gas, holds 0.25 ETH"
        );
        let enough = Cover {
            held: U256::from(2u8) * U256::from(10u128.pow(18)),
            ..cover
        };
        assert!(enough.missing().is_zero());
        assert!(enough.describe().starts_with("needs 1.5 ETH"));
    }
}
