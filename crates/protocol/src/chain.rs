//! On-chain identifiers as they travel: hex addresses and transaction hashes.

use std::fmt;

macro_rules! hex_id {
    ($(#[$doc:meta])* $name:ident, $bytes:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Parses `0x` followed by the right number of hex digits; stored lower-case.
            pub fn parse(text: &str) -> Result<Self, InvalidHex> {
                let digits = text
                    .strip_prefix("0x")
                    .or_else(|| text.strip_prefix("0X"))
                    .ok_or(InvalidHex { bytes: $bytes })?;
                if digits.len() != $bytes * 2 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(InvalidHex { bytes: $bytes });
                }
                Ok(Self(format!("0x{}", digits.to_ascii_lowercase())))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidHex;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// Why a string is not the expected hex value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected 0x followed by {} hex digits", .bytes * 2)]
pub struct InvalidHex {
    pub bytes: usize,
}

hex_id!(
    /// A 20-byte EVM account address.
    Address,
    20
);
hex_id!(
    /// A 32-byte transaction hash.
    TxHash,
    32
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_and_lower_cased() {
        let a = Address::parse("0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266").unwrap();
        assert_eq!(a.as_str(), "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
        assert!(Address::parse("f39fd6e51aad88f6f4ce6ab8827279cfffb92266").is_err());
        assert!(Address::parse("0x1234").is_err());
        assert!(TxHash::parse(&format!("0x{}", "ab".repeat(32))).is_ok());
    }
}
