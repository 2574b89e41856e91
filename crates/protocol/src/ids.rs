//! Prefixed identifiers (`cs_...`, `prod_...`, `evt_...`): newtypes that can
//! only hold a well-formed id of their kind.

/// Why a string is not an id of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected an id starting with {prefix:?} followed by 1 to 64 letters, digits or '_'")]
pub struct InvalidId {
    pub prefix: &'static str,
}

/// Letters used in the random part of generated ids.
#[cfg(feature = "generate")]
const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `n` random characters from a base-62 alphabet, from the OS CSPRNG.
#[cfg(feature = "generate")]
pub fn random_token(n: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..n)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A fresh id's characters: the time in milliseconds (8 base-62 digits,
/// so ids sort by when they were made, to the millisecond) and 20 random
/// ones (about 119 bits, unguessable). Made in time order, ids go in at
/// the end of the database's indexes on them: a commit of many new rows
/// writes a few pages there, where random ids would write one page each.
#[cfg(feature = "generate")]
pub fn time_ordered_token() -> String {
    let mut millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let mut time = [b'0'; 8];
    for digit in time.iter_mut().rev() {
        *digit = ALPHABET[(millis % ALPHABET.len() as u128) as usize];
        millis /= ALPHABET.len() as u128;
    }
    let mut token: String = time.iter().map(|&b| b as char).collect();
    token.push_str(&random_token(20));
    token
}

pub(crate) fn check_id(prefix: &'static str, text: &str) -> Result<(), InvalidId> {
    let rest = text.strip_prefix(prefix).ok_or(InvalidId { prefix })?;
    let ok = !rest.is_empty()
        && rest.len() <= 64
        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(InvalidId { prefix })
    }
}

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The prefix every id of this kind starts with.
            pub const PREFIX: &'static str = $prefix;

            /// Parses and checks an id of this kind.
            pub fn parse(text: &str) -> Result<Self, $crate::ids::InvalidId> {
                $crate::ids::check_id($prefix, text)?;
                Ok(Self(text.to_owned()))
            }

            /// A fresh unguessable id, in time order
            /// ([`time_ordered_token`](crate::ids::time_ordered_token)).
            #[cfg(feature = "generate")]
            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, $crate::ids::time_ordered_token()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::ids::InvalidId;
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

prefixed_id!(
    /// A Checkout Session.
    SessionId,
    "cs_"
);
prefixed_id!(
    /// A product in the merchant's library.
    ProductId,
    "prod_"
);
prefixed_id!(
    /// A webhook event; also the `webhook-id` of its deliveries.
    EventId,
    "evt_"
);
prefixed_id!(
    /// A merchant account on the gateway.
    MerchantId,
    "acct_"
);
prefixed_id!(
    /// A webhook endpoint.
    WebhookEndpointId,
    "we_"
);
prefixed_id!(
    /// A quote: one network, token, amount and deposit address for a session.
    QuoteId,
    "qt_"
);
prefixed_id!(
    /// A secret API key (the id, not the secret).
    ApiKeyId,
    "key_"
);
prefixed_id!(
    /// A person who signs in to the merchant dashboard.
    UserId,
    "user_"
);
prefixed_id!(
    /// A refund.
    RefundId,
    "re_"
);
prefixed_id!(
    /// An order on the merchant's companion server.
    OrderId,
    "ord_"
);
prefixed_id!(
    /// A payment link: a public URL that makes a session for each visitor.
    PaymentLinkId,
    "plink_"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_ids_of_its_kind() {
        assert!(SessionId::parse("cs_abc123").is_ok());
        assert!(SessionId::parse("prod_abc").is_err());
        assert!(SessionId::parse("cs_").is_err());
        assert!(SessionId::parse("cs_a/b").is_err());
        assert!(SessionId::parse(&format!("cs_{}", "a".repeat(65))).is_err());
    }

    #[cfg(feature = "generate")]
    #[test]
    fn generated_ids_parse_and_differ() {
        let a = SessionId::generate();
        let b = SessionId::generate();
        assert_ne!(a, b);
        assert_eq!(SessionId::parse(a.as_str()).unwrap(), a);
    }

    #[cfg(feature = "generate")]
    #[test]
    fn generated_ids_sort_by_time() {
        let earlier = EventId::generate();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let later = EventId::generate();
        assert!(earlier < later, "{earlier} then {later}");
        assert_eq!(later.as_str().len(), "evt_".len() + 28);
        // The random part differs within one millisecond too.
        let (a, b) = (EventId::generate(), EventId::generate());
        assert_ne!(a.as_str()[12..], b.as_str()[12..]);
    }
}
