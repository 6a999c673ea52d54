//! Incidents: declaring them, and every later change, each in one transaction that locks the
//! incident, applies the change through core's `Incident::apply`, writes the aggregate back and
//! appends its timeline entries. Document revisions, stakeholder updates and pins are written in
//! the same transaction as the change that makes them.

use jiff::Timestamp;
use muster_core::{
    audit::Actor,
    ids::{AlertId, IncidentId, ServiceId, StakeholderUpdateId, TimelineEntryId, UserId},
    incident::{
        Change, Declaration, DocumentRevision, DocumentSections, Incident, IncidentChange, Participant,
        Person, Refusal, RoleOffer, StakeholderAudience, StakeholderUpdate, TimelineEntry, UpdateCadence,
        offer_notice, reminder_notice,
    },
    notify::Purpose,
    user::Role,
};
use serde_json::Value;
use sqlx::{Any, AnyConnection, FromRow};

use crate::{
    Backend, Store, StoreError,
    audit::{self, Audit},
    new_id, rows,
    sql::{Sql, rows_document},
    subscriptions::{notify_person, notify_subscribers},
    users::{fetch_user, require_active_user},
};

impl From<Refusal> for StoreError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Forbidden(what) => StoreError::Forbidden(what),
            Refusal::Conflict { field, problem } => StoreError::Conflict { field, problem },
            Refusal::Invalid(invalid) => StoreError::Invalid(invalid),
        }
    }
}

#[derive(FromRow)]
struct IncidentRow {
    id: String,
    number: i64,
    title: String,
    severity: String,
    state: String,
    customer_facing: i64,
    data_impact: i64,
    problem_report: Option<String>,
    command: String,
    investigation: String,
    hypotheses: String,
    document_revision: i64,
    declared_by: String,
    declared_by_name: String,
    declared_at: i64,
    started_at: i64,
    acknowledged_at: i64,
    mitigated_at: Option<i64>,
    resolved_at: Option<i64>,
    next_update_due: Option<i64>,
    reminded_at: Option<i64>,
    updated_at: i64,
}

const INCIDENT_COLUMNS: &str = "id, number, title, severity, state, customer_facing, data_impact, problem_report, \
     command, investigation, hypotheses, document_revision, declared_by, declared_by_name, declared_at, started_at, \
     acknowledged_at, mitigated_at, resolved_at, next_update_due, reminded_at, updated_at";

impl IncidentRow {
    fn into_incident(self, services: Vec<ServiceId>, alerts: Vec<AlertId>) -> Result<Incident, StoreError> {
        Ok(Incident {
            id: IncidentId(self.id),
            number: self.number,
            title: self.title,
            severity: rows::parsed("severity", &self.severity)?,
            state: rows::parsed("state", &self.state)?,
            customer_facing: self.customer_facing != 0,
            data_impact: self.data_impact != 0,
            services,
            alerts,
            problem_report: self
                .problem_report
                .as_deref()
                .map(|text| rows::json("problem_report", text))
                .transpose()?,
            command: rows::json("command", &self.command)?,
            investigation: rows::json("investigation", &self.investigation)?,
            hypotheses: rows::json("hypotheses", &self.hypotheses)?,
            document_revision: u32::try_from(self.document_revision).unwrap_or(u32::MAX),
            declared_by: Person { id: UserId(self.declared_by), name: self.declared_by_name },
            declared_at: rows::timestamp(self.declared_at)?,
            started_at: rows::timestamp(self.started_at)?,
            acknowledged_at: rows::timestamp(self.acknowledged_at)?,
            mitigated_at: rows::optional_timestamp(self.mitigated_at)?,
            resolved_at: rows::optional_timestamp(self.resolved_at)?,
            next_update_due: rows::optional_timestamp(self.next_update_due)?,
            reminded_at: rows::optional_timestamp(self.reminded_at)?,
            updated_at: rows::timestamp(self.updated_at)?,
        })
    }
}

#[derive(FromRow)]
struct LinkRow {
    incident_id: String,
    linked_id: String,
}

/// The services and alerts of the incidents `ids`, in the order they were linked.
async fn links(
    conn: &mut AnyConnection,
    backend: Backend,
    ids: &[&str],
) -> Result<(Vec<LinkRow>, Vec<LinkRow>), StoreError> {
    let mut services = Sql::new(
        backend,
        "SELECT incident_id, service_id AS linked_id FROM incident_services WHERE incident_id",
    );
    services.in_json_strings(rows_document(ids)).push(" ORDER BY service_id");
    let services: Vec<LinkRow> = services.query_as().fetch_all(&mut *conn).await?;
    let mut alerts =
        Sql::new(backend, "SELECT incident_id, alert_id AS linked_id FROM incident_alerts WHERE incident_id");
    alerts.in_json_strings(rows_document(ids)).push(" ORDER BY linked_at, alert_id");
    let alerts: Vec<LinkRow> = alerts.query_as().fetch_all(&mut *conn).await?;
    Ok((services, alerts))
}

async fn assemble(
    conn: &mut AnyConnection,
    backend: Backend,
    found: Vec<IncidentRow>,
) -> Result<Vec<Incident>, StoreError> {
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = found.iter().map(|r| r.id.clone()).collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let (services, alerts) = links(conn, backend, &id_refs).await?;
    found
        .into_iter()
        .map(|row| {
            let of = |links: &[LinkRow]| -> Vec<String> {
                links.iter().filter(|l| l.incident_id == row.id).map(|l| l.linked_id.clone()).collect()
            };
            let services = of(&services).into_iter().map(ServiceId).collect();
            let alerts = of(&alerts).into_iter().map(AlertId).collect();
            row.into_incident(services, alerts)
        })
        .collect()
}

/// Reads one incident; `lock` takes its row lock on PostgreSQL for the rest of the transaction
/// (SQLite's single writer already serializes writes).
async fn fetch_incident(
    conn: &mut AnyConnection,
    backend: Backend,
    id: &IncidentId,
    lock: bool,
) -> Result<Incident, StoreError> {
    let lock = if lock && backend == Backend::Postgres { " FOR UPDATE" } else { "" };
    let row: Option<IncidentRow> = sqlx::query_as::<Any, IncidentRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = $1{lock}"
    )))
    .bind(id.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let row = row.ok_or(StoreError::NotFound("incident"))?;
    assemble(conn, backend, vec![row]).await?.pop().ok_or(StoreError::NotFound("incident"))
}

/// Writes the aggregate's own columns back (its links are written where they change).
async fn save_incident(conn: &mut AnyConnection, incident: &Incident) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE incidents SET title = $2, severity = $3, state = $4, customer_facing = $5, data_impact = $6,
             command = $7, investigation = $8, hypotheses = $9, document_revision = $10, mitigated_at = $11,
             resolved_at = $12, next_update_due = $13, reminded_at = $14, updated_at = $15
         WHERE id = $1",
    )
    .bind(incident.id.as_str())
    .bind(&incident.title)
    .bind(incident.severity.as_str())
    .bind(incident.state.as_str())
    .bind(i64::from(incident.customer_facing))
    .bind(i64::from(incident.data_impact))
    .bind(rows::to_json(&incident.command))
    .bind(rows::to_json(&incident.investigation))
    .bind(rows::to_json(&incident.hypotheses))
    .bind(i64::from(incident.document_revision))
    .bind(incident.mitigated_at.map(rows::millis))
    .bind(incident.resolved_at.map(rows::millis))
    .bind(incident.next_update_due.map(rows::millis))
    .bind(incident.reminded_at.map(rows::millis))
    .bind(rows::millis(incident.updated_at))
    .execute(conn)
    .await?;
    Ok(())
}

async fn append_timeline(
    conn: &mut AnyConnection,
    incident: &IncidentId,
    actor: Option<&Person>,
    changes: Vec<IncidentChange>,
    now: Timestamp,
) -> Result<Vec<TimelineEntry>, StoreError> {
    let mut entries = Vec::with_capacity(changes.len());
    for change in changes {
        let id = new_id();
        sqlx::query(
            "INSERT INTO incident_timeline (id, incident_id, at, kind, actor_id, actor_name, message, details, pinned)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0)",
        )
        .bind(&id)
        .bind(incident.as_str())
        .bind(rows::millis(now))
        .bind(change.kind.as_str())
        .bind(actor.map(|p| p.id.as_str()))
        .bind(actor.map(|p| p.name.as_str()))
        .bind(&change.message)
        .bind(change.details.to_string())
        .execute(&mut *conn)
        .await?;
        entries.push(TimelineEntry {
            id: TimelineEntryId(id),
            incident_id: incident.clone(),
            at: now,
            kind: change.kind,
            actor: actor.cloned(),
            message: change.message,
            details: change.details,
            pinned: false,
        });
    }
    Ok(entries)
}

async fn insert_revision(
    conn: &mut AnyConnection,
    incident: &IncidentId,
    revision: &DocumentRevision,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO incident_documents (incident_id, revision, sections, author_id, author_name, at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(incident.as_str())
    .bind(i64::from(revision.revision))
    .bind(rows::to_json(&revision.sections))
    .bind(revision.author.id.as_str())
    .bind(&revision.author.name)
    .bind(rows::millis(revision.at))
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(FromRow)]
struct RevisionRow {
    revision: i64,
    sections: String,
    author_id: String,
    author_name: String,
    at: i64,
}

impl TryFrom<RevisionRow> for DocumentRevision {
    type Error = StoreError;

    fn try_from(row: RevisionRow) -> Result<Self, StoreError> {
        Ok(DocumentRevision {
            revision: u32::try_from(row.revision).unwrap_or(u32::MAX),
            sections: rows::json("sections", &row.sections)?,
            author: Person { id: UserId(row.author_id), name: row.author_name },
            at: rows::timestamp(row.at)?,
        })
    }
}

async fn fetch_revision(
    conn: &mut AnyConnection,
    incident: &IncidentId,
    revision: u32,
) -> Result<DocumentRevision, StoreError> {
    let row: Option<RevisionRow> = sqlx::query_as::<Any, RevisionRow>(
        "SELECT revision, sections, author_id, author_name, at FROM incident_documents
         WHERE incident_id = $1 AND revision = $2",
    )
    .bind(incident.as_str())
    .bind(i64::from(revision))
    .fetch_optional(conn)
    .await?;
    row.ok_or(StoreError::NotFound("document revision"))?.try_into()
}

#[derive(FromRow)]
struct TimelineRow {
    id: String,
    incident_id: String,
    at: i64,
    kind: String,
    actor_id: Option<String>,
    actor_name: Option<String>,
    message: String,
    details: String,
    pinned: i64,
}

impl TryFrom<TimelineRow> for TimelineEntry {
    type Error = StoreError;

    fn try_from(row: TimelineRow) -> Result<Self, StoreError> {
        Ok(TimelineEntry {
            id: TimelineEntryId(row.id),
            incident_id: IncidentId(row.incident_id),
            at: rows::timestamp(row.at)?,
            kind: rows::parsed("kind", &row.kind)?,
            actor: row.actor_id.zip(row.actor_name).map(|(id, name)| Person { id: UserId(id), name }),
            message: row.message,
            details: rows::json::<Value>("details", &row.details)?,
            pinned: row.pinned != 0,
        })
    }
}

const TIMELINE_COLUMNS: &str = "id, incident_id, at, kind, actor_id, actor_name, message, details, pinned";

#[derive(FromRow)]
struct UpdateRow {
    id: String,
    incident_id: String,
    audience: String,
    state: String,
    body: String,
    posted_by: String,
    posted_by_name: String,
    posted_at: i64,
}

impl TryFrom<UpdateRow> for StakeholderUpdate {
    type Error = StoreError;

    fn try_from(row: UpdateRow) -> Result<Self, StoreError> {
        Ok(StakeholderUpdate {
            id: StakeholderUpdateId(row.id),
            incident_id: IncidentId(row.incident_id),
            audience: rows::parsed("audience", &row.audience)?,
            state: rows::parsed("state", &row.state)?,
            body: row.body,
            posted_by: Person { id: UserId(row.posted_by), name: row.posted_by_name },
            posted_at: rows::timestamp(row.posted_at)?,
        })
    }
}

const UPDATE_COLUMNS: &str = "id, incident_id, audience, state, body, posted_by, posted_by_name, posted_at";

/// What an incident change's preparation returns: the change to apply and anything else the
/// caller wants back.
type Prepared<'c, T> = std::pin::Pin<Box<dyn Future<Output = Result<(Change, T), StoreError>> + Send + 'c>>;

/// Which incidents a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentFilter {
    /// `Some(true)`: only open ones; `Some(false)`: only resolved ones.
    pub open: Option<bool>,
    pub service: Option<ServiceId>,
}

/// Where the next page of an incident list starts: after this declaration time and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentCursor {
    pub declared_at: Timestamp,
    pub id: IncidentId,
}

fn audit_change<'a>(incident: &'a Incident, action: &'static str, summary: String) -> Audit<'a> {
    Audit { action, target_kind: "incident", target_id: incident.id.as_str(), summary }
}

impl Store {
    /// The person `user` as an incident participant: their name and what their role allows.
    pub async fn participant(&self, user: &UserId) -> Result<Participant, StoreError> {
        let mut conn = self.reader.acquire().await?;
        let user = require_active_user(&mut conn, "user_id", user).await?;
        Ok(Participant {
            person: Person { id: user.id, name: user.name },
            may_respond: user.role != Role::Stakeholder,
            is_admin: user.role == Role::Admin,
        })
    }

    /// Declares an incident: gives it the next number, links its services and alerts, issues the
    /// document from the template and starts the timeline, all in one transaction.
    pub async fn declare_incident(
        &self,
        declaration: Declaration,
        declarer: &Participant,
        cadence: &UpdateCadence,
        now: Timestamp,
    ) -> Result<Incident, StoreError> {
        let mut tx = self.writer.begin().await?;
        let mut alerts = Vec::new();
        for id in &declaration.alerts {
            let alert =
                crate::alerts::fetch_alert(&mut tx, id, false).await.map_err(|error| match error {
                    StoreError::NotFound(_) => {
                        muster_core::Invalid::one("alert_ids", format!("{id} is not a known alert")).into()
                    }
                    other => other,
                })?;
            alerts.push(alert);
        }
        let mut declaration = declaration;
        // The services of the linked alerts are affected whether or not the declarer named them.
        for alert in &alerts {
            if !declaration.services.contains(&alert.service_id) {
                declaration.services.push(alert.service_id.clone());
            }
        }
        declaration.services.sort();
        let mut service_names = Vec::new();
        for id in &declaration.services {
            let name: Option<String> = sqlx::query_scalar("SELECT name FROM services WHERE id = $1")
                .bind(id.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            service_names.push(name.ok_or_else(|| {
                StoreError::from(muster_core::Invalid::one(
                    "service_ids",
                    format!("{id} is not a known service"),
                ))
            })?);
        }
        let number: i64 = sqlx::query_scalar(
            "UPDATE counters SET value = value + 1 WHERE name = 'incident' RETURNING value",
        )
        .fetch_one(&mut *tx)
        .await?;
        let times: Vec<(Timestamp, Option<Timestamp>)> =
            alerts.iter().map(|a| (a.first_seen_at, a.acknowledged_at)).collect();
        let links: Vec<String> =
            alerts.iter().map(|a| format!("Alert: {} (/alerts/{})", a.summary, a.id)).collect();
        let sections = DocumentSections::template(&declaration, &service_names, &links);
        let (incident, declared) =
            Incident::declare(IncidentId(new_id()), number, declaration, declarer, &times, cadence, now)?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO incidents ({INCIDENT_COLUMNS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)"
        )))
        .bind(incident.id.as_str())
        .bind(incident.number)
        .bind(&incident.title)
        .bind(incident.severity.as_str())
        .bind(incident.state.as_str())
        .bind(i64::from(incident.customer_facing))
        .bind(i64::from(incident.data_impact))
        .bind(incident.problem_report.as_ref().map(rows::to_json))
        .bind(rows::to_json(&incident.command))
        .bind(rows::to_json(&incident.investigation))
        .bind(rows::to_json(&incident.hypotheses))
        .bind(i64::from(incident.document_revision))
        .bind(incident.declared_by.id.as_str())
        .bind(&incident.declared_by.name)
        .bind(rows::millis(incident.declared_at))
        .bind(rows::millis(incident.started_at))
        .bind(rows::millis(incident.acknowledged_at))
        .bind(incident.mitigated_at.map(rows::millis))
        .bind(incident.resolved_at.map(rows::millis))
        .bind(incident.next_update_due.map(rows::millis))
        .bind(incident.reminded_at.map(rows::millis))
        .bind(rows::millis(incident.updated_at))
        .execute(&mut *tx)
        .await?;
        for service in &incident.services {
            sqlx::query("INSERT INTO incident_services (incident_id, service_id) VALUES ($1, $2)")
                .bind(incident.id.as_str())
                .bind(service.as_str())
                .execute(&mut *tx)
                .await?;
        }
        for alert in &incident.alerts {
            link_alert_row(&mut tx, &incident.id, alert, now).await?;
        }
        let revision = DocumentRevision { revision: 1, sections, author: declarer.person.clone(), at: now };
        insert_revision(&mut tx, &incident.id, &revision).await?;
        let summary = format!("declared incident {} \"{}\"", incident.number, incident.title);
        append_timeline(&mut tx, &incident.id, Some(&declarer.person), vec![declared], now).await?;
        let actor = Actor::User(declarer.person.id.clone());
        audit::record(&mut tx, &actor, now, audit_change(&incident, "incident.declare", summary)).await?;
        tx.commit().await?;
        Ok(incident)
    }

    /// Applies `change` by `who` to the incident and returns it with the new timeline entries.
    pub async fn change_incident(
        &self,
        id: &IncidentId,
        who: &Participant,
        change: Change,
        cadence: &UpdateCadence,
        now: Timestamp,
    ) -> Result<(Incident, Vec<TimelineEntry>), StoreError> {
        // The person offered a role hears of it at once, through their immediate channels.
        let offer = match &change {
            Change::OfferRole { role, to } => Some(RoleOffer {
                role: *role,
                from: who.person.clone(),
                to: to.person.clone(),
                offered_at: now,
            }),
            _ => None,
        };
        let backend = self.backend;
        self.in_incident(id, who, cadence, now, move |conn, incident| {
            Box::pin(async move {
                if let Some(offer) = offer {
                    let notice = offer_notice(incident.number, &incident.title, &offer);
                    notify_person(conn, backend, &offer.to.id, Purpose::RoleOffer, notice, now).await?;
                }
                Ok((change, ()))
            })
        })
        .await
        .map(|(incident, entries, ())| (incident, entries))
    }

    /// Runs one change to an incident in a transaction: `prepare` reads what the change needs and
    /// may write rows of its own; then the change is applied, saved and put on the timeline.
    async fn in_incident<T, F>(
        &self,
        id: &IncidentId,
        who: &Participant,
        cadence: &UpdateCadence,
        now: Timestamp,
        prepare: F,
    ) -> Result<(Incident, Vec<TimelineEntry>, T), StoreError>
    where
        F: for<'c> FnOnce(&'c mut AnyConnection, &'c Incident) -> Prepared<'c, T>,
    {
        let mut tx = self.writer.begin().await?;
        let mut incident = fetch_incident(&mut tx, self.backend, id, true).await?;
        let (change, prepared) = prepare(&mut tx, &incident).await?;
        let action = action_name(&change);
        let changes = incident.apply(who, change, cadence, now)?;
        save_incident(&mut tx, &incident).await?;
        let entries = append_timeline(&mut tx, id, Some(&who.person), changes, now).await?;
        let summary = entries.first().map(|e| e.message.clone()).unwrap_or_else(|| action.to_owned());
        let actor = Actor::User(who.person.id.clone());
        audit::record(&mut tx, &actor, now, audit_change(&incident, action, summary)).await?;
        tx.commit().await?;
        Ok((incident, entries, prepared))
    }

    /// Saves a new document revision made on `base_revision`. When someone else saved a revision
    /// since, nothing is written and the conflict names who and when.
    pub async fn edit_incident_document(
        &self,
        id: &IncidentId,
        who: &Participant,
        base_revision: u32,
        sections: DocumentSections,
        cadence: &UpdateCadence,
        now: Timestamp,
    ) -> Result<(Incident, DocumentRevision), StoreError> {
        let sections = DocumentSections::parse(sections)?;
        let author = who.person.clone();
        let (incident, _, revision) = self
            .in_incident(id, who, cadence, now, move |conn, incident| {
                Box::pin(async move {
                    let current = fetch_revision(conn, &incident.id, incident.document_revision).await?;
                    if base_revision != current.revision {
                        return Err(StoreError::conflict(
                            "base_revision",
                            format!(
                                "the document changed since you opened it: {} saved revision {} at {}; \
                                 your edit was not saved; reload, then apply your change again",
                                current.author.name, current.revision, current.at
                            ),
                        ));
                    }
                    let changed = sections.changed_sections(&current.sections);
                    if changed.is_empty() {
                        return Err(StoreError::conflict(
                            "sections",
                            "nothing changed from the current revision",
                        ));
                    }
                    let revision =
                        DocumentRevision { revision: current.revision + 1, sections, author, at: now };
                    insert_revision(conn, &incident.id, &revision).await?;
                    Ok((Change::EditDocument { revision: revision.revision, sections: changed }, revision))
                })
            })
            .await?;
        Ok((incident, revision))
    }

    /// Posts a stakeholder update and moves the next update's due time.
    pub async fn post_stakeholder_update(
        &self,
        id: &IncidentId,
        who: &Participant,
        audience: StakeholderAudience,
        body: &str,
        cadence: &UpdateCadence,
        now: Timestamp,
    ) -> Result<(Incident, StakeholderUpdate), StoreError> {
        let change = Change::PostUpdate { audience, body: body.to_owned() };
        let posted_by = who.person.clone();
        let body = body.trim().to_owned();
        let backend = self.backend;
        let (incident, _, update) = self
            .in_incident(id, who, cadence, now, move |conn, incident| {
                Box::pin(async move {
                    let update = StakeholderUpdate {
                        id: StakeholderUpdateId(new_id()),
                        incident_id: incident.id.clone(),
                        audience,
                        state: incident.state,
                        body,
                        posted_by,
                        posted_at: now,
                    };
                    // Written before the change is checked; a refused change rolls it back.
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "INSERT INTO stakeholder_updates ({UPDATE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                    )))
                    .bind(update.id.as_str())
                    .bind(update.incident_id.as_str())
                    .bind(update.audience.as_str())
                    .bind(update.state.as_str())
                    .bind(&update.body)
                    .bind(update.posted_by.id.as_str())
                    .bind(&update.posted_by.name)
                    .bind(rows::millis(now))
                    .execute(&mut *conn)
                    .await?;
                    notify_subscribers(conn, backend, incident, &update, now).await?;
                    Ok((change, update))
                })
            })
            .await?;
        Ok((incident, update))
    }

    /// Links another alert to the incident (and its service, if new to it).
    pub async fn link_alert_to_incident(
        &self,
        id: &IncidentId,
        alert: &AlertId,
        who: &Participant,
        cadence: &UpdateCadence,
        now: Timestamp,
    ) -> Result<(Incident, Vec<TimelineEntry>), StoreError> {
        let alert_id = alert.clone();
        let (mut incident, entries, service) = self
            .in_incident(id, who, cadence, now, move |conn, incident| {
                Box::pin(async move {
                    let alert = crate::alerts::fetch_alert(conn, &alert_id, false).await?;
                    link_alert_row(conn, &incident.id, &alert.id, now).await?;
                    let new_service = !incident.services.contains(&alert.service_id);
                    if new_service {
                        sqlx::query(
                            "INSERT INTO incident_services (incident_id, service_id) VALUES ($1, $2)",
                        )
                        .bind(incident.id.as_str())
                        .bind(alert.service_id.as_str())
                        .execute(&mut *conn)
                        .await?;
                    }
                    let change = Change::LinkAlert { alert: alert.id, summary: alert.summary };
                    Ok((change, new_service.then_some(alert.service_id)))
                })
            })
            .await?;
        incident.services.extend(service);
        Ok((incident, entries))
    }

    /// Pins or unpins a timeline entry.
    pub async fn pin_timeline_entry(
        &self,
        id: &IncidentId,
        entry: &TimelineEntryId,
        pinned: bool,
        who: &Participant,
        cadence: &UpdateCadence,
        now: Timestamp,
    ) -> Result<TimelineEntry, StoreError> {
        let entry_id = entry.clone();
        let (_, _, entry) = self
            .in_incident(id, who, cadence, now, move |conn, incident| {
                Box::pin(async move {
                    let updated = sqlx::query(
                        "UPDATE incident_timeline SET pinned = $3 WHERE id = $1 AND incident_id = $2",
                    )
                    .bind(entry_id.as_str())
                    .bind(incident.id.as_str())
                    .bind(i64::from(pinned))
                    .execute(&mut *conn)
                    .await?;
                    if updated.rows_affected() == 0 {
                        return Err(StoreError::NotFound("timeline entry"));
                    }
                    let row: TimelineRow = sqlx::query_as::<Any, TimelineRow>(sqlx::AssertSqlSafe(format!(
                        "SELECT {TIMELINE_COLUMNS} FROM incident_timeline WHERE id = $1"
                    )))
                    .bind(entry_id.as_str())
                    .fetch_one(&mut *conn)
                    .await?;
                    Ok((Change::Pin { pinned }, TimelineEntry::try_from(row)?))
                })
            })
            .await?;
        Ok(entry)
    }

    pub async fn get_incident(&self, id: &IncidentId) -> Result<Incident, StoreError> {
        let mut conn = self.reader.acquire().await?;
        fetch_incident(&mut conn, self.backend, id, false).await
    }

    /// The incident numbered `number`, for people who say "incident 42".
    pub async fn incident_by_number(&self, number: i64) -> Result<Incident, StoreError> {
        let id: Option<String> = sqlx::query_scalar("SELECT id FROM incidents WHERE number = $1")
            .bind(number)
            .fetch_optional(&self.reader)
            .await?;
        self.get_incident(&IncidentId(id.ok_or(StoreError::NotFound("incident"))?)).await
    }

    /// Incidents matching `filter`, most recently declared first, after `cursor`.
    pub async fn list_incidents(
        &self,
        filter: &IncidentFilter,
        cursor: Option<&IncidentCursor>,
        limit: u32,
    ) -> Result<Vec<Incident>, StoreError> {
        let mut sql = Sql::new(self.backend, format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE 1 = 1"));
        match filter.open {
            Some(true) => sql.push(" AND state <> 'resolved'"),
            Some(false) => sql.push(" AND state = 'resolved'"),
            None => &mut sql,
        };
        if let Some(service) = &filter.service {
            sql.push(" AND id IN (SELECT incident_id FROM incident_services WHERE service_id = ")
                .bind(service.as_str().to_owned())
                .push(")");
        }
        if let Some(cursor) = cursor {
            sql.push(" AND (declared_at < ")
                .bind(rows::millis(cursor.declared_at))
                .push(" OR (declared_at = ")
                .bind(rows::millis(cursor.declared_at))
                .push(" AND id < ")
                .bind(cursor.id.as_str().to_owned())
                .push("))");
        }
        sql.push(" ORDER BY declared_at DESC, id DESC LIMIT ").bind(i64::from(limit));
        let mut conn = self.reader.acquire().await?;
        let found: Vec<IncidentRow> = sql.query_as().fetch_all(&mut *conn).await?;
        assemble(&mut conn, self.backend, found).await
    }

    /// The incidents an alert is linked to, most recent first.
    pub async fn incidents_for_alert(&self, alert: &AlertId) -> Result<Vec<Incident>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        let found: Vec<IncidentRow> = sqlx::query_as::<Any, IncidentRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents
             WHERE id IN (SELECT incident_id FROM incident_alerts WHERE alert_id = $1)
             ORDER BY declared_at DESC"
        )))
        .bind(alert.as_str())
        .fetch_all(&mut *conn)
        .await?;
        assemble(&mut conn, self.backend, found).await
    }

    /// The incident's timeline, oldest first.
    pub async fn incident_timeline(&self, id: &IncidentId) -> Result<Vec<TimelineEntry>, StoreError> {
        let found: Vec<TimelineRow> = sqlx::query_as::<Any, TimelineRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {TIMELINE_COLUMNS} FROM incident_timeline WHERE incident_id = $1 ORDER BY at, id"
        )))
        .bind(id.as_str())
        .fetch_all(&self.reader)
        .await?;
        found.into_iter().map(TimelineEntry::try_from).collect()
    }

    /// One revision of the document; `None` means the latest.
    pub async fn document_revision(
        &self,
        id: &IncidentId,
        revision: Option<u32>,
    ) -> Result<DocumentRevision, StoreError> {
        let mut conn = self.reader.acquire().await?;
        let revision = match revision {
            Some(revision) => revision,
            None => fetch_incident(&mut conn, self.backend, id, false).await?.document_revision,
        };
        fetch_revision(&mut conn, id, revision).await
    }

    /// Every revision of the document, newest first.
    pub async fn document_revisions(&self, id: &IncidentId) -> Result<Vec<DocumentRevision>, StoreError> {
        let found: Vec<RevisionRow> = sqlx::query_as::<Any, RevisionRow>(
            "SELECT revision, sections, author_id, author_name, at FROM incident_documents
             WHERE incident_id = $1 ORDER BY revision DESC",
        )
        .bind(id.as_str())
        .fetch_all(&self.reader)
        .await?;
        found.into_iter().map(DocumentRevision::try_from).collect()
    }

    /// The incident's stakeholder updates, newest first; only public ones when `public_only`.
    pub async fn stakeholder_updates(
        &self,
        id: &IncidentId,
        public_only: bool,
    ) -> Result<Vec<StakeholderUpdate>, StoreError> {
        self.stakeholder_updates_of(std::slice::from_ref(id), public_only).await
    }

    /// The stakeholder updates of the incidents `ids` in one query (a status page lists up to a
    /// hundred incidents), newest first; only public ones when `public_only`.
    pub async fn stakeholder_updates_of(
        &self,
        ids: &[IncidentId],
        public_only: bool,
    ) -> Result<Vec<StakeholderUpdate>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = ids.iter().map(IncidentId::as_str).collect();
        let mut sql =
            Sql::new(self.backend, format!("SELECT {UPDATE_COLUMNS} FROM stakeholder_updates WHERE "));
        if public_only {
            sql.push("audience = 'public' AND ");
        }
        sql.push("incident_id")
            .in_json_strings(rows_document(&ids))
            .push(" ORDER BY posted_at DESC, id DESC");
        let found: Vec<UpdateRow> = sql.query_as().fetch_all(&self.reader).await?;
        found.into_iter().map(StakeholderUpdate::try_from).collect()
    }

    /// The name of a user, for timeline entries about people (who was offered a role).
    pub async fn person(&self, id: &UserId) -> Result<Person, StoreError> {
        let mut conn = self.reader.acquire().await?;
        let user = fetch_user(&mut conn, id.as_str()).await?;
        Ok(Person { id: user.id, name: user.name })
    }

    /// Incidents declared from `from` until `until`, oldest first, for the load reports.
    pub async fn incidents_declared_between(
        &self,
        from: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<Incident>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        let found: Vec<IncidentRow> = sqlx::query_as::<Any, IncidentRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE declared_at >= $1 AND declared_at < $2 ORDER BY declared_at, id"
        )))
        .bind(rows::millis(from))
        .bind(rows::millis(until))
        .fetch_all(&mut *conn)
        .await?;
        assemble(&mut conn, self.backend, found).await
    }

    /// Open incidents whose stakeholders expect an update (due or not), for the reminder job.
    pub async fn incidents_awaiting_updates(&self) -> Result<Vec<Incident>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        let found: Vec<IncidentRow> = sqlx::query_as::<Any, IncidentRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE next_update_due IS NOT NULL ORDER BY next_update_due"
        )))
        .fetch_all(&mut *conn)
        .await?;
        assemble(&mut conn, self.backend, found).await
    }

    /// Reminds the Comms Lead (the commander while there is none) that an update is overdue:
    /// a timeline entry by Muster and a notification, once per update interval. `None` when the
    /// incident no longer needs a reminder (someone posted, or another instance reminded first).
    pub async fn remind_of_update(
        &self,
        id: &IncidentId,
        cadence: &UpdateCadence,
        now: Timestamp,
    ) -> Result<Option<TimelineEntry>, StoreError> {
        let mut tx = self.writer.begin().await?;
        let mut incident = fetch_incident(&mut tx, self.backend, id, true).await?;
        let Some(due) = incident
            .next_update_due
            .filter(|_| incident.next_reminder_at(cadence).is_some_and(|at| at <= now))
        else {
            return Ok(None);
        };
        let reminder = incident.remind(now);
        save_incident(&mut tx, &incident).await?;
        let entries = append_timeline(&mut tx, id, None, vec![reminder], now).await?;
        let who = incident.command.comms_lead.as_ref().unwrap_or(&incident.command.commander).id.clone();
        let notice = reminder_notice(incident.number, &incident.title, due);
        notify_person(&mut tx, self.backend, &who, Purpose::UpdateReminder, notice, now).await?;
        let summary = format!("reminded {who} of the overdue update of incident {}", incident.number);
        audit::record(
            &mut tx,
            &Actor::System("reminders"),
            now,
            audit_change(&incident, "incident.update.remind", summary),
        )
        .await?;
        tx.commit().await?;
        Ok(entries.into_iter().next())
    }

    /// What the status page lists: open incidents and those resolved since `resolved_since`,
    /// most recently declared first.
    pub async fn status_page_incidents(
        &self,
        resolved_since: Timestamp,
    ) -> Result<Vec<Incident>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        let found: Vec<IncidentRow> = sqlx::query_as::<Any, IncidentRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE state <> 'resolved' OR resolved_at >= $1
             ORDER BY declared_at DESC LIMIT 100"
        )))
        .bind(rows::millis(resolved_since))
        .fetch_all(&mut *conn)
        .await?;
        assemble(&mut conn, self.backend, found).await
    }
}

async fn link_alert_row(
    conn: &mut AnyConnection,
    incident: &IncidentId,
    alert: &AlertId,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO incident_alerts (incident_id, alert_id, linked_at) VALUES ($1, $2, $3)")
        .bind(incident.as_str())
        .bind(alert.as_str())
        .bind(rows::millis(now))
        .execute(conn)
        .await?;
    Ok(())
}

/// The audit action of a change.
fn action_name(change: &Change) -> &'static str {
    match change {
        Change::OfferRole { .. } => "incident.role.offer",
        Change::AcceptOffer { .. } => "incident.role.accept",
        Change::DeclineOffer { .. } => "incident.role.decline",
        Change::WithdrawOffer { .. } => "incident.role.withdraw",
        Change::AddInvestigator { .. } => "incident.investigator.add",
        Change::RemoveInvestigator { .. } => "incident.investigator.remove",
        Change::MoveStage { .. } => "incident.stage.move",
        Change::WriteOutput { .. } => "incident.stage.output",
        Change::CheckTactic { .. } => "incident.stage.tactic",
        Change::ProposeHypothesis { .. } => "incident.hypothesis.propose",
        Change::JudgeHypothesis { .. } => "incident.hypothesis.judge",
        Change::SetState { .. } => "incident.state",
        Change::SetSeverity { .. } => "incident.severity",
        Change::SetImpact { .. } => "incident.impact",
        Change::EditDocument { .. } => "incident.document.edit",
        Change::PostUpdate { .. } => "incident.update.post",
        Change::AddNote { .. } => "incident.note",
        Change::Pin { .. } => "incident.timeline.pin",
        Change::LinkAlert { .. } => "incident.alert.link",
    }
}
