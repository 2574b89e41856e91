//! Answers read from the database remembered for a few seconds, so a busy
//! merchant's requests do not each ask again: authenticated keys (not
//! walking the key chain every request) and account settings. A change in
//! this process empties its cache at once; one made by another instance is
//! seen here within [`TRUST_FOR`].

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
    /// The key the request came with.
    pub key: ApiKeyId,
    pub scopes: Vec<Scope>,
}

/// Keys by the hash of their secret.
pub type KeyCache = Recent<Merchant>;
/// Account settings by merchant id.
pub type SettingsCache = Recent<AccountSettings>;

/// How long a looked-up answer is trusted without asking the database again.
pub const TRUST_FOR: Duration = Duration::from_secs(5);
/// Answers remembered at most; past this the cache starts over.
const MOST: usize = 10_000;

/// Answers by key, with when each was read.
type Entries<V> = HashMap<String, (V, Instant)>;

/// Answers by key, each trusted for [`TRUST_FOR`].
pub struct Recent<V> {
    version: AtomicU64,
    entries: Mutex<(u64, Entries<V>)>,
}

impl<V> Default for Recent<V> {
    fn default() -> Self {
        Self {
            version: AtomicU64::new(0),
            entries: Mutex::new((0, HashMap::new())),
        }
    }
}

impl<V: Clone> Recent<V> {
    /// The answer for `key` read less than [`TRUST_FOR`] ago.
    pub fn get(&self, key: &str) -> Option<V> {
        let version = self.version.load(Ordering::Acquire);
        let entries = self.entries.lock().expect("key cache");
        if entries.0 != version {
            return None;
        }
        let (value, read_at) = entries.1.get(key)?;
        (read_at.elapsed() < TRUST_FOR).then(|| value.clone())
    }

    /// Where a lookup starts: pass it to [`put`](Self::put), so an answer
    /// read before a change is never kept after it.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    pub fn put(&self, key: String, value: V, read_at_version: u64) {
        let mut entries = self.entries.lock().expect("key cache");
        if entries.0 != read_at_version {
            if self.version.load(Ordering::Acquire) != read_at_version {
                return;
            }
            *entries = (read_at_version, HashMap::new());
        }
        if entries.1.len() >= MOST {
            entries.1.clear();
        }
        entries.1.insert(key, (value, Instant::now()));
    }

    /// Forgets every answer (after a change commits: a key revoked,
    /// settings replaced).
    pub fn forget_all(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merchant() -> Merchant {
        Merchant {
            id: MerchantId::generate(),
            key: ApiKeyId::generate(),
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
