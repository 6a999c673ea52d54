//! Alerts and their logs: reading them, and the changes people make (acknowledge, resolve, note).
//! Signals from monitors arrive through [`crate::ingest`], which shares the row mapping here.

use jiff::Timestamp;
use muster_core::{
    alert::{
        ActedBy, Alert, AlertLogEntry, AlertStatus, LogKind, Transition,
        query::{AlertFilter, Cursor},
    },
    ids::{AlertId, ServiceId, UserId},
};
use serde_json::Value;
use sqlx::{Any, AnyConnection, FromRow};

use crate::{
    Backend, Store, StoreError,
    pages::follow_alerts,
    rows,
    sql::{Sql, batch_row, rows_document},
};

#[derive(FromRow)]
pub(crate) struct AlertRow {
    id: String,
    service_id: String,
    dedup_key: String,
    status: String,
    severity: String,
    priority: String,
    summary: String,
    source: String,
    component: Option<String>,
    alert_group: Option<String>,
    class: Option<String>,
    details: String,
    links: String,
    images: String,
    client: Option<String>,
    client_url: Option<String>,
    origin: String,
    suppressed: i64,
    grouped: i64,
    first_seen_at: i64,
    last_seen_at: i64,
    occurrences: i64,
    acknowledged_at: Option<i64>,
    acknowledged_by_user_id: Option<String>,
    acknowledged_by: Option<String>,
    resolved_at: Option<i64>,
    resolved_by_user_id: Option<String>,
    resolved_by: Option<String>,
    updated_at: i64,
}

fn acted_by(user_id: Option<String>, name: Option<String>) -> Option<ActedBy> {
    name.map(|name| ActedBy { user_id: user_id.map(UserId), name })
}

fn count(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

impl TryFrom<AlertRow> for Alert {
    type Error = StoreError;

    fn try_from(row: AlertRow) -> Result<Self, StoreError> {
        Ok(Alert {
            id: AlertId(row.id),
            service_id: ServiceId(row.service_id),
            dedup_key: row.dedup_key,
            status: rows::parsed("status", &row.status)?,
            severity: rows::parsed("severity", &row.severity)?,
            priority: rows::parsed("priority", &row.priority)?,
            summary: row.summary,
            source: row.source,
            component: row.component,
            group: row.alert_group,
            class: row.class,
            details: rows::json("details", &row.details)?,
            links: rows::json("links", &row.links)?,
            images: rows::json("images", &row.images)?,
            client: row.client,
            client_url: row.client_url,
            origin: row.origin,
            suppressed: row.suppressed != 0,
            grouped: count(row.grouped),
            first_seen_at: rows::timestamp(row.first_seen_at)?,
            last_seen_at: rows::timestamp(row.last_seen_at)?,
            occurrences: count(row.occurrences),
            acknowledged_at: rows::optional_timestamp(row.acknowledged_at)?,
            acknowledged_by: acted_by(row.acknowledged_by_user_id, row.acknowledged_by),
            resolved_at: rows::optional_timestamp(row.resolved_at)?,
            resolved_by: acted_by(row.resolved_by_user_id, row.resolved_by),
            updated_at: rows::timestamp(row.updated_at)?,
        })
    }
}

pub(crate) fn select_alerts() -> String {
    format!("SELECT {} FROM alerts", alert_columns())
}

/// The columns [`AlertRow`] reads, in the table's order.
pub(crate) fn alert_columns() -> String {
    let names: Vec<&str> = AlertRecord::COLUMNS.iter().map(|c| c.name()).collect();
    names.join(", ")
}

batch_row! {
    /// An alert as one row of a batch document: [`AlertRow`]'s columns, written by [`upsert_alerts`].
    struct AlertRecord<'a> {
        id: Text &'a str,
        service_id: Text &'a str,
        dedup_key: Text &'a str,
        status: Text &'static str,
        severity: Text &'static str,
        priority: Text &'static str,
        summary: Text &'a str,
        source: Text &'a str,
        component: Text Option<&'a str>,
        alert_group: Text Option<&'a str>,
        class: Text Option<&'a str>,
        details: Text String,
        links: Text String,
        images: Text String,
        client: Text Option<&'a str>,
        client_url: Text Option<&'a str>,
        origin: Text &'a str,
        suppressed: Integer i64,
        grouped: Integer i64,
        first_seen_at: Integer i64,
        last_seen_at: Integer i64,
        occurrences: Integer i64,
        acknowledged_at: Integer Option<i64>,
        acknowledged_by_user_id: Text Option<&'a str>,
        acknowledged_by: Text Option<&'a str>,
        resolved_at: Integer Option<i64>,
        resolved_by_user_id: Text Option<&'a str>,
        resolved_by: Text Option<&'a str>,
        updated_at: Integer i64,
    }
}

impl<'a> From<&'a Alert> for AlertRecord<'a> {
    fn from(alert: &'a Alert) -> Self {
        let user = |by: &'a Option<ActedBy>| by.as_ref().and_then(|b| b.user_id.as_ref()).map(UserId::as_str);
        let name = |by: &'a Option<ActedBy>| by.as_ref().map(|b| b.name.as_str());
        AlertRecord {
            id: alert.id.as_str(),
            service_id: alert.service_id.as_str(),
            dedup_key: &alert.dedup_key,
            status: alert.status.as_str(),
            severity: alert.severity.as_str(),
            priority: alert.priority.as_str(),
            summary: &alert.summary,
            source: &alert.source,
            component: alert.component.as_deref(),
            alert_group: alert.group.as_deref(),
            class: alert.class.as_deref(),
            details: alert.details.to_string(),
            links: serde_json::to_string(&alert.links).unwrap_or_else(|_| "[]".into()),
            images: serde_json::to_string(&alert.images).unwrap_or_else(|_| "[]".into()),
            client: alert.client.as_deref(),
            client_url: alert.client_url.as_deref(),
            origin: &alert.origin,
            suppressed: i64::from(alert.suppressed),
            grouped: i64::from(alert.grouped),
            first_seen_at: rows::millis(alert.first_seen_at),
            last_seen_at: rows::millis(alert.last_seen_at),
            occurrences: i64::from(alert.occurrences),
            acknowledged_at: alert.acknowledged_at.map(rows::millis),
            acknowledged_by_user_id: user(&alert.acknowledged_by),
            acknowledged_by: name(&alert.acknowledged_by),
            resolved_at: alert.resolved_at.map(rows::millis),
            resolved_by_user_id: user(&alert.resolved_by),
            resolved_by: name(&alert.resolved_by),
            updated_at: rows::millis(alert.updated_at),
        }
    }
}

/// Writes alerts in their final state: new ones are inserted, known ones overwritten, all in one
/// statement.
pub(crate) async fn upsert_alerts(
    conn: &mut AnyConnection,
    backend: Backend,
    alerts: &[Alert],
) -> Result<(), StoreError> {
    if alerts.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(backend, String::new());
    write_alerts(&mut sql, alerts);
    sql.query().execute(&mut *conn).await?;
    Ok(())
}

/// Appends the statement of [`upsert_alerts`].
pub(crate) fn write_alerts(sql: &mut Sql, alerts: &[Alert]) {
    let records: Vec<AlertRecord> = alerts.iter().map(AlertRecord::from).collect();
    let names: Vec<&str> = AlertRecord::COLUMNS.iter().map(|c| c.name()).collect();
    sql.push(&format!("INSERT INTO alerts ({}) ", names.join(", ")));
    // `WHERE true` tells SQLite's parser that the ON below starts the upsert, not a join.
    sql.rows_from_json(AlertRecord::COLUMNS, rows_document(&records)).push(" WHERE true");
    let updates: Vec<String> =
        names[3..].iter().map(|column| format!("{column} = excluded.{column}")).collect();
    sql.push(" ON CONFLICT (id) DO UPDATE SET ").push(&updates.join(", "));
}

batch_row! {
    /// A log entry as one row of a batch document, written by [`write_log`].
    struct LogRecord<'a> {
        alert_id: Text &'a str,
        at: Integer i64,
        kind: Text &'static str,
        by_user_id: Text Option<&'a str>,
        by_name: Text &'a str,
        message: Text &'a str,
        details: Text String,
    }
}

/// Appends log entries, in order, in one statement.
pub(crate) async fn insert_log(
    conn: &mut AnyConnection,
    backend: Backend,
    entries: &[(AlertId, AlertLogEntry)],
) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(backend, String::new());
    write_log(&mut sql, entries);
    sql.query().execute(&mut *conn).await?;
    Ok(())
}

/// Appends the statement of [`insert_log`].
pub(crate) fn write_log(sql: &mut Sql, entries: &[(AlertId, AlertLogEntry)]) {
    let records: Vec<LogRecord> = entries
        .iter()
        .map(|(alert, entry)| LogRecord {
            alert_id: alert.as_str(),
            at: rows::millis(entry.at),
            kind: entry.kind.as_str(),
            by_user_id: entry.by.user_id.as_ref().map(UserId::as_str),
            by_name: &entry.by.name,
            message: &entry.message,
            details: entry.details.to_string(),
        })
        .collect();
    let names: Vec<&str> = LogRecord::COLUMNS.iter().map(|c| c.name()).collect();
    sql.push(&format!("INSERT INTO alert_log ({}) ", names.join(", ")));
    // Ids are given in the document's order, which keeps the log in arrival order.
    sql.rows_from_json(LogRecord::COLUMNS, rows_document(&records)).push(" ORDER BY key");
}

batch_row! {
    /// How far one service's open-alert counter moves, as one row of a batch document.
    struct OpenCount<'a> {
        service_id: Text &'a str,
        delta: Integer i64,
    }
}

/// Moves services' open-alert counters.
pub(crate) async fn count_open(
    conn: &mut AnyConnection,
    backend: Backend,
    deltas: &[(&ServiceId, i64)],
) -> Result<(), StoreError> {
    let mut sql = Sql::new(backend, String::new());
    write_open_counts(&mut sql, deltas);
    sql.query().execute(&mut *conn).await?;
    Ok(())
}

/// Appends the statement of [`count_open`].
pub(crate) fn write_open_counts(sql: &mut Sql, deltas: &[(&ServiceId, i64)]) {
    let records: Vec<OpenCount> = deltas
        .iter()
        .filter(|(_, delta)| *delta != 0)
        .map(|(service, delta)| OpenCount { service_id: service.as_str(), delta: *delta })
        .collect();
    sql.push("UPDATE services SET open_alerts = services.open_alerts + moved.delta FROM (");
    sql.rows_from_json(OpenCount::COLUMNS, rows_document(&records));
    sql.push(") AS moved WHERE services.id = moved.service_id");
}

#[derive(FromRow)]
struct LogRow {
    at: i64,
    kind: String,
    by_user_id: Option<String>,
    by_name: String,
    message: String,
    details: String,
}

impl TryFrom<LogRow> for AlertLogEntry {
    type Error = StoreError;

    fn try_from(row: LogRow) -> Result<Self, StoreError> {
        Ok(AlertLogEntry {
            at: rows::timestamp(row.at)?,
            kind: rows::parsed("kind", &row.kind)?,
            by: ActedBy { user_id: row.by_user_id.map(UserId), name: row.by_name },
            message: row.message,
            details: rows::json("details", &row.details)?,
        })
    }
}

/// Reads one alert; `for_update` locks its row on PostgreSQL until the transaction ends (SQLite's
/// single writer needs no row locks).
pub(crate) async fn fetch_alert(
    conn: &mut AnyConnection,
    id: &AlertId,
    for_update: bool,
) -> Result<Alert, StoreError> {
    let lock = if for_update { " FOR UPDATE" } else { "" };
    let row: Option<AlertRow> = sqlx::query_as::<Any, AlertRow>(sqlx::AssertSqlSafe(format!(
        "{} WHERE id = $1{lock}",
        select_alerts()
    )))
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?;
    row.ok_or(StoreError::NotFound("alert"))?.try_into()
}

/// What a person did to an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertAction {
    Acknowledge,
    Resolve,
}

impl Store {
    /// The alerts among `ids` that exist, in no particular order.
    pub async fn alerts_by_ids(&self, ids: &[AlertId]) -> Result<Vec<Alert>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = ids.iter().map(AlertId::as_str).collect();
        let mut sql = Sql::new(self.backend, select_alerts());
        sql.push(" WHERE id").in_json_strings(rows_document(&ids));
        let rows: Vec<AlertRow> = sql.query_as().fetch_all(&self.reader).await?;
        rows.into_iter().map(Alert::try_from).collect()
    }

    pub async fn get_alert(&self, id: &AlertId) -> Result<Alert, StoreError> {
        let mut conn = self.reader.acquire().await?;
        fetch_alert(&mut conn, id, false).await
    }

    /// An alert's log, oldest first.
    pub async fn alert_log(&self, id: &AlertId) -> Result<Vec<AlertLogEntry>, StoreError> {
        let rows: Vec<LogRow> = sqlx::query_as::<Any, LogRow>(
            "SELECT at, kind, by_user_id, by_name, message, details FROM alert_log WHERE alert_id = $1 ORDER BY id",
        )
        .bind(id.as_str())
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(AlertLogEntry::try_from).collect()
    }

    /// Alerts matching `filter`, newest first, `limit` at most, after `cursor`.
    pub async fn list_alerts(
        &self,
        filter: &AlertFilter,
        cursor: Option<&Cursor>,
        limit: u32,
    ) -> Result<Vec<Alert>, StoreError> {
        let mut sql = Sql::new(self.backend, select_alerts());
        sql.push(" WHERE 1 = 1");
        if let Some(service) = &filter.service {
            sql.push(" AND service_id = ").bind(service.0.clone());
        }
        if !filter.statuses.is_empty() {
            sql.push(" AND status IN ").list(filter.statuses.iter().map(|s| s.as_str().to_owned()));
        }
        if let Some(since) = filter.since {
            sql.push(" AND first_seen_at >= ").bind(rows::millis(since));
        }
        if let Some(until) = filter.until {
            sql.push(" AND first_seen_at < ").bind(rows::millis(until));
        }
        if let Some(text) = &filter.text {
            let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
            sql.push(" AND (lower(summary) LIKE ").bind(pattern.clone());
            sql.push(" ESCAPE '\\' OR lower(source) LIKE ").bind(pattern.clone());
            sql.push(" ESCAPE '\\' OR lower(dedup_key) LIKE ").bind(pattern);
            sql.push(" ESCAPE '\\')");
        }
        if let Some(cursor) = cursor {
            let at = rows::millis(cursor.first_seen_at);
            sql.push(" AND (first_seen_at < ").bind(at);
            sql.push(" OR (first_seen_at = ").bind(at);
            sql.push(" AND id < ").bind(cursor.id.0.clone()).push("))");
        }
        sql.push(" ORDER BY first_seen_at DESC, id DESC LIMIT ").bind(i64::from(limit));
        let rows: Vec<AlertRow> = sql.query_as().fetch_all(&self.reader).await?;
        rows.into_iter().map(Alert::try_from).collect()
    }

    /// A person acknowledges or resolves an alert. Acknowledging an acknowledged alert changes
    /// nothing; acting on a resolved one is a conflict.
    pub async fn act_on_alert(
        &self,
        id: &AlertId,
        action: AlertAction,
        by: &ActedBy,
        now: Timestamp,
    ) -> Result<Alert, StoreError> {
        let mut tx = self.writer.begin().await?;
        let alert = apply_action(&mut tx, self.backend, id, action, by, now).await?;
        tx.commit().await?;
        Ok(alert)
    }

    /// Adds a person's note to an alert's log.
    pub async fn add_alert_note(
        &self,
        id: &AlertId,
        by: &ActedBy,
        note: &str,
        now: Timestamp,
    ) -> Result<AlertLogEntry, StoreError> {
        let mut tx = self.writer.begin().await?;
        fetch_alert(&mut tx, id, self.backend == Backend::Postgres).await?;
        let entry = AlertLogEntry {
            at: now,
            kind: LogKind::Note,
            by: by.clone(),
            message: note.to_owned(),
            details: Value::Null,
        };
        insert_log(&mut tx, self.backend, &[(id.clone(), entry.clone())]).await?;
        sqlx::query("UPDATE alerts SET updated_at = $2 WHERE id = $1")
            .bind(id.as_str())
            .bind(rows::millis(now))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(entry)
    }
}

/// Makes `%` and `_` in user text match themselves in a LIKE pattern.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// Acknowledges or resolves an alert inside the caller's transaction, with its log, its service's
/// open-alert counter and its page.
pub(crate) async fn apply_action(
    conn: &mut AnyConnection,
    backend: Backend,
    id: &AlertId,
    action: AlertAction,
    by: &ActedBy,
    now: Timestamp,
) -> Result<Alert, StoreError> {
    let mut alert = fetch_alert(&mut *conn, id, backend == Backend::Postgres).await?;
    let transition = match action {
        AlertAction::Acknowledge => alert.acknowledge(by, Value::Null, now),
        AlertAction::Resolve => alert.resolve(by, Value::Null, now),
    }
    .map_err(|_| StoreError::conflict("status", "the alert is already resolved"))?;
    if let Transition::Changed(entry) = transition {
        upsert_alerts(&mut *conn, backend, std::slice::from_ref(&alert)).await?;
        insert_log(&mut *conn, backend, &[(alert.id.clone(), entry)]).await?;
        if alert.status == AlertStatus::Resolved {
            count_open(&mut *conn, backend, &[(&alert.service_id, -1)]).await?;
        }
        follow_alerts(&mut *conn, backend, &[&alert]).await?;
    }
    Ok(alert)
}
