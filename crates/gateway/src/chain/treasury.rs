//! The gateway's treasury: one account (BIP-44 account 2 of the gateway
//! mnemonic) on every network, which pays merchants out and funds the gas of
//! token sweeps; and the signing of raw transactions, by the treasury or a
//! deposit key. Transactions are signed here and stored before they are
//! broadcast, so a retry re-sends the same bytes.

use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
use alloy::eips::eip2718::Encodable2718;
use alloy::network::TxSignerSync;
use alloy::primitives::{Address, B256, Bytes, TxKind, U256};
use alloy::signers::local::{MnemonicBuilder, PrivateKeySigner};
use alloy::sol;
use alloy::sol_types::SolCall;
use anyhow::Context;

const TREASURY_PATH: &str = "m/44'/60'/2'/0/0";

/// Gas a plain transfer of the native token uses.
pub const NATIVE_TRANSFER_GAS: u64 = 21_000;
/// Gas limit for an ERC-20 `transfer` (generous for a plain token).
pub const TOKEN_TRANSFER_GAS: u64 = 100_000;

sol! {
    /// The one ERC-20 call the gateway makes.
    function transfer(address to, uint256 value) external returns (bool);
}

/// The treasury's key.
pub struct Treasury {
    signer: PrivateKeySigner,
}

impl Treasury {
    pub fn from_mnemonic(phrase: &str) -> anyhow::Result<Self> {
        let signer = MnemonicBuilder::english()
            .phrase(phrase.trim())
            .derivation_path(TREASURY_PATH)
            .context("treasury derivation path")?
            .build()
            .context("the mnemonic is not a valid BIP-39 English phrase")?;
        Ok(Self { signer })
    }

    pub fn address(&self) -> Address {
        self.signer.address()
    }

    pub fn signer(&self) -> &PrivateKeySigner {
        &self.signer
    }
}

/// A transaction to sign.
#[derive(Debug, Clone)]
pub struct Transfer {
    pub chain_id: u64,
    pub nonce: u64,
    pub fees: Fees,
    /// The recipient of the value (for a token, the token holder to be).
    pub to: Address,
    /// The ERC-20 contract, or `None` for the native token.
    pub token: Option<Address>,
    pub amount: U256,
}

/// What a transaction pays for gas, per unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fees {
    /// Chains without a base fee: one price.
    Legacy { gas_price: u128 },
    /// EIP-1559: at most `max_fee`, of which `priority` goes to the miner.
    Eip1559 { max_fee: u128, priority: u128 },
}

impl Fees {
    /// The most one unit of gas can cost.
    pub fn max_per_gas(self) -> u128 {
        match self {
            Fees::Legacy { gas_price } => gas_price,
            Fees::Eip1559 { max_fee, .. } => max_fee,
        }
    }

    /// Fees a node accepts as a replacement (at least an eighth more on
    /// every part, rounded up), and never below `market`.
    pub fn bumped(self, market: Fees) -> Fees {
        let up = |fee: u128| fee + fee.div_ceil(8).max(1);
        match (self, market) {
            (
                Fees::Eip1559 { max_fee, priority },
                Fees::Eip1559 {
                    max_fee: m,
                    priority: p,
                },
            ) => Fees::Eip1559 {
                max_fee: up(max_fee).max(m),
                priority: up(priority).max(p),
            },
            (Fees::Eip1559 { max_fee, priority }, Fees::Legacy { gas_price }) => Fees::Eip1559 {
                max_fee: up(max_fee).max(gas_price),
                priority: up(priority),
            },
            (Fees::Legacy { gas_price }, market) => Fees::Legacy {
                gas_price: up(gas_price).max(market.max_per_gas()),
            },
        }
    }

    /// The same kind of fees, capped at `max_per_gas` per unit.
    pub fn capped(self, max_per_gas: u128) -> Fees {
        match self {
            Fees::Legacy { gas_price } => Fees::Legacy {
                gas_price: gas_price.min(max_per_gas),
            },
            Fees::Eip1559 { max_fee, priority } => Fees::Eip1559 {
                max_fee: max_fee.min(max_per_gas),
                priority: priority.min(max_per_gas),
            },
        }
    }
}

/// The gas limit of a transfer of `token` (`None`: the native token).
pub fn gas_limit(token: Option<Address>) -> u64 {
    if token.is_some() {
        TOKEN_TRANSFER_GAS
    } else {
        NATIVE_TRANSFER_GAS
    }
}

/// A signed transaction: its bytes and hash.
#[derive(Debug, Clone)]
pub struct Signed {
    pub raw: Bytes,
    pub hash: B256,
}

/// Signs `transfer` with `signer`, with an explicit nonce and fees: an
/// EIP-1559 transaction where the chain has a base fee, else a legacy one.
pub fn sign(signer: &PrivateKeySigner, transfer: &Transfer) -> anyhow::Result<Signed> {
    let (to, value, input, gas_limit) = match transfer.token {
        None => (
            transfer.to,
            transfer.amount,
            Bytes::new(),
            NATIVE_TRANSFER_GAS,
        ),
        Some(token) => {
            let call = transferCall {
                to: transfer.to,
                value: transfer.amount,
            };
            (
                token,
                U256::ZERO,
                Bytes::from(call.abi_encode()),
                TOKEN_TRANSFER_GAS,
            )
        }
    };
    let envelope = match transfer.fees {
        Fees::Legacy { gas_price } => {
            let mut tx = TxLegacy {
                chain_id: Some(transfer.chain_id),
                nonce: transfer.nonce,
                gas_price,
                gas_limit,
                to: TxKind::Call(to),
                value,
                input,
            };
            let signature = signer
                .sign_transaction_sync(&mut tx)
                .context("signing a transaction")?;
            TxEnvelope::Legacy(tx.into_signed(signature))
        }
        Fees::Eip1559 { max_fee, priority } => {
            let mut tx = TxEip1559 {
                chain_id: transfer.chain_id,
                nonce: transfer.nonce,
                gas_limit,
                max_fee_per_gas: max_fee,
                max_priority_fee_per_gas: priority,
                to: TxKind::Call(to),
                value,
                access_list: Default::default(),
                input,
            };
            let signature = signer
                .sign_transaction_sync(&mut tx)
                .context("signing a transaction")?;
            TxEnvelope::Eip1559(tx.into_signed(signature))
        }
    };
    Ok(Signed {
        hash: *envelope.tx_hash(),
        raw: Bytes::from(envelope.encoded_2718()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEV_MNEMONIC;

    #[test]
    fn the_treasury_is_not_a_dev_account_or_a_deposit_address() {
        let treasury = Treasury::from_mnemonic(DEV_MNEMONIC).unwrap();
        let deposits = crate::chain::deposits::DepositKeys::from_mnemonic(DEV_MNEMONIC).unwrap();
        let address = treasury.address().to_string().to_lowercase();
        assert_ne!(address, "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
        assert_ne!(address, deposits.address(0).unwrap().as_str());
    }

    #[test]
    fn signing_is_deterministic_so_a_resend_is_the_same_transaction() {
        let treasury = Treasury::from_mnemonic(DEV_MNEMONIC).unwrap();
        let transfer = Transfer {
            chain_id: 31337,
            nonce: 7,
            fees: Fees::Eip1559 {
                max_fee: 2_000_000_000,
                priority: 1_000_000_000,
            },
            to: Address::repeat_byte(0x11),
            token: Some(Address::repeat_byte(0x22)),
            amount: U256::from(5_000_000u64),
        };
        let a = sign(treasury.signer(), &transfer).unwrap();
        let b = sign(treasury.signer(), &transfer).unwrap();
        assert_eq!(a.hash, b.hash);
        assert_eq!(a.raw, b.raw);
    }

    #[test]
    fn a_replacement_pays_an_eighth_more_and_at_least_the_market() {
        let old = Fees::Eip1559 {
            max_fee: 80,
            priority: 8,
        };
        let calm = Fees::Eip1559 {
            max_fee: 10,
            priority: 1,
        };
        assert_eq!(
            old.bumped(calm),
            Fees::Eip1559 {
                max_fee: 90,
                priority: 9
            }
        );
        let busy = Fees::Eip1559 {
            max_fee: 500,
            priority: 50,
        };
        assert_eq!(
            old.bumped(busy),
            Fees::Eip1559 {
                max_fee: 500,
                priority: 50
            }
        );
        assert_eq!(
            Fees::Legacy { gas_price: 8 }.bumped(calm),
            Fees::Legacy { gas_price: 10 }
        );
    }
}
