//! A short-lived in-memory cache of integration keys, so that a busy monitor's requests do not
//! each read the key from the database.
//!
//! An entry is trusted only while no service change has been published in this process since it
//! was cached (a revoked key, a deleted service, changed alert settings all publish one), and for at
//! most ten seconds, which bounds how long another instance on the same PostgreSQL database keeps
//! accepting a key revoked elsewhere.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use muster_store::InboundKey;

const TIME_TO_LIVE: Duration = Duration::from_secs(10);
/// Beyond this many keys the cache starts afresh rather than grow without bound.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug)]
struct Entry {
    key: InboundKey,
    generation: u64,
    cached_at: Instant,
}

#[derive(Debug, Default)]
pub struct KeyCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl KeyCache {
    /// The cached key for `secret`, if it was cached at this service generation and recently.
    pub fn get(&self, secret: &str, generation: u64) -> Option<InboundKey> {
        let entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries
            .get(secret)
            .filter(|e| e.generation == generation && e.cached_at.elapsed() < TIME_TO_LIVE)
            .map(|e| e.key.clone())
    }

    pub fn put(&self, secret: &str, key: InboundKey, generation: u64) {
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(secret.to_owned(), Entry { key, generation, cached_at: Instant::now() });
    }
}

#[cfg(test)]
mod tests {
    use muster_core::{
        ids::{IntegrationKeyId, ServiceId},
        service::IntegrationKind,
    };

    use super::*;

    #[test]
    fn a_service_change_makes_every_entry_stale() {
        let cache = KeyCache::default();
        let key = InboundKey {
            id: IntegrationKeyId("k".into()),
            service_id: ServiceId("s".into()),
            kind: IntegrationKind::Pagerduty,
            name: "prod".into(),
            signing_secret: None,
            signing_timestamp_header: None,
            rate_limit_per_minute: Some(60),
        };
        cache.put("secret", key.clone(), 7);
        assert_eq!(cache.get("secret", 7), Some(key));
        assert_eq!(cache.get("secret", 8), None);
        assert_eq!(cache.get("other", 7), None);
    }
}
