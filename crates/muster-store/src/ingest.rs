//! Group commit for signals from monitors: the path every alert takes into the database.
//!
//! Requests hand their signals to one writer task and wait. The task takes everything queued,
//! applies it in arrival order through the core [`Intake`] inside one transaction (a handful of
//! multi-row statements, whatever the batch size), commits, and only then answers every waiting
//! request. Under load one commit (one fsync) covers many requests, which is what makes thousands
//! of durable alerts a second possible on one SQLite file; on PostgreSQL the same batching turns
//! per-alert round trips into a few statements.
//!
//! If a batch fails, each request in it is retried alone, so one bad request cannot fail others.
//! On PostgreSQL, where several instances write, the open alerts a batch touches are locked with
//! `FOR UPDATE`; a batch that loses a race (unique violation, deadlock) is retried whole.

use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};

use jiff::Timestamp;
use muster_core::{
    alert::{ActedBy, Alert, Arrival, Intake, Outcome, PriorityMap, STORM_DEDUP_KEY, ServiceRules, Signal},
    escalation::PagingRules,
    ids::{AlertId, ServiceId},
};
use sqlx::{AnyConnection, AnyPool, Connection, FromRow};
use tokio::{
    sync::{mpsc, oneshot},
    time::Instant,
};

use crate::{
    Backend, StoreError,
    alerts::{AlertRow, count_open, insert_log, select_alerts, upsert_alerts},
    new_id,
    pages::{PAGING_COLUMNS, PagingColumns, follow_alerts, start_pages},
    rows,
    sql::{Sql, rows_document},
};

/// One signal for one service, as a request hands it over.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub service_id: ServiceId,
    pub signal: Signal,
    /// The key (or person) it came through.
    pub by: ActedBy,
    /// How it arrived (`pagerduty`, `alertmanager`, `heartbeat`, …).
    pub origin: String,
    pub received_at: Timestamp,
}

/// The most signals one transaction takes; more wait for the next.
const MAX_BATCH: usize = 1024;
/// How long the writer keeps its connection while batches keep coming. Other writes (a person
/// acknowledging an alert) wait at most this long plus one batch; in exchange, consecutive batches
/// skip the pool's checks on every hand-back and take-out, which cost more than a small batch.
const TURN: Duration = Duration::from_millis(20);
/// How long the writer keeps its connection waiting for the next request once the queue is empty:
/// under load the answered senders come back within this, so the turn goes on.
const IDLE_GRACE: Duration = Duration::from_millis(1);
/// How often a batch that lost a race with another instance is tried again.
const RACE_RETRIES: usize = 3;

struct Job {
    deliveries: Vec<Delivery>,
    reply: oneshot::Sender<Result<Vec<Outcome>, StoreError>>,
}

/// The queue in front of the writer task. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct IngestQueue {
    jobs: mpsc::Sender<Job>,
}

impl IngestQueue {
    /// Starts the writer task on the current runtime.
    pub(crate) fn start(writer: AnyPool, backend: Backend) -> IngestQueue {
        let (jobs, queue) = mpsc::channel(4096);
        tokio::spawn(write_batches(writer, backend, queue));
        IngestQueue { jobs }
    }

    /// Queues deliveries and waits until they are committed.
    pub(crate) async fn submit(&self, deliveries: Vec<Delivery>) -> Result<Vec<Outcome>, StoreError> {
        if deliveries.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job { deliveries, reply }).await.map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

async fn write_batches(writer: AnyPool, backend: Backend, mut queue: mpsc::Receiver<Job>) {
    while let Some(first) = queue.recv().await {
        let mut conn = match writer.acquire().await {
            Ok(conn) => conn,
            Err(error) => {
                let _ = first.reply.send(Err(error.into()));
                continue;
            }
        };
        let turn_ends = Instant::now() + TURN;
        let mut next = Some(first);
        while let Some(first) = next.take() {
            let jobs = gather(first, &mut queue);
            if !write_jobs(&mut conn, backend, jobs).await || Instant::now() >= turn_ends {
                break;
            }
            next = match queue.try_recv() {
                Ok(job) => Some(job),
                Err(_) => tokio::time::timeout(IDLE_GRACE, queue.recv()).await.ok().flatten(),
            };
        }
    }
}

/// The first job and whatever else is queued, up to [`MAX_BATCH`] signals.
fn gather(first: Job, queue: &mut mpsc::Receiver<Job>) -> Vec<Job> {
    let mut size = first.deliveries.len();
    let mut jobs = vec![first];
    while size < MAX_BATCH {
        match queue.try_recv() {
            Ok(job) => {
                size += job.deliveries.len();
                jobs.push(job);
            }
            Err(_) => break,
        }
    }
    jobs
}

/// Writes one batch and answers its requests; false when it failed, so that the turn ends and a
/// broken connection goes back to the pool to be replaced.
async fn write_jobs(conn: &mut AnyConnection, backend: Backend, mut jobs: Vec<Job>) -> bool {
    match write_with_retries(conn, backend, &jobs).await {
        Ok(mut outcomes) => {
            for job in jobs.into_iter().rev() {
                let mine = outcomes.split_off(outcomes.len() - job.deliveries.len());
                let _ = job.reply.send(Ok(mine));
            }
            true
        }
        Err(error) if jobs.len() == 1 => {
            if let Some(job) = jobs.pop() {
                let _ = job.reply.send(Err(error));
            }
            false
        }
        Err(_) => {
            for job in jobs {
                let result = write_with_retries(conn, backend, std::slice::from_ref(&job)).await;
                let _ = job.reply.send(result);
            }
            false
        }
    }
}

async fn write_with_retries(
    conn: &mut AnyConnection,
    backend: Backend,
    jobs: &[Job],
) -> Result<Vec<Outcome>, StoreError> {
    let deliveries: Vec<&Delivery> = jobs.iter().flat_map(|j| &j.deliveries).collect();
    let mut attempt = 0;
    loop {
        match write_batch(conn, backend, &deliveries).await {
            Err(StoreError::Database(error)) if attempt < RACE_RETRIES && lost_race(&error) => attempt += 1,
            result => return result,
        }
    }
}

/// A unique violation (two instances opened the same key), a deadlock or a serialization failure.
fn lost_race(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            db.is_unique_violation() || matches!(db.code().as_deref(), Some("40P01" | "40001"))
        }
        _ => false,
    }
}

async fn write_batch(
    conn: &mut AnyConnection,
    backend: Backend,
    deliveries: &[&Delivery],
) -> Result<Vec<Outcome>, StoreError> {
    let now = deliveries.iter().map(|d| d.received_at).max().unwrap_or_default();
    let mut tx = conn.begin().await?;
    let services: Vec<&ServiceId> =
        deliveries.iter().map(|d| &d.service_id).collect::<HashSet<_>>().into_iter().collect();
    let (rules, paging) = service_rules(&mut tx, backend, &services, now).await?;
    let mut keys: HashSet<&str> = deliveries.iter().map(|d| d.signal.key()).collect();
    keys.insert(STORM_DEDUP_KEY);
    let open = open_alerts(&mut tx, backend, &keys).await?;
    let known: HashSet<AlertId> = open.iter().map(|a| a.id.clone()).collect();
    let mut intake = Intake::new(rules, open, || AlertId(new_id()));
    let outcomes: Vec<Outcome> = deliveries
        .iter()
        .map(|d| {
            intake.apply(Arrival {
                service: &d.service_id,
                signal: &d.signal,
                by: &d.by,
                origin: &d.origin,
                received_at: d.received_at,
            })
        })
        .collect();
    let changes = intake.finish();
    upsert_alerts(&mut tx, backend, &changes.alerts).await?;
    insert_log(&mut tx, backend, &changes.log).await?;
    for (service, delta) in &changes.open_delta {
        count_open(&mut tx, service, *delta).await?;
    }
    let (was_open, opened): (Vec<&Alert>, Vec<&Alert>) =
        changes.alerts.iter().partition(|a| known.contains(&a.id));
    start_pages(&mut tx, backend, &opened, &paging).await?;
    follow_alerts(&mut tx, backend, &was_open).await?;
    tx.commit().await?;
    Ok(outcomes)
}

#[derive(FromRow)]
struct RulesRow {
    id: String,
    priority_critical: String,
    priority_error: String,
    priority_warning: String,
    priority_info: String,
    open_alert_cap: Option<i64>,
    open_alerts: i64,
    in_maintenance: i64,
    #[sqlx(flatten)]
    paging: PagingColumns,
}

/// The intake rules of the batch's services, and the paging rules of those that page through a
/// policy, in one query.
async fn service_rules(
    conn: &mut AnyConnection,
    backend: Backend,
    services: &[&ServiceId],
    now: Timestamp,
) -> Result<(HashMap<ServiceId, ServiceRules>, HashMap<ServiceId, PagingRules>), StoreError> {
    let mut sql = Sql::new(
        backend,
        format!(
            "SELECT s.id, s.priority_critical, s.priority_error, s.priority_warning, s.priority_info, s.open_alert_cap,
                s.open_alerts, {PAGING_COLUMNS},
                CASE WHEN EXISTS (SELECT 1 FROM maintenance_windows m
                    WHERE m.service_id = s.id AND m.starts_at <= "
        ),
    );
    sql.bind(rows::millis(now)).push(" AND m.ends_at > ").bind(rows::millis(now));
    sql.push(
        ") THEN 1 ELSE 0 END AS in_maintenance
         FROM services s LEFT JOIN escalation_policies p ON p.id = s.escalation_policy_id AND p.deleted_at IS NULL
         WHERE s.id IN ",
    )
    .list(services.iter().map(|s| s.0.clone()));
    let found: Vec<RulesRow> = sql.query_as().fetch_all(&mut *conn).await?;
    let mut rules = HashMap::with_capacity(found.len());
    let mut paging = HashMap::new();
    for row in found {
        let priorities = PriorityMap {
            critical: rows::parsed("priority_critical", &row.priority_critical)?,
            error: rows::parsed("priority_error", &row.priority_error)?,
            warning: rows::parsed("priority_warning", &row.priority_warning)?,
            info: rows::parsed("priority_info", &row.priority_info)?,
        };
        let service = ServiceId(row.id);
        if let Some(frozen) = row.paging.paging()? {
            paging.insert(service.clone(), frozen);
        }
        rules.insert(
            service,
            ServiceRules {
                priorities,
                open_alert_cap: row.open_alert_cap.map(|c| u32::try_from(c).unwrap_or(u32::MAX)),
                in_maintenance: row.in_maintenance != 0,
                open_alerts: u32::try_from(row.open_alerts).unwrap_or(0),
            },
        );
    }
    Ok((rules, paging))
}

/// The open alerts with any of `keys`, locked on PostgreSQL so that instances take turns.
async fn open_alerts(
    conn: &mut AnyConnection,
    backend: Backend,
    keys: &HashSet<&str>,
) -> Result<Vec<Alert>, StoreError> {
    let mut sorted: Vec<&str> = keys.iter().copied().collect();
    sorted.sort_unstable();
    let mut sql = Sql::new(backend, select_alerts());
    sql.push(" WHERE resolved_at IS NULL AND dedup_key").in_json_strings(rows_document(&sorted));
    sql.push(" ORDER BY id");
    if backend == Backend::Postgres {
        sql.push(" FOR UPDATE");
    }
    // Planned afresh each time on PostgreSQL: a cached generic plan made while the table was
    // small (before autovacuum first analyses it) scans the whole table, and kept doing so as it
    // grew, from 0.1 ms to 50 ms a batch within a minute of a storm. SQLite's planner takes the
    // index whatever the size.
    let rows: Vec<AlertRow> =
        sql.query_as().persistent(backend == Backend::Sqlite).fetch_all(&mut *conn).await?;
    rows.into_iter().map(Alert::try_from).collect()
}
