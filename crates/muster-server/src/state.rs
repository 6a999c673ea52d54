//! The state every request handler shares.

use std::sync::Arc;

use muster_core::clock::Clock;
use muster_store::Store;

use crate::{
    config::Config,
    events::EventBus,
    ingest::{KeyCache, RateLimiter},
    login_limit::LoginLimiter,
    metrics::Metrics,
};

#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    pub events: EventBus,
    pub metrics: Arc<Metrics>,
    pub login_limiter: Arc<LoginLimiter>,
    pub rate_limiter: Arc<RateLimiter>,
    pub key_cache: Arc<KeyCache>,
}

impl AppState {
    pub fn new(store: Store, clock: Arc<dyn Clock>, config: Config) -> Self {
        AppState {
            store,
            clock,
            config: Arc::new(config),
            events: EventBus::new(),
            metrics: Arc::new(Metrics::new()),
            login_limiter: Arc::new(LoginLimiter::default()),
            rate_limiter: Arc::new(RateLimiter::default()),
            key_cache: Arc::new(KeyCache::default()),
        }
    }

    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }
}
