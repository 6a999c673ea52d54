//! Group commit for signals from monitors: the path every alert takes into the database.
//!
//! Requests hand their signals to one writer task and wait. The task takes everything queued,
//! applies it in arrival order through the core [`Intake`] inside one transaction (a handful of
//! multi-row statements, whatever the batch size), commits, and only then answers every waiting
//! request. Under load one commit (one fsync) covers many requests, which is what makes thousands
//! of durable alerts a second possible on one SQLite file; on PostgreSQL the same batching turns
//! per-alert round trips into a few statements. A batch's writes travel together ([`Writes`]); on
//! SQLite its reads do too, with the transaction's `BEGIN` and `COMMIT`, so that a batch is two
//! round trips to the driver's worker thread.
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
    alert::{
        ActedBy, Alert, Arrival, Changes, Intake, Outcome, PriorityMap, STORM_DEDUP_KEY, ServiceRules, Signal,
    },
    escalation::{Page, PagingRules},
    ids::{AlertId, ServiceId},
};
use sqlx::{AnyConnection, AnyPool, Connection, FromRow, Row, any::AnyRow};
use tokio::{
    sync::{mpsc, oneshot},
    time::Instant,
};

use crate::{
    Backend, StoreError,
    alerts::{AlertRow, alert_columns, write_alerts, write_log, write_open_counts},
    new_id,
    pages::{
        PAGING_COLUMNS, PageRow, PagingColumns, followed, followed_pages, page_columns, started_pages,
        write_pages,
    },
    rows,
    sql::{Sql, Writes, rows_document},
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

/// The queue in front of the writer task. Cheap to clone; the task ends when the last clone is
/// dropped.
#[derive(Debug, Clone)]
pub(crate) struct IngestQueue {
    jobs: mpsc::Sender<Job>,
}

impl IngestQueue {
    /// Starts the writer task: on SQLite on a thread of its own, on PostgreSQL on the current
    /// runtime.
    ///
    /// The SQLite writer is the one serial step of every alert's way in, and it mostly waits: for
    /// the driver's worker thread to answer each round trip, then for a runtime worker to run it.
    /// On the server's runtime that second wait grew with the HTTP load, because a wake-up from
    /// another thread queues behind the tasks a worker already has; on its own thread the task
    /// runs as soon as the answer comes (about a tenth more alerts a second in BENCHMARKS.md). A
    /// PostgreSQL connection's socket belongs to the runtime that opened it and is shared with
    /// the request handlers, so that writer stays where they are.
    pub(crate) fn start(writer: AnyPool, backend: Backend) -> Result<IngestQueue, StoreError> {
        let (jobs, queue) = mpsc::channel(4096);
        match backend {
            Backend::Sqlite => {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(sqlx::Error::Io)?;
                std::thread::Builder::new()
                    .name("muster-ingest".to_owned())
                    .spawn(move || runtime.block_on(write_batches(writer, backend, queue)))
                    .map_err(sqlx::Error::Io)?;
            }
            Backend::Postgres => {
                tokio::spawn(write_batches(writer, backend, queue));
            }
        }
        Ok(IngestQueue { jobs })
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
    let batch = Batch::of(deliveries);
    match backend {
        Backend::Sqlite => {
            let written = write_sqlite_batch(conn, &batch).await;
            if written.is_err() {
                // The transaction may be open (the error came after its BEGIN) or not; a ROLLBACK
                // without one fails harmlessly.
                let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            }
            written
        }
        Backend::Postgres => write_postgres_batch(conn, &batch).await,
    }
}

/// What a batch looks up before the core applies it.
struct Batch<'a> {
    deliveries: &'a [&'a Delivery],
    services: Vec<&'a ServiceId>,
    /// The dedup keys of the batch's signals, and the storm key they may fold into.
    keys: Vec<&'a str>,
    now: Timestamp,
}

impl<'a> Batch<'a> {
    fn of(deliveries: &'a [&'a Delivery]) -> Batch<'a> {
        let services: HashSet<&ServiceId> = deliveries.iter().map(|d| &d.service_id).collect();
        let mut keys: HashSet<&str> = deliveries.iter().map(|d| d.signal.key()).collect();
        keys.insert(STORM_DEDUP_KEY);
        Batch {
            deliveries,
            services: services.into_iter().collect(),
            keys: keys.into_iter().collect(),
            now: deliveries.iter().map(|d| d.received_at).max().unwrap_or_default(),
        }
    }
}

/// What the database holds for a batch: its services' rules and the open alerts of its keys.
struct Found {
    rules: HashMap<ServiceId, ServiceRules>,
    paging: HashMap<ServiceId, PagingRules>,
    open: Vec<Alert>,
}

/// A batch applied by the core: what each signal did, and what to write.
struct Applied {
    outcomes: Vec<Outcome>,
    changes: Changes,
    /// The alerts the batch opened (the others among `changes.alerts` were open before it).
    opened: HashSet<AlertId>,
    paging: HashMap<ServiceId, PagingRules>,
}

fn apply(batch: &Batch, found: Found) -> Applied {
    let known: HashSet<AlertId> = found.open.iter().map(|a| a.id.clone()).collect();
    let mut intake = Intake::new(found.rules, found.open, || AlertId(new_id()));
    let outcomes = batch
        .deliveries
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
    let opened = changes.alerts.iter().filter(|a| !known.contains(&a.id)).map(|a| a.id.clone()).collect();
    Applied { outcomes, changes, opened, paging: found.paging }
}

impl Applied {
    fn was_open(&self) -> Vec<&Alert> {
        self.changes.alerts.iter().filter(|a| !self.opened.contains(&a.id)).collect()
    }

    /// The batch's writes, in one round trip; `pages` are those of alerts that were open, brought
    /// in step with them.
    fn writes(&self, backend: Backend, mut pages: Vec<Page>) -> Writes {
        let opened: Vec<&Alert> =
            self.changes.alerts.iter().filter(|a| self.opened.contains(&a.id)).collect();
        pages.extend(started_pages(&opened, &self.paging));
        let counts: Vec<(&ServiceId, i64)> = self.changes.open_delta.iter().map(|(s, d)| (s, *d)).collect();
        let mut writes = Writes::new(backend);
        writes
            .add(|sql| write_alerts(sql, &self.changes.alerts))
            .add(|sql| write_log(sql, &self.changes.log))
            .add(|sql| write_open_counts(sql, &counts))
            .add(|sql| write_pages(sql, &pages));
        writes
    }
}

/// A batch on SQLite in two round trips to its worker thread: the transaction's `BEGIN` with every
/// read, then every write with the `COMMIT`. Each round trip costs far more than the statements
/// in it once the two cores are busy (a wake-up of the worker thread and one of the writer task),
/// so a batch of the five statements sent one by one took twice as long.
async fn write_sqlite_batch(conn: &mut AnyConnection, batch: &Batch<'_>) -> Result<Vec<Outcome>, StoreError> {
    // The reads' rows come back one after the other in one list, each tagged with its `part`.
    let mut reads = Sql::new(Backend::Sqlite, "BEGIN IMMEDIATE;\nSELECT 'rules' AS part, ");
    rules_query(&mut reads, Backend::Sqlite, batch);
    reads.push(";\nSELECT 'alert' AS part, ");
    open_alerts_query(&mut reads, &batch.keys);
    reads.push(";\nSELECT 'page' AS part, ");
    open_pages_query(&mut reads, &batch.keys);
    let rows: Vec<AnyRow> = reads.query().fetch_all(&mut *conn).await?;
    let (mut rules, mut open, mut pages) = (Vec::new(), Vec::new(), Vec::new());
    for row in &rows {
        match row.try_get::<String, _>("part")?.as_str() {
            "rules" => rules.push(RulesRow::from_row(row)?),
            "alert" => open.push(Alert::try_from(AlertRow::from_row(row)?)?),
            _ => pages.push(Page::try_from(PageRow::from_row(row)?)?),
        }
    }
    let applied = apply(batch, found(rules, open)?);
    let followed = followed(pages, &applied.was_open());
    let mut sql = applied.writes(Backend::Sqlite, followed).into_sql();
    sql.push(";\nCOMMIT");
    sql.query().execute(&mut *conn).await?;
    Ok(applied.outcomes)
}

/// A batch on PostgreSQL: each read is a statement of its own, the open alerts locked so that
/// instances take turns with them, and the writes one statement.
async fn write_postgres_batch(
    conn: &mut AnyConnection,
    batch: &Batch<'_>,
) -> Result<Vec<Outcome>, StoreError> {
    let mut tx = conn.begin().await?;
    let mut sql = Sql::new(Backend::Postgres, "SELECT ");
    rules_query(&mut sql, Backend::Postgres, batch);
    let rules: Vec<RulesRow> = sql.query_as().fetch_all(&mut *tx).await?;
    let mut sql = Sql::new(Backend::Postgres, "SELECT ");
    open_alerts_query(&mut sql, &batch.keys);
    sql.push(" FOR UPDATE");
    // Planned afresh each time: a cached generic plan made while the table was small (before
    // autovacuum first analyses it) scans the whole table, and kept doing so as it grew, from
    // 0.1 ms to 50 ms a batch within a minute of a storm.
    let open: Vec<AlertRow> = sql.query_as().persistent(false).fetch_all(&mut *tx).await?;
    let open = open.into_iter().map(Alert::try_from).collect::<Result<_, _>>()?;
    let applied = apply(batch, found(rules, open)?);
    let followed = followed_pages(&mut tx, Backend::Postgres, &applied.was_open()).await?;
    applied.writes(Backend::Postgres, followed).into_sql().query().execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(applied.outcomes)
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

/// Appends, after a `SELECT`, the intake rules of the batch's services and the paging rules of
/// those that page through a policy.
fn rules_query(sql: &mut Sql, backend: Backend, batch: &Batch) {
    sql.push(&format!(
        "s.id, s.priority_critical, s.priority_error, s.priority_warning, s.priority_info, s.open_alert_cap,
            s.open_alerts, {PAGING_COLUMNS},
            CASE WHEN EXISTS (SELECT 1 FROM maintenance_windows m
                WHERE m.service_id = s.id AND m.starts_at <= "
    ));
    sql.bind(rows::millis(batch.now)).push(" AND m.ends_at > ").bind(rows::millis(batch.now));
    sql.push(
        ") THEN 1 ELSE 0 END AS in_maintenance
         FROM services s LEFT JOIN escalation_policies p ON p.id = s.escalation_policy_id AND p.deleted_at IS NULL
         WHERE s.id",
    );
    match backend {
        // One document, so that the text of a batch's reads is the same whatever their count.
        Backend::Sqlite => sql.in_json_strings(rows_document(&batch.services)),
        // A bound value per service: the cached generic plan of the document's `= ANY` made
        // batches a fifth slower here (measured with the ingest benchmark).
        Backend::Postgres => sql.push(" IN ").list(batch.services.iter().map(|s| s.0.clone())),
    };
}

/// Appends, after a `SELECT`, the open alerts with any of `keys`.
fn open_alerts_query(sql: &mut Sql, keys: &[&str]) {
    sql.push(&alert_columns()).push(" FROM alerts WHERE resolved_at IS NULL AND dedup_key");
    sql.in_json_strings(rows_document(keys)).push(" ORDER BY id");
}

/// Appends, after a `SELECT`, the unresolved pages of the open alerts with any of `keys`: those
/// that the batch may acknowledge or resolve.
fn open_pages_query(sql: &mut Sql, keys: &[&str]) {
    sql.push(&page_columns()).push(
        " FROM pages WHERE status <> 'resolved' AND alert_id IN
            (SELECT id FROM alerts WHERE resolved_at IS NULL AND dedup_key",
    );
    sql.in_json_strings(rows_document(keys)).push(")");
}

fn found(rules: Vec<RulesRow>, open: Vec<Alert>) -> Result<Found, StoreError> {
    let mut found = Found { rules: HashMap::with_capacity(rules.len()), paging: HashMap::new(), open };
    for row in rules {
        let priorities = PriorityMap {
            critical: rows::parsed("priority_critical", &row.priority_critical)?,
            error: rows::parsed("priority_error", &row.priority_error)?,
            warning: rows::parsed("priority_warning", &row.priority_warning)?,
            info: rows::parsed("priority_info", &row.priority_info)?,
        };
        let service = ServiceId(row.id);
        if let Some(frozen) = row.paging.paging()? {
            found.paging.insert(service.clone(), frozen);
        }
        found.rules.insert(
            service,
            ServiceRules {
                priorities,
                open_alert_cap: row.open_alert_cap.map(|c| u32::try_from(c).unwrap_or(u32::MAX)),
                in_maintenance: row.in_maintenance != 0,
                open_alerts: u32::try_from(row.open_alerts).unwrap_or(0),
            },
        );
    }
    Ok(found)
}
