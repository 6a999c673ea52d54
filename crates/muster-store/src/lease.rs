//! The engine lease: which instance runs the escalation engine. It is a row, not an advisory lock:
//! the holder renews its expiry about every second, a standby takes the row once the expiry has
//! passed, and every change of holder moves the fencing token on. Engine writes check the token in
//! their own transaction ([`fence_holds`]), so a leader that hung past its lease and then wakes
//! cannot write anything after a standby took over.

use jiff::{SignedDuration, Timestamp};
use sqlx::AnyConnection;

use crate::{Backend, Store, StoreError, rows};

const ENGINE: &str = "engine";

/// Proof of holding the lease, checked by every engine write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    pub holder: String,
    pub token: i64,
}

/// Whether `fence` still holds the lease. On PostgreSQL the row stays share-locked until the
/// transaction ends, so a takeover waits for the engine write in flight instead of overtaking it.
pub(crate) async fn fence_holds(
    conn: &mut AnyConnection,
    backend: Backend,
    fence: &Fence,
) -> Result<bool, StoreError> {
    let lock = if backend == Backend::Postgres { " FOR SHARE" } else { "" };
    let found: Option<(String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT holder, token FROM engine_lease WHERE name = $1{lock}"
    )))
    .bind(ENGINE)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some_and(|(holder, token)| holder == fence.holder && token == fence.token))
}

impl Store {
    /// Takes or renews the engine lease for `holder` until `now + ttl`. Returns the fence when
    /// `holder` holds it, `None` while another instance's lease runs.
    pub async fn acquire_engine_lease(
        &self,
        holder: &str,
        now: Timestamp,
        ttl: SignedDuration,
    ) -> Result<Option<Fence>, StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO engine_lease (name, holder, token, expires_at) VALUES ($1, '', 0, 0)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(ENGINE)
        .execute(&mut *tx)
        .await?;
        let token: Option<i64> = sqlx::query_scalar(
            "UPDATE engine_lease
             SET token = CASE WHEN holder = $2 THEN token ELSE token + 1 END, holder = $2, expires_at = $4
             WHERE name = $1 AND (holder = $2 OR expires_at <= $3)
             RETURNING token",
        )
        .bind(ENGINE)
        .bind(holder)
        .bind(rows::millis(now))
        .bind(rows::millis(now + ttl))
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(token.map(|token| Fence { holder: holder.to_owned(), token }))
    }

    /// Gives the lease up if `holder` has it (at shutdown), so that a standby takes over at once.
    pub async fn release_engine_lease(&self, holder: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE engine_lease SET expires_at = 0 WHERE name = $1 AND holder = $2")
            .bind(ENGINE)
            .bind(holder)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Whether this store needs a lease at all: one SQLite file has one process.
    pub fn shares_its_database(&self) -> bool {
        self.backend == Backend::Postgres
    }
}
