//! The state every request handler shares.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use muster_core::clock::Clock;
use muster_store::Store;

use crate::{
    config::Config,
    events::{EventBus, Topic},
    ingest::{KeyCache, RateLimiter},
    login_limit::LoginLimiter,
    metrics::Metrics,
    notifiers::{LinkSigner, Notifiers},
    secrets,
};

/// A handle on the state: every request clones it, so it is one reference count rather than one
/// per field (cloning and dropping the fields one by one was a few percent of ingestion's CPU).
#[derive(Debug, Clone)]
pub struct AppState(Arc<SharedState>);

impl std::ops::Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}

#[derive(Debug)]
pub struct SharedState {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    pub events: EventBus,
    pub metrics: Arc<Metrics>,
    pub login_limiter: Arc<LoginLimiter>,
    pub rate_limiter: Arc<RateLimiter>,
    pub key_cache: Arc<KeyCache>,
    pub notifiers: Arc<Notifiers>,
    link_signer: Arc<tokio::sync::OnceCell<LinkSigner>>,
    /// Whether this instance's escalation engine holds the lease (always, on SQLite, once running).
    engine_leader: Arc<AtomicBool>,
}

impl AppState {
    /// Panics when the notifiers cannot be built from `config`; [`crate::serve`] checks first.
    pub fn new(store: Store, clock: Arc<dyn Clock>, config: Config) -> Self {
        let notifiers = Notifiers::new(&config).expect("the configuration was checked");
        AppState(Arc::new(SharedState {
            store,
            clock,
            config: Arc::new(config),
            events: EventBus::new(),
            metrics: Arc::new(Metrics::new()),
            login_limiter: Arc::new(LoginLimiter::default()),
            rate_limiter: Arc::new(RateLimiter::default()),
            key_cache: Arc::new(KeyCache::default()),
            notifiers: Arc::new(notifiers),
            link_signer: Arc::default(),
            engine_leader: Arc::default(),
        }))
    }

    pub fn is_engine_leader(&self) -> bool {
        self.engine_leader.load(Ordering::SeqCst)
    }

    /// Called by the engine on every pass; taking the lead wakes the jobs that only the leader runs.
    pub fn set_engine_leader(&self, leader: bool) {
        let was_leader = self.engine_leader.swap(leader, Ordering::SeqCst);
        if leader && !was_leader {
            self.events.wake(Topic::Heartbeat);
        }
    }

    /// The signer of acknowledge and resolve links, with the key every instance shares.
    pub async fn link_signer(&self) -> Result<&LinkSigner, muster_store::StoreError> {
        self.link_signer
            .get_or_try_init(|| async {
                let key = self.store.signing_key("links", &secrets::random_hex(32), self.now()).await?;
                Ok(LinkSigner::new(&key))
            })
            .await
    }

    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }
}
