//! What the load reports read: the pages each person received and the alerts they handled as
//! ticket work, over a window.

use jiff::Timestamp;
use muster_core::ids::{AlertId, UserId};

use crate::{Store, StoreError, rows};

impl Store {
    /// Each page a person was notified of from `from` until `until`: once per page and person
    /// (however many contact methods it went to), at its first notification.
    pub async fn pages_received(
        &self,
        from: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<(UserId, Timestamp)>, StoreError> {
        let found: Vec<(String, i64)> = sqlx::query_as(
            "SELECT user_id, MIN(deliver_at) FROM notifications
             WHERE purpose = 'page' AND page_id IS NOT NULL AND deliver_at >= $1 AND deliver_at < $2
             GROUP BY user_id, page_id ORDER BY MIN(deliver_at)",
        )
        .bind(rows::millis(from))
        .bind(rows::millis(until))
        .fetch_all(&self.reader)
        .await?;
        found.into_iter().map(|(user, at)| Ok((UserId(user), rows::timestamp(at)?))).collect()
    }

    /// Marks an alert as ticket work done by `user` (again moves the mark to them).
    pub async fn mark_ticket_work(
        &self,
        alert: &AlertId,
        user: &UserId,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut conn = self.reader.acquire().await?;
        crate::users::require_active_user(&mut conn, "user_id", user).await?;
        drop(conn);
        let exists: Option<(String,)> = sqlx::query_as("SELECT id FROM alerts WHERE id = $1")
            .bind(alert.as_str())
            .fetch_optional(&self.reader)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound("alert"));
        }
        sqlx::query(
            "INSERT INTO alert_ticket_work (alert_id, user_id, at) VALUES ($1, $2, $3)
             ON CONFLICT (alert_id) DO UPDATE SET user_id = excluded.user_id, at = excluded.at",
        )
        .bind(alert.as_str())
        .bind(user.as_str())
        .bind(rows::millis(now))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Ticket work from `from` until `until`: who and when.
    pub async fn ticket_work(
        &self,
        from: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<(UserId, Timestamp)>, StoreError> {
        let found: Vec<(String, i64)> = sqlx::query_as(
            "SELECT user_id, at FROM alert_ticket_work WHERE at >= $1 AND at < $2 ORDER BY at",
        )
        .bind(rows::millis(from))
        .bind(rows::millis(until))
        .fetch_all(&self.reader)
        .await?;
        found.into_iter().map(|(user, at)| Ok((UserId(user), rows::timestamp(at)?))).collect()
    }
}
