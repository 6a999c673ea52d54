//! What the load reports read: the pages each person received, the alerts they handled as
//! ticket work, and the facts of every alert opened in a window for the toil report.

use jiff::Timestamp;
use muster_core::{
    ids::{AlertId, UserId},
    load::AlertFacts,
};

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
        let mut tx = self.writer.begin().await?;
        crate::users::require_active_user(&mut tx, "user_id", user).await?;
        require_alert(&mut tx, alert).await?;
        sqlx::query(
            "INSERT INTO alert_ticket_work (alert_id, user_id, at) VALUES ($1, $2, $3)
             ON CONFLICT (alert_id) DO UPDATE SET user_id = excluded.user_id, at = excluded.at",
        )
        .bind(alert.as_str())
        .bind(user.as_str())
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// `user`'s answer to "was this page useful?" for an alert (answering again changes it).
    pub async fn vote_on_page(
        &self,
        alert: &AlertId,
        user: &UserId,
        useful: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        require_alert(&mut tx, alert).await?;
        sqlx::query(
            "INSERT INTO page_votes (alert_id, user_id, useful, at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (alert_id, user_id) DO UPDATE SET useful = excluded.useful, at = excluded.at",
        )
        .bind(alert.as_str())
        .bind(user.as_str())
        .bind(i64::from(useful))
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
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

    /// Every alert first seen from `from` until `until` (storm members and alerts in maintenance
    /// included), with whether it paged, whom its page reached when (in their zone), whether its page met its response target by `now`, and
    /// how many things people did about it (notes, incident links, ticket work), and the answers
    /// to "was this page useful?".
    pub async fn alert_facts(
        &self,
        from: Timestamp,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<AlertFacts>, StoreError> {
        type Row = (
            String,
            String,
            String,
            String,
            String,
            i64,
            Option<i64>,
            Option<i64>,
            Option<String>,
            Option<i64>,
            Option<i64>,
            i64,
            i64,
            i64,
        );
        let found: Vec<Row> = sqlx::query_as(
            "SELECT a.id, s.name, a.dedup_key, a.summary, a.priority, a.first_seen_at, a.acknowledged_at, a.resolved_at,
                    p.id, p.respond_by, p.acknowledged_at,
                    (SELECT COUNT(*) FROM alert_log l WHERE l.alert_id = a.id AND l.kind = 'note')
                  + (SELECT COUNT(*) FROM incident_alerts i WHERE i.alert_id = a.id)
                  + (SELECT COUNT(*) FROM alert_ticket_work t WHERE t.alert_id = a.id),
                    (SELECT COUNT(*) FROM page_votes v WHERE v.alert_id = a.id AND v.useful = 1),
                    (SELECT COUNT(*) FROM page_votes v WHERE v.alert_id = a.id AND v.useful = 0)
             FROM alerts a JOIN services s ON s.id = a.service_id LEFT JOIN pages p ON p.alert_id = a.id
             WHERE a.first_seen_at >= $1 AND a.first_seen_at < $2
             ORDER BY a.first_seen_at, a.id",
        )
        .bind(rows::millis(from))
        .bind(rows::millis(until))
        .fetch_all(&self.reader)
        .await?;
        let received: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT n.alert_id, u.time_zone, MIN(n.deliver_at)
             FROM notifications n JOIN users u ON u.id = n.user_id JOIN alerts a ON a.id = n.alert_id
             WHERE n.purpose = 'page' AND a.first_seen_at >= $1 AND a.first_seen_at < $2
             GROUP BY n.alert_id, n.user_id, u.time_zone",
        )
        .bind(rows::millis(from))
        .bind(rows::millis(until))
        .fetch_all(&self.reader)
        .await?;
        let mut pages_received: std::collections::HashMap<String, Vec<(Timestamp, String)>> =
            std::collections::HashMap::new();
        for (alert, zone, at) in received {
            pages_received.entry(alert).or_default().push((rows::timestamp(at)?, zone));
        }
        let now = rows::millis(now);
        found
            .into_iter()
            .map(
                |(
                    id,
                    service,
                    dedup_key,
                    summary,
                    priority,
                    opened,
                    acked,
                    resolved,
                    page,
                    respond_by,
                    page_ack,
                    actions,
                    useful,
                    useless,
                )| {
                    let target_met = match (respond_by, page_ack) {
                        (Some(by), Some(at)) => Some(at <= by),
                        (Some(by), None) if now > by => Some(false),
                        _ => None,
                    };
                    Ok(AlertFacts {
                        service,
                        dedup_key,
                        summary,
                        priority,
                        opened_at: rows::timestamp(opened)?,
                        acknowledged_at: rows::optional_timestamp(acked)?,
                        resolved_at: rows::optional_timestamp(resolved)?,
                        paged: page.is_some(),
                        target_met,
                        actions: u32::try_from(actions).unwrap_or(u32::MAX),
                        useful_votes: u32::try_from(useful).unwrap_or(u32::MAX),
                        useless_votes: u32::try_from(useless).unwrap_or(u32::MAX),
                        pages_received: pages_received.remove(&id).unwrap_or_default(),
                    })
                },
            )
            .collect()
    }
}

/// Refuses an alert that does not exist, naming it, before the write that refers to it.
async fn require_alert(conn: &mut sqlx::AnyConnection, alert: &AlertId) -> Result<(), StoreError> {
    let exists: Option<(String,)> = sqlx::query_as("SELECT id FROM alerts WHERE id = $1")
        .bind(alert.as_str())
        .fetch_optional(conn)
        .await?;
    exists.map(|_| ()).ok_or(StoreError::NotFound("alert"))
}
