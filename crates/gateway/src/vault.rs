//! Secrets at rest: webhook signing secrets are stored encrypted with the
//! operator's key (`TENDER_SECRET_KEY`), XChaCha20-Poly1305 with a random
//! nonce and the owning row's id as associated data, so a ciphertext copied
//! onto another endpoint's row does not decrypt. They are decrypted only to
//! sign a delivery, or once to show a new secret to its merchant.
//!
//! Stored form: `v1.<key id>.<base64 of nonce ‖ ciphertext>`; the key id is
//! the first 4 bytes of the key's SHA-256, so after a rotation the gateway
//! knows which key each row needs and re-encrypts the old ones at start-up.

use anyhow::{Context, anyhow, bail, ensure};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::config::Config;

const VERSION: &str = "v1";
const NONCE_BYTES: usize = 24;

/// One 32-byte key and its id.
struct Key {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl Key {
    fn new(bytes: [u8; 32]) -> Self {
        let digest = Sha256::digest(bytes);
        Self {
            id: alloy::hex::encode(&digest[..4]),
            cipher: XChaCha20Poly1305::new(&bytes.into()),
        }
    }

    /// 64 hex digits.
    fn parse(hex: &str, what: &str) -> anyhow::Result<Self> {
        let hex = hex.trim();
        ensure!(
            hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
            "{what} must be 64 hex digits (openssl rand -hex 32)"
        );
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)?;
        }
        Ok(Self::new(bytes))
    }
}

/// The current key, and those secrets may still be under after a rotation.
pub struct Vault {
    current: Key,
    previous: Vec<Key>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Vault(key {})", self.current.id)
    }
}

impl Vault {
    /// The configured keys; in dev mode without one, a key derived from the
    /// mnemonic, so a dev gateway keeps reading its secrets across restarts.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let security = &config.security;
        let given = security.secret_key.expose();
        let current = if given.trim().is_empty() {
            ensure!(config.dev, "no secret key: set TENDER_SECRET_KEY");
            let mut hasher = Sha256::new();
            hasher.update(b"tender dev secret key\0");
            hasher.update(config.mnemonic.expose().trim().as_bytes());
            Key::new(hasher.finalize().into())
        } else {
            Key::parse(given, "TENDER_SECRET_KEY")?
        };
        let previous = security
            .previous_secret_keys
            .iter()
            .map(|k| Key::parse(k.expose(), "each of TENDER_PREVIOUS_SECRET_KEYS"))
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { current, previous })
    }

    /// Encrypts `plain` for the row `owner`.
    pub fn seal(&self, owner: &str, plain: &str) -> String {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plain.as_bytes(),
            aad: owner.as_bytes(),
        };
        let mut sealed = nonce.to_vec();
        sealed.extend(
            self.current
                .cipher
                .encrypt(XNonce::from_slice(&nonce), payload)
                .expect("encryption of a short secret cannot fail"),
        );
        format!("{VERSION}.{}.{}", self.current.id, BASE64.encode(sealed))
    }

    /// Decrypts what [`seal`](Self::seal) wrote for `owner`, under the
    /// current key or a previous one.
    pub fn open(&self, owner: &str, stored: &str) -> anyhow::Result<String> {
        let mut parts = stored.splitn(3, '.');
        let (Some(VERSION), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            bail!("a stored secret of {owner} is not in the vault's form");
        };
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == id)
            .ok_or_else(|| {
                anyhow!(
                    "a secret of {owner} is under key {id}, which is neither TENDER_SECRET_KEY \
                     nor one of TENDER_PREVIOUS_SECRET_KEYS"
                )
            })?;
        let sealed = BASE64.decode(body).context("stored secret's base64")?;
        ensure!(sealed.len() > NONCE_BYTES, "stored secret too short");
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        let plain = key
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: owner.as_bytes(),
                },
            )
            .map_err(|_| anyhow!("a stored secret of {owner} does not decrypt"))?;
        String::from_utf8(plain).context("stored secret is not text")
    }

    /// Whether `stored` needs sealing again under the current key.
    pub fn is_stale(&self, stored: &str) -> bool {
        !stored.starts_with(&format!("{VERSION}.{}.", self.current.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn config(key: &str, previous: &[&str]) -> Config {
        let mut config = Config::default();
        config.security.secret_key = Secret::new(key.to_owned());
        config.security.previous_secret_keys = previous
            .iter()
            .map(|k| Secret::new((*k).to_owned()))
            .collect();
        config
    }

    #[test]
    fn sealed_secrets_open_only_for_their_owner_and_key() {
        let vault = Vault::from_config(&config(&"ab".repeat(32), &[])).unwrap();
        let sealed = vault.seal("we_1", "whsec_abc");
        assert!(!sealed.contains("whsec_"));
        assert_eq!(vault.open("we_1", &sealed).unwrap(), "whsec_abc");
        assert!(vault.open("we_2", &sealed).is_err(), "bound to its row");
        assert_ne!(vault.seal("we_1", "whsec_abc"), sealed, "fresh nonce");
        let other = Vault::from_config(&config(&"cd".repeat(32), &[])).unwrap();
        assert!(other.open("we_1", &sealed).is_err());
        assert!(other.is_stale(&sealed));
        let rotated = Vault::from_config(&config(&"cd".repeat(32), &[&"ab".repeat(32)])).unwrap();
        assert_eq!(rotated.open("we_1", &sealed).unwrap(), "whsec_abc");
    }

    #[test]
    fn malformed_keys_are_refused() {
        for bad in ["abc", &"zz".repeat(32), &"ab".repeat(31)] {
            assert!(Vault::from_config(&config(bad, &[])).is_err(), "{bad}");
        }
        assert!(Vault::from_config(&config(&"ab".repeat(32), &["nope"])).is_err());
        assert!(
            Vault::from_config(&config("", &[])).is_err(),
            "outside dev mode"
        );
    }
}
