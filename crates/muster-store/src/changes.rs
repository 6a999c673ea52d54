//! Change announcements between instances on one PostgreSQL database: each instance NOTIFYs its
//! changes on one channel and LISTENs on a connection of its own, so a browser connected to any
//! instance sees changes made through every other. SQLite has one instance; there is nothing to
//! announce.

use sqlx::postgres::PgListener;

use crate::{Backend, Store, StoreError};

/// The channel every instance announces on.
const CHANNEL: &str = "muster_changes";

/// PostgreSQL caps a notification's payload below 8000 bytes.
pub const MAX_ANNOUNCEMENT_BYTES: usize = 7900;

/// The database URL, kept to open the listening connection; never shown, for it may hold a password.
#[derive(Clone)]
pub(crate) struct ListenUrl(pub(crate) String);

impl std::fmt::Debug for ListenUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ListenUrl(***)")
    }
}

/// A connection listening for other instances' announcements.
#[derive(Debug)]
pub struct ChangeListener(PgListener);

impl ChangeListener {
    /// The next announcement's payload. After a lost connection it reconnects by itself; what was
    /// announced meanwhile is lost, so the caller should treat an error as "resync".
    pub async fn next(&mut self) -> Result<String, StoreError> {
        Ok(self.0.recv().await?.payload().to_owned())
    }
}

impl Store {
    /// Whether changes are announced between instances (PostgreSQL).
    pub fn announces_changes(&self) -> bool {
        self.backend == Backend::Postgres
    }

    /// Announces `payload` (at most [`MAX_ANNOUNCEMENT_BYTES`]) to every listening instance.
    pub async fn announce_changes(&self, payload: &str) -> Result<(), StoreError> {
        if !self.announces_changes() {
            return Ok(());
        }
        sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(payload).execute(&self.writer).await?;
        Ok(())
    }

    /// Starts listening for announcements; `None` on SQLite.
    pub async fn listen_for_changes(&self) -> Result<Option<ChangeListener>, StoreError> {
        let Some(url) = &self.listen_url else { return Ok(None) };
        let mut listener = PgListener::connect(&url.0).await?;
        listener.listen(CHANNEL).await?;
        Ok(Some(ChangeListener(listener)))
    }
}
