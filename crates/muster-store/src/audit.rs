//! The audit log: one row per write, inserted in the write's own transaction.

use jiff::Timestamp;
use muster_core::{
    audit::{Actor, AuditEntry},
    page::Page,
};
use sqlx::{Any, AnyConnection, FromRow};

use crate::{Store, StoreError, rows};

/// What one audited write did.
pub(crate) struct Audit<'a> {
    pub action: &'static str,
    pub target_kind: &'static str,
    pub target_id: &'a str,
    pub summary: String,
}

pub(crate) async fn record(
    conn: &mut AnyConnection,
    actor: &Actor,
    now: Timestamp,
    audit: Audit<'_>,
) -> Result<(), StoreError> {
    let (user_id, label) = match actor {
        Actor::User(id) => (Some(id.as_str()), None),
        Actor::System(label) => (None, Some(*label)),
    };
    sqlx::query(
        "INSERT INTO audit_log (at, actor_user_id, actor, action, target_kind, target_id, summary)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(rows::millis(now))
    .bind(user_id)
    .bind(label)
    .bind(audit.action)
    .bind(audit.target_kind)
    .bind(audit.target_id)
    .bind(audit.summary)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(FromRow)]
struct AuditRow {
    id: i64,
    at: i64,
    actor_user_id: Option<String>,
    actor: String,
    action: String,
    target_kind: String,
    target_id: String,
    summary: String,
}

impl Store {
    /// The audit log, newest first.
    pub async fn list_audit_log(&self, page: Page) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<AuditRow> = sqlx::query_as::<Any, AuditRow>(
            "SELECT a.id, a.at, a.actor_user_id, COALESCE(u.name, a.actor, '') AS actor, a.action,
                    a.target_kind, a.target_id, a.summary
             FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id
             ORDER BY a.id DESC LIMIT $1 OFFSET $2",
        )
        .bind(i64::from(page.limit))
        .bind(i64::from(page.offset))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(AuditEntry {
                    id: row.id,
                    at: rows::timestamp(row.at)?,
                    actor_user_id: row.actor_user_id.map(Into::into),
                    actor: row.actor,
                    action: row.action,
                    target_kind: row.target_kind,
                    target_id: row.target_id,
                    summary: row.summary,
                })
            })
            .collect()
    }
}
