//! Sign-in sessions of the web UI. The cookie holds a random token; only its hash is stored, so a
//! leaked database does not let anyone sign in.

use jiff::Timestamp;
use muster_core::{audit::Actor, ids::UserId, user::User};
use sqlx::{Any, FromRow};

use crate::{
    Store, StoreError,
    audit::{self, Audit},
    rows,
    users::fetch_user,
};

/// A live session: who it belongs to and the token their forms must carry.
#[derive(Debug)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
}

impl Store {
    /// Records a new session for an active user, clearing expired ones on the way.
    pub async fn create_session(
        &self,
        token_hash: &str,
        user: &UserId,
        csrf_token: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(rows::millis(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user.as_str())
        .bind(csrf_token)
        .bind(rows::millis(now))
        .bind(rows::millis(expires_at))
        .execute(&mut *tx)
        .await?;
        let who = fetch_user(&mut tx, user.as_str()).await?;
        let summary = format!("{} signed in", who.email);
        audit::record(
            &mut tx,
            &Actor::User(user.clone()),
            now,
            Audit { action: "session.create", target_kind: "user", target_id: user.as_str(), summary },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The unexpired session with this token hash, if its user is still active.
    pub async fn session(&self, token_hash: &str, now: Timestamp) -> Result<Option<Session>, StoreError> {
        #[derive(FromRow)]
        struct Row {
            user_id: String,
            csrf_token: String,
        }
        let mut conn = self.reader.acquire().await?;
        let row: Option<Row> = sqlx::query_as::<Any, Row>(
            "SELECT user_id, csrf_token FROM sessions WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(rows::millis(now))
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user = fetch_user(&mut conn, &row.user_id).await?;
        Ok(user.is_active().then_some(Session { user, csrf_token: row.csrf_token }))
    }

    /// Ends a session (sign-out). Ending one that is already gone changes nothing.
    pub async fn delete_session(
        &self,
        token_hash: &str,
        user: &UserId,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let deleted = sqlx::query("DELETE FROM sessions WHERE token_hash = $1 AND user_id = $2")
            .bind(token_hash)
            .bind(user.as_str())
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() > 0 {
            let who = fetch_user(&mut tx, user.as_str()).await?;
            let summary = format!("{} signed out", who.email);
            audit::record(
                &mut tx,
                &Actor::User(user.clone()),
                now,
                Audit { action: "session.delete", target_kind: "user", target_id: user.as_str(), summary },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
