//! Deposit addresses: one per quote, derived (BIP-44) from the gateway's
//! mnemonic. Deposits use account 1 (`m/44'/60'/1'/0/{index}`), so they never
//! collide with the accounts a dev node funds from the same phrase (account 0).

use alloy::signers::local::{MnemonicBuilder, MnemonicKey, PrivateKeySigner};
use anyhow::Context;
use tender_protocol::Address;

const DEPOSIT_ACCOUNT_PATH: &str = "m/44'/60'/1'/0/0";

/// The parent key deposit addresses are derived from, computed once.
pub struct DepositKeys {
    parent: MnemonicKey,
}

impl DepositKeys {
    pub fn from_mnemonic(phrase: &str) -> anyhow::Result<Self> {
        let parent = MnemonicBuilder::english()
            .phrase(phrase.trim())
            .derivation_path(DEPOSIT_ACCOUNT_PATH)
            .context("deposit derivation path")?
            .build_parent_key()
            .context("the mnemonic is not a valid BIP-39 English phrase")?;
        Ok(Self { parent })
    }

    /// The key of deposit `index`, to sweep it.
    pub fn signer(&self, index: u32) -> anyhow::Result<PrivateKeySigner> {
        Ok(self
            .parent
            .child(index)
            .with_context(|| format!("cannot derive deposit key {index}"))?
            .signer())
    }

    /// The address of deposit `index`.
    pub fn address(&self, index: u32) -> anyhow::Result<Address> {
        let signer = self.signer(index)?;
        Ok(Address::parse(&signer.address().to_string())
            .expect("alloy formats addresses as 0x hex"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEV_MNEMONIC;

    #[test]
    fn derives_distinct_stable_addresses_outside_the_dev_accounts() {
        let keys = DepositKeys::from_mnemonic(DEV_MNEMONIC).unwrap();
        let a = keys.address(0).unwrap();
        assert_eq!(a, keys.address(0).unwrap());
        assert_ne!(a, keys.address(1).unwrap());
        // anvil's first funded account (m/44'/60'/0'/0/0) must not be a deposit address.
        assert_ne!(a.as_str(), "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
    }

    #[test]
    fn refuses_an_invalid_phrase() {
        assert!(DepositKeys::from_mnemonic("not a mnemonic").is_err());
    }
}
