//! Pages: started in the ingest transaction that opens their alert, kept in step with the alert
//! by every transaction that acknowledges or resolves it, and advanced by the escalation engine,
//! which writes a step's notifications to the outbox in the same transaction that moves the page
//! past the step. That transaction only commits if the page is still where the engine read it
//! (and, on PostgreSQL, the engine still holds its lease), so a step is never notified twice.

use std::collections::HashMap;

use jiff::Timestamp;
use muster_core::{
    alert::{Alert, AlertLogEntry, AlertStatus},
    escalation::{Page, PageStatus, PagingRules, ResponseTargets},
    ids::{AlertId, EscalationPolicyId, PageId, ServiceId},
    notify::Notification,
};
use sqlx::{AnyConnection, FromRow};

use crate::{
    Backend, Store, StoreError,
    alerts::insert_log,
    lease::{Fence, fence_holds},
    new_id,
    notifications::insert_notifications,
    rows,
    sql::{Sql, batch_row, rows_document},
};

#[derive(FromRow)]
pub(crate) struct PageRow {
    id: String,
    alert_id: String,
    service_id: String,
    policy_id: String,
    policy_version: i64,
    rules: String,
    priority: String,
    status: String,
    started_at: i64,
    escalation_started_at: i64,
    acknowledgement_timeout_minutes: Option<i64>,
    respond_by: Option<i64>,
    steps_notified: i64,
    next_due_at: Option<i64>,
    acknowledged_at: Option<i64>,
    resolved_at: Option<i64>,
}

impl TryFrom<PageRow> for Page {
    type Error = StoreError;

    fn try_from(row: PageRow) -> Result<Self, StoreError> {
        Ok(Page {
            id: PageId(row.id),
            alert_id: AlertId(row.alert_id),
            service_id: ServiceId(row.service_id),
            policy_id: EscalationPolicyId(row.policy_id),
            policy_version: u32::try_from(row.policy_version).unwrap_or(u32::MAX),
            rules: serde_json::from_str(&row.rules)
                .map_err(|e| StoreError::Corrupt(format!("rules: {e}")))?,
            priority: rows::parsed("priority", &row.priority)?,
            status: rows::parsed("status", &row.status)?,
            started_at: rows::timestamp(row.started_at)?,
            escalation_started_at: rows::timestamp(row.escalation_started_at)?,
            acknowledgement_timeout_minutes: row
                .acknowledgement_timeout_minutes
                .map(|m| u32::try_from(m).unwrap_or(u32::MAX)),
            respond_by: rows::optional_timestamp(row.respond_by)?,
            steps_notified: u32::try_from(row.steps_notified).unwrap_or(u32::MAX),
            next_due_at: rows::optional_timestamp(row.next_due_at)?,
            acknowledged_at: rows::optional_timestamp(row.acknowledged_at)?,
            resolved_at: rows::optional_timestamp(row.resolved_at)?,
        })
    }
}

batch_row! {
    /// A page as one row of a batch document.
    struct PageRecord<'a> {
        id: Text &'a str,
        alert_id: Text &'a str,
        service_id: Text &'a str,
        policy_id: Text &'a str,
        policy_version: Integer i64,
        rules: Text String,
        priority: Text &'static str,
        status: Text &'static str,
        started_at: Integer i64,
        escalation_started_at: Integer i64,
        acknowledgement_timeout_minutes: Integer Option<i64>,
        respond_by: Integer Option<i64>,
        steps_notified: Integer i64,
        next_due_at: Integer Option<i64>,
        acknowledged_at: Integer Option<i64>,
        resolved_at: Integer Option<i64>,
    }
}

impl<'a> From<&'a Page> for PageRecord<'a> {
    fn from(page: &'a Page) -> Self {
        PageRecord {
            id: page.id.as_str(),
            alert_id: page.alert_id.as_str(),
            service_id: page.service_id.as_str(),
            policy_id: page.policy_id.as_str(),
            policy_version: i64::from(page.policy_version),
            // Plain data of strings and numbers always serializes.
            rules: serde_json::to_string(&page.rules).unwrap_or_default(),
            priority: page.priority.as_str(),
            status: page.status.as_str(),
            started_at: rows::millis(page.started_at),
            escalation_started_at: rows::millis(page.escalation_started_at),
            acknowledgement_timeout_minutes: page.acknowledgement_timeout_minutes.map(i64::from),
            respond_by: page.respond_by.map(rows::millis),
            steps_notified: i64::from(page.steps_notified),
            next_due_at: page.next_due_at.map(rows::millis),
            acknowledged_at: page.acknowledged_at.map(rows::millis),
            resolved_at: page.resolved_at.map(rows::millis),
        }
    }
}

fn select_pages() -> String {
    format!("SELECT {} FROM pages", page_columns())
}

/// The columns [`PageRow`] reads.
pub(crate) fn page_columns() -> String {
    let names: Vec<&str> = PageRecord::COLUMNS.iter().map(|c| c.name()).collect();
    names.join(", ")
}

/// Writes pages in their final state, new or known, in one statement.
async fn upsert_pages(conn: &mut AnyConnection, backend: Backend, pages: &[Page]) -> Result<(), StoreError> {
    if pages.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(backend, String::new());
    write_pages(&mut sql, pages);
    sql.query().execute(&mut *conn).await?;
    Ok(())
}

/// Appends the statement of [`upsert_pages`].
pub(crate) fn write_pages(sql: &mut Sql, pages: &[Page]) {
    let records: Vec<PageRecord> = pages.iter().map(PageRecord::from).collect();
    let names: Vec<&str> = PageRecord::COLUMNS.iter().map(|c| c.name()).collect();
    sql.push(&format!("INSERT INTO pages ({}) ", names.join(", ")));
    sql.rows_from_json(PageRecord::COLUMNS, rows_document(&records)).push(" WHERE true");
    let updates: Vec<String> = ["status", "steps_notified", "next_due_at", "acknowledged_at", "resolved_at"]
        .iter()
        .map(|column| format!("{column} = excluded.{column}"))
        .collect();
    sql.push(" ON CONFLICT (id) DO UPDATE SET ").push(&updates.join(", "));
}

/// A service's paging columns as the ingest batch reads them with its other rules (the policy is
/// joined with LEFT JOIN, so every column but the targets may be NULL).
#[derive(Debug, FromRow)]
pub(crate) struct PagingColumns {
    policy_id: Option<String>,
    policy_version: Option<i64>,
    policy_rules: Option<String>,
    business_critical_minutes: i64,
    urgent_minutes: i64,
    acknowledgement_timeout_minutes: Option<i64>,
}

/// The columns [`PagingColumns`] reads, for the services table `s` joined with its live policy `p`.
pub(crate) const PAGING_COLUMNS: &str =
    "p.id AS policy_id, p.version AS policy_version, p.rules AS policy_rules,
    s.business_critical_minutes, s.urgent_minutes, s.acknowledgement_timeout_minutes";

impl PagingColumns {
    /// The rules a new page of the service freezes; none when it pages through no policy.
    pub(crate) fn paging(self) -> Result<Option<PagingRules>, StoreError> {
        let (Some(policy_id), Some(version), Some(rules)) =
            (self.policy_id, self.policy_version, self.policy_rules)
        else {
            return Ok(None);
        };
        let minutes = |value: i64| u32::try_from(value).unwrap_or(u32::MAX);
        Ok(Some(PagingRules {
            policy_id: EscalationPolicyId(policy_id),
            policy_version: minutes(version),
            rules: serde_json::from_str(&rules).map_err(|e| StoreError::Corrupt(format!("rules: {e}")))?,
            targets: ResponseTargets {
                business_critical_minutes: minutes(self.business_critical_minutes),
                urgent_minutes: minutes(self.urgent_minutes),
                acknowledgement_timeout_minutes: self.acknowledgement_timeout_minutes.map(minutes),
            },
        }))
    }
}

/// The pages that alerts opened in this transaction start, for the services that page through a
/// policy.
pub(crate) fn started_pages(opened: &[&Alert], paging: &HashMap<ServiceId, PagingRules>) -> Vec<Page> {
    opened
        .iter()
        .filter_map(|alert| Page::start(PageId(new_id()), alert, paging.get(&alert.service_id)?))
        .collect()
}

/// Brings the pages of alerts that were acknowledged or resolved in this transaction in step with
/// them: their escalation stops and their response is recorded.
pub(crate) async fn follow_alerts(
    conn: &mut AnyConnection,
    backend: Backend,
    alerts: &[&Alert],
) -> Result<(), StoreError> {
    let followed = followed_pages(conn, backend, alerts).await?;
    upsert_pages(conn, backend, &followed).await
}

/// The pages of `alerts` that [`follow_alerts`] changes, without writing them.
pub(crate) async fn followed_pages(
    conn: &mut AnyConnection,
    backend: Backend,
    alerts: &[&Alert],
) -> Result<Vec<Page>, StoreError> {
    let answered: Vec<&Alert> =
        alerts.iter().copied().filter(|a| a.status != AlertStatus::Triggered).collect();
    if answered.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&str> = answered.iter().map(|a| a.id.as_str()).collect();
    let mut sql = Sql::new(backend, select_pages());
    sql.push(" WHERE status <> 'resolved' AND alert_id").in_json_strings(rows_document(&ids));
    let found: Vec<PageRow> = sql.query_as().fetch_all(&mut *conn).await?;
    let pages = found.into_iter().map(Page::try_from).collect::<Result<_, _>>()?;
    Ok(followed(pages, &answered))
}

/// The `pages` that change when they follow their alerts among `alerts`.
pub(crate) fn followed(pages: Vec<Page>, alerts: &[&Alert]) -> Vec<Page> {
    let by_alert: HashMap<&str, &Alert> = alerts.iter().map(|a| (a.id.as_str(), *a)).collect();
    let mut changed = Vec::new();
    for mut page in pages {
        let Some(alert) = by_alert.get(page.alert_id.as_str()) else { continue };
        let before = page.clone();
        if let Some(at) = alert.acknowledged_at {
            page.acknowledge(at);
        }
        if let Some(at) = alert.resolved_at {
            page.resolve(at);
        }
        if page != before {
            changed.push(page);
        }
    }
    changed
}

/// What one engine pass decided for one page: the page moved past its due steps, the
/// notifications those steps send, and what goes into the alert's log.
#[derive(Debug)]
pub struct Escalated {
    pub page: Page,
    /// Where the page was when the engine read it: its status and how many step notifications it
    /// had sent.
    pub status_before: PageStatus,
    pub steps_before: u32,
    /// The alert, triggered again because its acknowledgement timed out.
    pub unacknowledged: Option<Alert>,
    pub notifications: Vec<Notification>,
    pub log: Vec<AlertLogEntry>,
}

impl Store {
    /// The page of an alert, if it paged.
    pub async fn page_of_alert(&self, alert: &AlertId) -> Result<Option<Page>, StoreError> {
        let row: Option<PageRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{} WHERE alert_id = $1", select_pages())))
                .bind(alert.as_str())
                .fetch_optional(&self.reader)
                .await?;
        row.map(Page::try_from).transpose()
    }

    /// Pages with a step due at `now`, the most overdue first, at most `limit`.
    pub async fn due_pages(&self, now: Timestamp, limit: u32) -> Result<Vec<Page>, StoreError> {
        let rows: Vec<PageRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{} WHERE next_due_at IS NOT NULL AND next_due_at <= $1 ORDER BY next_due_at, id LIMIT $2",
            select_pages()
        )))
        .bind(rows::millis(now))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(Page::try_from).collect()
    }

    /// When the engine next has a step to notify.
    pub async fn next_page_deadline(&self) -> Result<Option<Timestamp>, StoreError> {
        let next: Option<i64> =
            sqlx::query_scalar("SELECT MIN(next_due_at) FROM pages WHERE next_due_at IS NOT NULL")
                .fetch_one(&self.reader)
                .await?;
        rows::optional_timestamp(next)
    }

    /// Records what a pass decided for a batch of pages, in one transaction: each page's new
    /// place, its notifications in the outbox and its log. A page that has moved since the engine
    /// read it (acknowledged, resolved, or advanced by another engine) is skipped with everything
    /// it would have sent; when the engine's lease is gone nothing is written. Answers, per page,
    /// whether it was recorded.
    pub async fn record_escalations(
        &self,
        batch: &[Escalated],
        fence: Option<&Fence>,
    ) -> Result<Vec<bool>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.writer.begin().await?;
        if let Some(fence) = fence
            && !fence_holds(&mut tx, self.backend, fence).await?
        {
            return Ok(vec![false; batch.len()]);
        }
        // Pages whose acknowledgement timed out move one by one, after their alert; the rest in one
        // statement.
        let (reopening, plain): (Vec<&Escalated>, Vec<&Escalated>) =
            batch.iter().partition(|e| e.unacknowledged.is_some());
        let mut moved = move_pages(&mut tx, self.backend, &plain).await?;
        for escalated in reopening {
            if move_page(&mut tx, escalated).await? {
                moved.insert(escalated.page.id.to_string());
            }
        }
        let mut recorded = Vec::with_capacity(batch.len());
        let mut notifications = Vec::new();
        let mut log = Vec::new();
        for escalated in batch {
            let kept = moved.contains(escalated.page.id.as_str());
            if kept {
                notifications.extend(escalated.notifications.iter().cloned());
                log.extend(
                    escalated.log.iter().map(|entry| (escalated.page.alert_id.clone(), entry.clone())),
                );
            }
            recorded.push(kept);
        }
        insert_notifications(&mut tx, self.backend, &notifications).await?;
        insert_log(&mut tx, self.backend, &log).await?;
        tx.commit().await?;
        Ok(recorded)
    }
}

batch_row! {
    /// A page's move, as one row of a batch document: where to, and where it must still be.
    struct PageMove<'a> {
        id: Text &'a str,
        status: Text &'static str,
        steps_notified: Integer i64,
        next_due_at: Integer Option<i64>,
        escalation_started_at: Integer i64,
        status_before: Text &'static str,
        steps_before: Integer i64,
    }
}

/// Moves pages past their steps in one statement, each only if it is still where the engine read
/// it; returns the ids of those moved.
async fn move_pages(
    conn: &mut AnyConnection,
    backend: Backend,
    batch: &[&Escalated],
) -> Result<std::collections::HashSet<String>, StoreError> {
    if batch.is_empty() {
        return Ok(Default::default());
    }
    let moves: Vec<PageMove> = batch
        .iter()
        .map(|e| PageMove {
            id: e.page.id.as_str(),
            status: e.page.status.as_str(),
            steps_notified: i64::from(e.page.steps_notified),
            next_due_at: e.page.next_due_at.map(rows::millis),
            escalation_started_at: rows::millis(e.page.escalation_started_at),
            status_before: e.status_before.as_str(),
            steps_before: i64::from(e.steps_before),
        })
        .collect();
    let mut sql = Sql::new(
        backend,
        "UPDATE pages SET status = b.status, steps_notified = b.steps_notified, next_due_at = b.next_due_at,
            escalation_started_at = b.escalation_started_at FROM (",
    );
    sql.rows_from_json(PageMove::COLUMNS, rows_document(&moves));
    sql.push(
        ") AS b WHERE pages.id = b.id AND pages.status = b.status_before AND pages.steps_notified = b.steps_before",
    );
    // SQLite's RETURNING sees only the updated table; PostgreSQL's sees the batch too.
    sql.push(if backend == Backend::Postgres { " RETURNING pages.id" } else { " RETURNING id" });
    let moved: Vec<(String,)> = sql.query_as().fetch_all(&mut *conn).await?;
    Ok(moved.into_iter().map(|(id,)| id).collect())
}

/// Moves one page past its steps if it is still where the engine read it. When its
/// acknowledgement timed out, its alert is triggered again first, and only if it is still
/// acknowledged: an alert resolved meanwhile resolved its page in the same transaction, so the
/// page stays as it is. (Another engine escalating the same page again would have triggered the
/// alert first, so the page's own condition then refuses the move as well.)
async fn move_page(conn: &mut AnyConnection, escalated: &Escalated) -> Result<bool, StoreError> {
    if let Some(alert) = &escalated.unacknowledged {
        let reopened = sqlx::query(
            "UPDATE alerts SET status = 'triggered', acknowledged_at = NULL, acknowledged_by_user_id = NULL,
                acknowledged_by = NULL, updated_at = $2
             WHERE id = $1 AND status = 'acknowledged'",
        )
        .bind(alert.id.as_str())
        .bind(rows::millis(alert.updated_at))
        .execute(&mut *conn)
        .await?;
        if reopened.rows_affected() == 0 {
            return Ok(false);
        }
    }
    let page = &escalated.page;
    let moved = sqlx::query(
        "UPDATE pages SET status = $2, steps_notified = $3, next_due_at = $4, escalation_started_at = $5
         WHERE id = $1 AND status = $6 AND steps_notified = $7",
    )
    .bind(page.id.as_str())
    .bind(page.status.as_str())
    .bind(i64::from(page.steps_notified))
    .bind(page.next_due_at.map(rows::millis))
    .bind(rows::millis(page.escalation_started_at))
    .bind(escalated.status_before.as_str())
    .bind(i64::from(escalated.steps_before))
    .execute(&mut *conn)
    .await?;
    Ok(moved.rows_affected() > 0)
}
