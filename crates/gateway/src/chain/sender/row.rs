//! A transaction as the sender keeps it, and who signs it.

use alloy::signers::local::PrivateKeySigner;
use sqlx::FromRow;

use crate::state::AppState;

/// Who signs a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    Treasury,
    /// A deposit address, by its derivation index.
    Deposit(u32),
}

impl Signer {
    pub fn label(self) -> String {
        match self {
            Signer::Treasury => "treasury".to_owned(),
            Signer::Deposit(index) => format!("deposit:{index}"),
        }
    }

    pub fn parse(label: &str) -> anyhow::Result<Self> {
        match label.strip_prefix("deposit:") {
            Some(index) => Ok(Signer::Deposit(index.parse()?)),
            None if label == "treasury" => Ok(Signer::Treasury),
            None => anyhow::bail!("unknown signer {label:?}"),
        }
    }

    pub fn key(self, state: &AppState) -> anyhow::Result<PrivateKeySigner> {
        match self {
            Signer::Treasury => Ok(state.treasury.signer().clone()),
            Signer::Deposit(index) => state.deposits.signer(index),
        }
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct Row {
    pub id: i64,
    pub signer: String,
    pub nonce: Option<i64>,
    pub purpose: String,
    pub to_address: String,
    pub token_address: Option<String>,
    pub amount_raw: String,
    pub max_fee: Option<String>,
    pub priority_fee: Option<String>,
    pub fee_cap: Option<String>,
    pub raw_tx: Option<String>,
    pub status: String,
    pub sent_at: Option<i64>,
    pub tries: i64,
}
