//! Calendar feed tokens: the secret part of a person's iCalendar address. A calendar client cannot
//! send credentials, so the address itself is the credential; each person has at most one live,
//! and replacing or revoking it stops the old address at once.

use jiff::Timestamp;
use muster_core::{audit::Actor, ids::UserId, user::User};

use crate::{
    Store, StoreError,
    audit::{self, Audit},
    rows,
    users::fetch_user,
};

impl Store {
    /// Stores a new feed token for `user`, revoking any earlier one.
    pub async fn replace_calendar_feed(
        &self,
        user: &UserId,
        token_hash: &str,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let at = rows::millis(now);
        let mut tx = self.writer.begin().await?;
        let owner = fetch_user(&mut tx, user.as_str()).await?;
        sqlx::query("UPDATE calendar_feeds SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
            .bind(user.as_str())
            .bind(at)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO calendar_feeds (token_hash, user_id, created_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(user.as_str())
            .bind(at)
            .execute(&mut *tx)
            .await?;
        let summary = format!("made a new calendar feed address for {}", owner.email);
        audit::record(
            &mut tx,
            actor,
            now,
            Audit { action: "calendar.create", target_kind: "user", target_id: user.as_str(), summary },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Revokes the person's live feed address; true when there was one.
    pub async fn revoke_calendar_feed(
        &self,
        user: &UserId,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let revoked = sqlx::query(
            "UPDATE calendar_feeds SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(user.as_str())
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        if revoked.rows_affected() > 0 {
            let summary = "revoked the calendar feed address".to_owned();
            audit::record(
                &mut tx,
                actor,
                now,
                Audit { action: "calendar.revoke", target_kind: "user", target_id: user.as_str(), summary },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(revoked.rows_affected() > 0)
    }

    /// Whether the person has a live feed address.
    pub async fn has_calendar_feed(&self, user: &UserId) -> Result<bool, StoreError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM calendar_feeds WHERE user_id = $1 AND revoked_at IS NULL")
                .bind(user.as_str())
                .fetch_optional(&self.reader)
                .await?;
        Ok(found.is_some())
    }

    /// The active user whose live feed token has this hash.
    pub async fn calendar_feed_user(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        let user_id: Option<String> = sqlx::query_scalar(
            "SELECT user_id FROM calendar_feeds WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(user_id) = user_id else { return Ok(None) };
        let user = fetch_user(&mut conn, &user_id).await?;
        Ok(user.is_active().then_some(user))
    }
}
