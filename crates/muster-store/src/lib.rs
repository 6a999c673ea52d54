//! Muster's database. One concrete [`Store`] over sqlx's `any` driver serves both backends with one
//! code path: SQLite (the embedded default) and PostgreSQL (for several instances on one database).
//!
//! This is the only crate that contains SQL. Every write records an audit entry in the same
//! transaction, and a method returns only after its transaction has committed.

mod alert_settings;
mod alerts;
mod audit;
mod calendar_feeds;
mod changes;
mod cover_requests;
mod error;
mod escalation_policies;
mod handoffs;
mod incidents;
mod ingest;
mod lease;
mod load;
mod notifications;
mod pages;
mod playbooks;
mod postmortems;
mod reading_club;
mod rows;
mod schedules;
mod services;
mod sessions;
mod slos;
mod sql;
mod subscriptions;
mod teams;
#[cfg(feature = "testing")]
pub mod testing;
mod tokens;
mod users;

use std::{str::FromStr, time::Duration};

use sqlx::{
    AnyPool, Executor,
    any::{AnyConnectOptions, AnyPoolOptions},
    migrate::Migrator,
};

pub use alert_settings::InboundKey;
pub use alerts::AlertAction;
pub use changes::{ChangeListener, MAX_ANNOUNCEMENT_BYTES};
pub use error::StoreError;
pub use incidents::{IncidentCursor, IncidentFilter};
pub use ingest::Delivery;
pub use lease::Fence;
pub use notifications::{Claimed, MAX_VERIFICATION_ATTEMPTS, VerificationCode, queued};
pub use pages::Escalated;
pub use postmortems::{Comment, HistoryLine, NewActionItem, SearchHit, StoredPostmortem};
pub use reading_club::{
    MonthVote, NewReviewSession, PostmortemRef, ReadingListEntry, ReviewSession, Standing,
};
pub use schedules::NewSchedule;
pub use sessions::Session;
pub use slos::EnterOpsMode;
pub use users::Credentials;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database a [`Store`] talks to; chosen by the URL scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    fn migrator(self) -> &'static Migrator {
        match self {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }
}

/// Connection counts of one pool, for `/metrics`.
#[derive(Debug, Clone, Copy)]
pub struct PoolStats {
    pub name: &'static str,
    pub size: u32,
    pub idle: u32,
}

/// The database. Cheap to clone; clones share the pools.
///
/// On SQLite, writes go through a pool of exactly one connection (SQLite allows one writer at a time,
/// and queueing in the pool is fairer than retrying on `SQLITE_BUSY`) while reads use a separate
/// read-only pool that WAL mode lets run beside the writer. On PostgreSQL both are the same pool.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
    writer: AnyPool,
    reader: AnyPool,
    ingest: ingest::IngestQueue,
    /// PostgreSQL only: where to open the connection that listens for other instances' changes.
    listen_url: Option<changes::ListenUrl>,
}

const SQLITE_READERS: u32 = 4;
const POSTGRES_CONNECTIONS: u32 = 10;

impl Store {
    /// Connects to `url` (`sqlite://muster.db` or `postgres://…`). A SQLite file is created when it
    /// does not exist. Does not migrate; call [`Store::migrate`].
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        match backend {
            Backend::Sqlite => {
                let writer_url = sqlite_url(url, "rwc");
                let writer = AnyPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            prepare_sqlite_connection(conn).await
                        })
                    })
                    .connect_with(AnyConnectOptions::from_str(&writer_url)?)
                    .await?;
                // Readers open the file only once the writer has created it and switched it to WAL.
                let reader = AnyPoolOptions::new()
                    .max_connections(SQLITE_READERS)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            prepare_sqlite_connection(conn).await?;
                            conn.execute("PRAGMA query_only = ON").await?;
                            Ok(())
                        })
                    })
                    .connect_lazy_with(AnyConnectOptions::from_str(&sqlite_url(url, "rw"))?);
                let ingest = ingest::IngestQueue::start(writer.clone(), backend)?;
                Ok(Store { backend, writer, reader, ingest, listen_url: None })
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(POSTGRES_CONNECTIONS)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?;
                let ingest = ingest::IngestQueue::start(pool.clone(), backend)?;
                let listen_url = Some(changes::ListenUrl(url.to_owned()));
                Ok(Store { backend, writer: pool.clone(), reader: pool, ingest, listen_url })
            }
        }
    }

    /// Connects and applies any migrations not yet applied.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let store = Self::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Applies signals from monitors through the group-commit writer and returns what each did,
    /// once they are committed.
    pub async fn ingest(
        &self,
        deliveries: Vec<Delivery>,
    ) -> Result<Vec<muster_core::alert::Outcome>, StoreError> {
        self.ingest.submit(deliveries).await
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies the migrations of this backend that the database does not have yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.backend.migrator().run(&self.writer).await?;
        Ok(())
    }

    /// How many of this build's migrations the database has not applied; zero when ready.
    pub async fn pending_migrations(&self) -> Result<usize, StoreError> {
        let applied: Vec<i64> =
            match sqlx::query_scalar::<_, i64>("SELECT version FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_all(&self.reader)
                .await
            {
                Ok(versions) => versions,
                Err(sqlx::Error::Database(_)) => Vec::new(),
                Err(error) => return Err(error.into()),
            };
        Ok(self.backend.migrator().iter().filter(|m| !applied.contains(&m.version)).count())
    }

    /// Round-trips a trivial query on both pools.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        sqlx::query("SELECT 1").execute(&self.writer).await?;
        Ok(())
    }

    pub fn pool_stats(&self) -> Vec<PoolStats> {
        let stats =
            |name, pool: &AnyPool| PoolStats { name, size: pool.size(), idle: pool.num_idle() as u32 };
        match self.backend {
            Backend::Sqlite => vec![stats("writer", &self.writer), stats("reader", &self.reader)],
            Backend::Postgres => vec![stats("shared", &self.writer)],
        }
    }

    /// Closes both pools, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// Adds the open mode to a SQLite URL unless the caller chose one.
fn sqlite_url(url: &str, mode: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode={mode}")
    } else {
        format!("{url}?mode={mode}")
    }
}

/// Settings every SQLite connection needs. `synchronous = FULL` makes a commit durable before it
/// returns, so an acknowledged write survives a power cut, not only a process crash.
async fn prepare_sqlite_connection(conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
    conn.execute("PRAGMA foreign_keys = ON").await?;
    conn.execute("PRAGMA busy_timeout = 10000").await?;
    conn.execute("PRAGMA synchronous = FULL").await?;
    // Statement journals and sorts stay in memory instead of a temporary file opened and closed
    // for each batch.
    conn.execute("PRAGMA temp_store = MEMORY").await?;
    Ok(())
}

/// A fresh opaque id. Version 7 UUIDs begin with their creation time, so new rows land at the end
/// of every index keyed by id instead of on a random page of it: a batch of new alerts dirties a
/// few pages rather than one per alert, which is most of what a commit has to write.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
