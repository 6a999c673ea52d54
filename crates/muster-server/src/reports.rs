//! The load report of a schedule: every shift that began in the window (cut at now, so a shift
//! under way counts what happened so far) with its pages, interruptions, off-hours and night
//! pages, tickets and incidents against the budget, and each person's totals. Shared by the API,
//! the web UI and the command line, with each table as CSV for spreadsheets; and the toil report
//! of every alert opened in a window.

use jiff::{SignedDuration, Timestamp, tz::TimeZone};
use muster_core::{
    authz::Permission,
    ids::{ScheduleId, UserId},
    incident::Incident,
    load::{
        Advice, IncidentWork, LoadPolicy, PersonLoad, ServiceActivity, ShiftLoad, SizingModel, Toil, Work,
        advice, per_person, shift_load, toil,
    },
};
use serde::Serialize;

use crate::{
    auth::Caller,
    csv::Csv,
    error::{ApiError, ApiResult},
    state::AppState,
};

/// What each service the schedule is on call for saw in the window: its incidents and pages.
async fn served_services(
    state: &AppState,
    schedule: &ScheduleId,
    incidents: &[Incident],
    (from, until): (Timestamp, Timestamp),
) -> ApiResult<Vec<ServiceActivity>> {
    let facts = state.store.alert_facts(from, until.min(state.now()), state.now()).await?;
    let mut served = Vec::new();
    for (id, name) in state.store.services_on_schedule(schedule).await? {
        served.push(ServiceActivity {
            incidents: u32::try_from(incidents.iter().filter(|i| i.services.contains(&id)).count())
                .unwrap_or(u32::MAX),
            pages: u32::try_from(facts.iter().filter(|f| f.paged && f.service == name).count())
                .unwrap_or(u32::MAX),
            name,
        });
    }
    Ok(served)
}

/// The longest window a report covers.
const MAX_DAYS: i64 = 366;
/// The window when none is named.
pub const DEFAULT_DAYS: i64 = 28;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NamedShift {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub load: ShiftLoad,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NamedPerson {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub load: PersonLoad,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LoadReport {
    pub schedule_id: ScheduleId,
    pub schedule_name: String,
    #[schema(value_type = String, format = DateTime)]
    pub from: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub until: Timestamp,
    pub incidents_per_12_hours: f64,
    pub shifts: Vec<NamedShift>,
    pub people: Vec<NamedPerson>,
    /// The seed's advice, each with the figures behind it.
    pub advice: Vec<Advice>,
    /// The shifts' pages by hour of the day (0–23) in `time_zone`, the reader's.
    pub pages_by_hour: Vec<u32>,
    pub time_zone: String,
}

impl LoadReport {
    pub fn shifts_over_budget(&self) -> usize {
        self.shifts.iter().filter(|s| s.load.over_budget).count()
    }
}

/// The load policy from the configuration.
pub fn policy(state: &AppState) -> LoadPolicy {
    LoadPolicy {
        incidents_per_12_hours: f64::from(state.config.load_incidents_per_12_hours),
        ..LoadPolicy::default()
    }
}

/// Everyone who took part in an incident: who declared it and its command.
fn participants(incident: &Incident) -> Vec<&UserId> {
    let command = &incident.command;
    let mut people: Vec<&UserId> = vec![&incident.declared_by.id, &command.commander.id];
    people.extend(
        command
            .comms_lead
            .iter()
            .chain(command.ops_lead.iter())
            .chain(command.investigators.iter())
            .map(|p| &p.id),
    );
    people.sort();
    people.dedup();
    people
}

/// `from` and `until` as given (RFC 3339), by default the last 28 days until now.
pub fn window(
    state: &AppState,
    from: Option<&str>,
    until: Option<&str>,
) -> ApiResult<(Timestamp, Timestamp)> {
    window_or_last(state, from, until, DEFAULT_DAYS)
}

/// `from` and `until` as given (RFC 3339), by default the last `days` days until now.
pub fn window_or_last(
    state: &AppState,
    from: Option<&str>,
    until: Option<&str>,
    days: i64,
) -> ApiResult<(Timestamp, Timestamp)> {
    let parse = |field: &'static str, text: Option<&str>| {
        text.map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| {
                t.parse::<Timestamp>()
                    .map_err(|_| ApiError::field(field, "must be a time such as 2026-11-01T00:00:00Z"))
            })
            .transpose()
    };
    let until = parse("until", until)?.unwrap_or(state.now());
    let from = parse("from", from)?.unwrap_or(until - SignedDuration::from_hours(24 * days));
    if from >= until {
        return Err(ApiError::field("from", "must be before until"));
    }
    if until.duration_since(from) > SignedDuration::from_hours(24 * MAX_DAYS) {
        return Err(ApiError::field("from", format!("a report covers at most {MAX_DAYS} days")));
    }
    Ok((from, until))
}

pub async fn load(
    state: &AppState,
    caller: &Caller,
    schedule: &str,
    (from, until): (Timestamp, Timestamp),
) -> ApiResult<LoadReport> {
    caller.require(Permission::ReadAlerts, "read load reports")?;
    let schedule = state.store.get_schedule(&ScheduleId(schedule.to_owned())).await?;
    let now = state.now();
    let pages = state.store.pages_received(from, until.min(now)).await?;
    let tickets = state.store.ticket_work(from, until.min(now)).await?;
    let incidents = state.store.incidents_declared_between(from, until.min(now)).await?;
    let policy = policy(state);
    let mut shifts = Vec::new();
    let mut names: Vec<(UserId, String, TimeZone)> = Vec::new();
    for shift in schedule.layers.shifts(from, until) {
        if shift.start >= now {
            continue;
        }
        if !names.iter().any(|(id, _, _)| *id == shift.person) {
            let user = state.store.get_user(&shift.person).await?;
            let zone = TimeZone::get(&user.time_zone).unwrap_or(TimeZone::UTC);
            names.push((user.id, user.name, zone));
        }
        let (_, name, zone) =
            names.iter().find(|(id, _, _)| *id == shift.person).ok_or(ApiError::Internal)?;
        let mine = |list: &[(UserId, Timestamp)]| -> Vec<Timestamp> {
            list.iter().filter(|(who, _)| *who == shift.person).map(|(_, at)| *at).collect()
        };
        let (paged, ticketed) = (mine(&pages), mine(&tickets));
        let worked: Vec<IncidentWork> = incidents
            .iter()
            .filter(|i| participants(i).contains(&&shift.person))
            .map(|i| IncidentWork {
                number: i.number,
                declared_at: i.declared_at,
                resolved_at: i.resolved_at,
            })
            .collect();
        let work = Work { pages: &paged, tickets: &ticketed, incidents: &worked };
        let load = shift_load(&shift.person, (shift.start, shift.end.min(now)), zone, work, now, &policy);
        shifts.push(NamedShift { load, name: name.clone() });
    }
    let loads: Vec<ShiftLoad> = shifts.iter().map(|s| s.load.clone()).collect();
    let people = per_person(&loads)
        .into_iter()
        .map(|load| {
            let name = names
                .iter()
                .find(|(id, _, _)| Some(id) == load.person.as_ref())
                .map(|(_, n, _)| n.clone())
                .unwrap_or_default();
            NamedPerson { load, name }
        })
        .collect();
    let zone = caller.time_zone();
    let mut pages_by_hour = vec![0u32; 24];
    for (person, at) in &pages {
        let counted =
            shifts.iter().any(|s| s.load.person == *person && s.load.start <= *at && *at < s.load.end);
        if counted {
            let hour = usize::try_from(at.to_zoned_datetime(zone.clone()).hour()).unwrap_or(0);
            pages_by_hour[hour.min(23)] += 1;
        }
    }
    let services = served_services(state, &schedule.id, &incidents, (from, until)).await?;
    let window_days = until.duration_since(from).as_secs_f64() / 86_400.0;
    Ok(LoadReport {
        advice: advice(
            &loads,
            &services,
            window_days,
            &SizingModel::with_budget(policy.incidents_per_12_hours),
        ),
        pages_by_hour,
        time_zone: caller.user.time_zone.clone(),
        schedule_id: schedule.id,
        schedule_name: schedule.name,
        from,
        until,
        incidents_per_12_hours: policy.incidents_per_12_hours,
        shifts,
        people,
    })
}

/// How many rows each toil ranking shows.
const TOIL_TOP: usize = 20;

/// The toil of every alert first seen in the window.
pub async fn toil_report(
    state: &AppState,
    caller: &Caller,
    (from, until): (Timestamp, Timestamp),
) -> ApiResult<Toil> {
    caller.require(Permission::ReadAlerts, "read toil reports")?;
    let facts = state.store.alert_facts(from, until, state.now()).await?;
    Ok(toil(&facts, TOIL_TOP, &caller.time_zone(), &policy(state)))
}

/// Marks an alert as ticket work the caller handled; their shift's load counts it.
pub async fn mark_ticket_work(state: &AppState, caller: &Caller, alert: &str) -> ApiResult<()> {
    caller.require(Permission::RespondToAlerts, "mark ticket work")?;
    let alert = muster_core::ids::AlertId(alert.to_owned());
    Ok(state.store.mark_ticket_work(&alert, &caller.user.id, state.now()).await?)
}

/// The caller's answer to "was this page useful?" for an alert; the toil report counts them.
pub async fn vote_on_page(state: &AppState, caller: &Caller, alert: &str, useful: bool) -> ApiResult<()> {
    caller.require(Permission::RespondToAlerts, "judge pages")?;
    let alert = muster_core::ids::AlertId(alert.to_owned());
    Ok(state.store.vote_on_page(&alert, &caller.user.id, useful, state.now()).await?)
}

/// The load report's tables, for `table=`; the shifts by default.
pub const LOAD_TABLES: [&str; 4] = ["shifts", "people", "pages_by_hour", "advice"];

/// One of the load report's tables as CSV.
pub fn load_csv(report: &LoadReport, table: &str) -> String {
    match table {
        "people" => {
            let mut csv = Csv::new(&[
                "person",
                "shifts",
                "on_call_hours",
                "pages",
                "interruptions",
                "off_hours_pages",
                "night_pages",
                "tickets",
                "incidents",
                "incident_minutes",
                "shifts_over_budget",
                "quiet_shifts",
            ]);
            for p in &report.people {
                let l = &p.load;
                csv.row([
                    p.name.clone(),
                    l.shifts.to_string(),
                    format!("{:.1}", l.on_call_hours),
                    l.pages.to_string(),
                    l.interruptions.to_string(),
                    l.off_hours_pages.to_string(),
                    l.night_pages.to_string(),
                    l.tickets.to_string(),
                    l.incidents.to_string(),
                    l.incident_minutes.to_string(),
                    l.shifts_over_budget.to_string(),
                    l.quiet_shifts.to_string(),
                ]);
            }
            csv.finish()
        }
        "pages_by_hour" => {
            let mut csv = Csv::new(&["hour", "pages", "time_zone"]);
            for (hour, pages) in report.pages_by_hour.iter().enumerate() {
                csv.row([format!("{hour:02}:00"), pages.to_string(), report.time_zone.clone()]);
            }
            csv.finish()
        }
        "advice" => {
            let mut csv = Csv::new(&["kind", "advice", "because"]);
            for a in &report.advice {
                csv.row([a.kind, &a.advice, &a.because]);
            }
            csv.finish()
        }
        _ => {
            let mut csv = Csv::new(&[
                "person",
                "start",
                "end",
                "pages",
                "interruptions",
                "off_hours_pages",
                "night_pages",
                "tickets",
                "incidents",
                "incident_minutes",
                "incident_budget",
                "over_budget",
            ]);
            for shift in &report.shifts {
                let l = &shift.load;
                let incidents = l.incidents.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" ");
                csv.row([
                    shift.name.clone(),
                    l.start.to_string(),
                    l.end.to_string(),
                    l.pages.to_string(),
                    l.interruptions.to_string(),
                    l.off_hours_pages.to_string(),
                    l.night_pages.to_string(),
                    l.tickets.to_string(),
                    incidents,
                    l.incident_minutes.to_string(),
                    l.incident_budget.to_string(),
                    l.over_budget.to_string(),
                ]);
            }
            csv.finish()
        }
    }
}

/// The toil report's tables, for `table=`; the noisiest alerts by default.
pub const TOIL_TABLES: [&str; 5] = ["noisiest", "repeat_pages", "off_hours", "responses", "weekly"];

/// One of the toil report's tables as CSV.
pub fn toil_csv(toil: &Toil, table: &str) -> String {
    let optional = |value: Option<f64>| value.map(|v| format!("{v:.1}")).unwrap_or_default();
    match table {
        "responses" => {
            let mut csv = Csv::new(&[
                "service",
                "priority",
                "alerts",
                "mtta_minutes",
                "mttr_minutes",
                "targets_met",
                "targets_missed",
            ]);
            for r in &toil.responses {
                csv.row([
                    r.service.clone(),
                    r.priority.clone(),
                    r.alerts.to_string(),
                    optional(r.mtta_minutes),
                    optional(r.mttr_minutes),
                    r.targets_met.to_string(),
                    r.targets_missed.to_string(),
                ]);
            }
            csv.finish()
        }
        "weekly" => {
            let mut csv = Csv::new(&["week", "alerts", "mtta_minutes", "mttr_minutes"]);
            for w in &toil.weekly {
                csv.row([
                    w.week.clone(),
                    w.alerts.to_string(),
                    optional(w.mtta_minutes),
                    optional(w.mttr_minutes),
                ]);
            }
            csv.finish()
        }
        table => {
            let keys = match table {
                "repeat_pages" => &toil.repeat_pages,
                "off_hours" => &toil.off_hours,
                _ => &toil.noisiest,
            };
            let mut csv = Csv::new(&[
                "service",
                "dedup_key",
                "summary",
                "opened",
                "pages",
                "off_hours_pages",
                "without_action",
                "useful",
                "not_useful",
            ]);
            for key in keys {
                csv.row([
                    key.service.clone(),
                    key.dedup_key.clone(),
                    key.summary.clone(),
                    key.opened.to_string(),
                    key.pages.to_string(),
                    key.off_hours_pages.to_string(),
                    key.without_action.to_string(),
                    key.useful_votes.to_string(),
                    key.useless_votes.to_string(),
                ]);
            }
            csv.finish()
        }
    }
}
