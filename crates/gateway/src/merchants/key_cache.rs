//! Authenticated keys (and merchants' settings) remembered for a few
//! seconds, so a busy merchant's requests do not each walk its key chain
//! (or read its settings) in the database. A revoke in
//! this process empties the cache at once; one made by another instance
//! is seen here within [`TRUST_FOR`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tender_protocol::{AccountSettings, ApiKeyId, MerchantId, Scope};

/// The merchant a request's API key belongs to, and what the key may do
/// (what `auth` puts in a request's extensions).
#[derive(Debug, Clone)]
pub struct Merchant {
    pub id: MerchantId,
    /// The key the request came with (none from the dashboard, where a
    /// signed-in user acts for the merchant).
    pub key: Option<ApiKeyId>,
    pub scopes: Vec<Scope>,
}

/// How long a looked-up key is trusted without asking the database again.
pub const TRUST_FOR: Duration = Duration::from_secs(5);
/// Keys (or merchants' settings) remembered at most; past this a cache
/// starts over.
pub const MOST_CACHED: usize = 10_000;

/// Keys by the hash of their secret, with when each was read.
type Entries = HashMap<String, (Merchant, Instant)>;

/// Keys by the hash of their secret.
#[derive(Default)]
pub struct KeyCache {
    version: AtomicU64,
    entries: Mutex<(u64, Entries)>,
}

impl KeyCache {
    /// The merchant of a key looked up less than [`TRUST_FOR`] ago.
    pub fn get(&self, secret_hash: &str) -> Option<Merchant> {
        let version = self.version.load(Ordering::Acquire);
        let entries = self.entries.lock().expect("key cache");
        if entries.0 != version {
            return None;
        }
        let (merchant, read_at) = entries.1.get(secret_hash)?;
        (read_at.elapsed() < TRUST_FOR).then(|| merchant.clone())
    }

    /// Where a lookup starts: pass it to [`put`](Self::put), so an answer
    /// read before a revoke is never kept after it.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    pub fn put(&self, secret_hash: String, merchant: Merchant, read_at_version: u64) {
        let mut entries = self.entries.lock().expect("key cache");
        if entries.0 != read_at_version {
            if self.version.load(Ordering::Acquire) != read_at_version {
                return;
            }
            *entries = (read_at_version, HashMap::new());
        }
        if entries.1.len() >= MOST_CACHED {
            entries.1.clear();
        }
        entries.1.insert(secret_hash, (merchant, Instant::now()));
    }

    /// Forgets every key (after a revoke commits).
    pub fn forget_all(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
    }
}

/// Merchants' settings recently read, by merchant.
#[derive(Default)]
pub struct SettingsCache {
    pub(crate) version: AtomicU64,
    entries: Mutex<HashMap<String, (AccountSettings, Instant)>>,
}

impl SettingsCache {
    pub(crate) fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, (AccountSettings, Instant)>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets every merchant's settings (after a change commits).
    pub(crate) fn forget_all(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merchant() -> Merchant {
        Merchant {
            id: MerchantId::generate(),
            key: Some(ApiKeyId::generate()),
            scopes: vec![],
        }
    }

    #[test]
    fn a_revoke_forgets_keys_read_before_it() {
        let cache = KeyCache::default();
        let before = cache.version();
        cache.put("a".into(), merchant(), before);
        assert!(cache.get("a").is_some());
        // A lookup that started before the revoke answers after it.
        let started = cache.version();
        cache.forget_all();
        cache.put("b".into(), merchant(), started);
        assert!(cache.get("a").is_none());
        assert!(cache.get("b").is_none());
        cache.put("c".into(), merchant(), cache.version());
        assert!(cache.get("c").is_some());
    }
}
