//! The weekly on-call hand-off report of a team: what a week on call held, for whoever takes
//! over. For each schedule the team owns, the week's shifts with their load and each person's
//! totals (from the load report) and who is on call in the week ahead; the incidents declared in
//! the week on the team's services or in its shifts; what is still open on the team's services
//! (incidents and alerts); and the week's noisiest alerts there. Shared by the API, the web UI
//! and the command line, each table also as CSV.

use jiff::{SignedDuration, Timestamp};
use muster_core::{
    alert::{AlertStatus, query::AlertFilter},
    authz::Permission,
    ids::{AlertId, ScheduleId, ServiceId, TeamId, UserId},
    incident::Incident,
    load::{NoisyAlert, toil},
};
use muster_store::IncidentFilter;
use serde::Serialize;

use crate::{
    auth::Caller,
    csv::Csv,
    error::ApiResult,
    reports::{self, NamedPerson, NamedShift},
    state::AppState,
};

/// The window when none is named: the week until now.
pub const DEFAULT_DAYS: i64 = 7;
/// How far ahead "on call next" looks.
const AHEAD: SignedDuration = SignedDuration::from_hours(24 * 7);
/// The most rows of the open lists and of the noisiest alerts.
const LIST_LIMIT: u32 = 50;
const NOISIEST: usize = 10;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UpcomingShift {
    pub name: String,
    #[schema(value_type = String, format = DateTime)]
    pub start: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub end: Timestamp,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RotationWeek {
    pub schedule_id: ScheduleId,
    pub schedule_name: String,
    pub shifts: Vec<NamedShift>,
    pub people: Vec<NamedPerson>,
    pub shifts_over_budget: usize,
    /// Who is on call in the week ahead.
    pub next: Vec<UpcomingShift>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IncidentLine {
    pub number: i64,
    pub title: String,
    pub severity: String,
    pub state: String,
    #[schema(value_type = String, format = DateTime)]
    pub declared_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved_at: Option<Timestamp>,
}

impl From<&Incident> for IncidentLine {
    fn from(incident: &Incident) -> Self {
        IncidentLine {
            number: incident.number,
            title: incident.title.clone(),
            severity: incident.severity.as_str().to_owned(),
            state: incident.state.as_str().to_owned(),
            declared_at: incident.declared_at,
            resolved_at: incident.resolved_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AlertLine {
    pub id: AlertId,
    pub service: String,
    pub summary: String,
    pub status: String,
    #[schema(value_type = String, format = DateTime)]
    pub first_seen_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HandoffReport {
    pub team_id: TeamId,
    pub team_name: String,
    #[schema(value_type = String, format = DateTime)]
    pub from: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub until: Timestamp,
    pub rotations: Vec<RotationWeek>,
    /// Declared in the window on the team's services or in its shifts.
    pub incidents: Vec<IncidentLine>,
    /// Open now: on the team's services whenever declared, or declared in the window.
    pub open_incidents: Vec<IncidentLine>,
    /// Triggered or acknowledged now on the team's services, newest first.
    pub open_alerts: Vec<AlertLine>,
    #[schema(value_type = Vec<Object>)]
    pub noisiest: Vec<NoisyAlert>,
}

pub async fn handoff(
    state: &AppState,
    caller: &Caller,
    team: &str,
    (from, until): (Timestamp, Timestamp),
) -> ApiResult<HandoffReport> {
    caller.require(Permission::ReadAlerts, "read hand-off reports")?;
    let team = state.store.get_team(&TeamId(team.to_owned())).await?;
    let services: Vec<(ServiceId, String)> =
        state.store.services_of_team(&team.id).await?.into_iter().map(|s| (s.id, s.name)).collect();
    let now = state.now();
    let mut rotations = Vec::new();
    let mut in_shifts: Vec<i64> = Vec::new();
    for schedule in state.store.all_schedules().await?.iter().filter(|s| s.team_id.as_ref() == Some(&team.id))
    {
        let load = reports::load(state, caller, schedule.id.as_str(), (from, until)).await?;
        in_shifts.extend(load.shifts.iter().flat_map(|s| s.load.incidents.iter().copied()));
        let mut next = Vec::new();
        for shift in schedule.layers.shifts(now, now + AHEAD) {
            next.push(UpcomingShift {
                name: person_name(state, &shift.person).await?,
                start: shift.start,
                end: shift.end,
            });
        }
        rotations.push(RotationWeek {
            schedule_id: schedule.id.clone(),
            schedule_name: schedule.name.clone(),
            shifts_over_budget: load.shifts_over_budget(),
            shifts: load.shifts,
            people: load.people,
            next,
        });
    }
    let ours = |incident: &Incident| incident.services.iter().any(|s| services.iter().any(|(id, _)| id == s));
    let week: Vec<Incident> = state
        .store
        .incidents_declared_between(from, until.min(now))
        .await?
        .into_iter()
        .filter(|i| ours(i) || in_shifts.contains(&i.number))
        .collect();
    let incidents = week.iter().map(IncidentLine::from).collect();
    let mut open_incidents: Vec<IncidentLine> =
        week.iter().filter(|i| i.state.is_open()).map(IncidentLine::from).collect();
    let mut open_alerts = Vec::new();
    for (service, name) in &services {
        let filter = IncidentFilter { open: Some(true), service: Some(service.clone()) };
        for incident in state.store.list_incidents(&filter, None, LIST_LIMIT).await? {
            if !open_incidents.iter().any(|i| i.number == incident.number) {
                open_incidents.push(IncidentLine::from(&incident));
            }
        }
        let filter = AlertFilter {
            service: Some(service.clone()),
            statuses: vec![AlertStatus::Triggered, AlertStatus::Acknowledged],
            ..AlertFilter::default()
        };
        for alert in state.store.list_alerts(&filter, None, LIST_LIMIT).await? {
            open_alerts.push(AlertLine {
                id: alert.id,
                service: name.clone(),
                summary: alert.summary,
                status: alert.status.as_str().to_owned(),
                first_seen_at: alert.first_seen_at,
            });
        }
    }
    open_incidents.sort_by_key(|i| i.number);
    open_alerts.sort_by_key(|a| std::cmp::Reverse(a.first_seen_at));
    let facts: Vec<_> = state
        .store
        .alert_facts(from, until, now)
        .await?
        .into_iter()
        .filter(|f| services.iter().any(|(_, name)| *name == f.service))
        .collect();
    let noisiest = toil(&facts, NOISIEST, &caller.time_zone(), &reports::policy(state)).noisiest;
    Ok(HandoffReport {
        team_id: team.id,
        team_name: team.name,
        from,
        until,
        rotations,
        incidents,
        open_incidents,
        open_alerts,
        noisiest,
    })
}

async fn person_name(state: &AppState, id: &UserId) -> ApiResult<String> {
    Ok(state.store.get_user(id).await?.name)
}

/// The hand-off report's tables, for `table=`; the shifts by default.
pub const TABLES: [&str; 5] = ["shifts", "incidents", "open_incidents", "open_alerts", "noisiest"];

/// One of the hand-off report's tables as CSV.
pub fn handoff_csv(report: &HandoffReport, table: &str) -> String {
    let incidents = |lines: &[IncidentLine]| {
        let mut csv = Csv::new(&["number", "title", "severity", "state", "declared_at", "resolved_at"]);
        for i in lines {
            csv.row([
                i.number.to_string(),
                i.title.clone(),
                i.severity.clone(),
                i.state.clone(),
                i.declared_at.to_string(),
                i.resolved_at.map(|t| t.to_string()).unwrap_or_default(),
            ]);
        }
        csv.finish()
    };
    match table {
        "incidents" => incidents(&report.incidents),
        "open_incidents" => incidents(&report.open_incidents),
        "open_alerts" => {
            let mut csv = Csv::new(&["id", "service", "summary", "status", "first_seen_at"]);
            for a in &report.open_alerts {
                csv.row([
                    a.id.to_string(),
                    a.service.clone(),
                    a.summary.clone(),
                    a.status.clone(),
                    a.first_seen_at.to_string(),
                ]);
            }
            csv.finish()
        }
        "noisiest" => {
            let mut csv =
                Csv::new(&["service", "dedup_key", "summary", "opened", "pages", "off_hours_pages"]);
            for k in &report.noisiest {
                csv.row([
                    k.service.clone(),
                    k.dedup_key.clone(),
                    k.summary.clone(),
                    k.opened.to_string(),
                    k.pages.to_string(),
                    k.off_hours_pages.to_string(),
                ]);
            }
            csv.finish()
        }
        _ => {
            let mut csv = Csv::new(&[
                "schedule",
                "person",
                "start",
                "end",
                "pages",
                "off_hours_pages",
                "night_pages",
                "tickets",
                "incidents",
                "over_budget",
            ]);
            for rotation in &report.rotations {
                for shift in &rotation.shifts {
                    let l = &shift.load;
                    let incidents = l.incidents.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" ");
                    csv.row([
                        rotation.schedule_name.clone(),
                        shift.name.clone(),
                        l.start.to_string(),
                        l.end.to_string(),
                        l.pages.to_string(),
                        l.off_hours_pages.to_string(),
                        l.night_pages.to_string(),
                        l.tickets.to_string(),
                        incidents,
                        l.over_budget.to_string(),
                    ]);
                }
            }
            csv.finish()
        }
    }
}
