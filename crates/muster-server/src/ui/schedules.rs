//! Schedule pages: who is on call now on every schedule, a template form to create the seed's
//! designs, and a schedule's week or month calendar in the reader's zone with its overrides.
//!
//! Forms name people by e-mail address in rotation order ("ada@example.com, bo@example.com"),
//! which keeps the order explicit; custom rule sets are made through the API.

use axum::{
    Router,
    extract::{Path, Query, State},
    routing::{get, post},
};
use jiff::{SignedDuration, Span, Timestamp, civil::Date, tz::TimeZone};
use muster_core::{
    FieldError, Invalid,
    authz::Permission,
    ids::{OverrideId, ScheduleId, ServiceId, TeamId, UserId},
    page::Page,
    schedule::{Schedule, wall::instant_of},
    service::Service,
    team::Team,
    user::User,
};
use serde::Deserialize;

use super::{
    CsrfForm, Layout, NoFields, SignedIn, UiResult, form_errors, form_status, non_empty, render, see_other,
};
use crate::{
    auth::Caller,
    error::ApiError,
    schedules::{self, CreateOverride, FromTemplate, Names, OnCallView, ScheduleOnCall},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/schedules", get(list).post(create))
        .route("/schedules/{id}", get(show))
        .route("/schedules/{id}/overrides", post(add_override))
        .route("/schedules/{id}/overrides/{override_id}/delete", post(remove_override))
        .route("/schedules/{id}/take", post(take))
        .route("/schedules/{id}/cover", post(ask_for_cover))
        .route("/schedules/{id}/cover/{request_id}/accept", post(accept_cover))
        .route("/schedules/{id}/cover/{request_id}/withdraw", post(withdraw_cover))
        .route("/schedules/{id}/delete", post(delete))
        .route("/schedules/{id}/team", post(set_team))
}

#[derive(Debug, Default, Deserialize)]
pub struct TemplateForm {
    #[serde(default)]
    template: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    participants: String,
    #[serde(default)]
    secondary: String,
    #[serde(default)]
    tickets: String,
    #[serde(default)]
    night_time_zone: String,
    #[serde(default)]
    night_participants: String,
    #[serde(default)]
    service_id: String,
    #[serde(default)]
    team_id: String,
}

#[derive(askama::Template)]
#[template(path = "schedules.html")]
struct SchedulesPage {
    layout: Layout,
    on_call: Vec<ScheduleOnCall>,
    services: Vec<Service>,
    teams: Vec<Team>,
    can_manage: bool,
    draft: TemplateForm,
    errors: Vec<FieldError>,
}

/// One person's time on one day of the calendar, in the reader's zone.
struct Entry {
    name: String,
    from: String,
    to: String,
    overridden: bool,
}

struct Day {
    label: String,
    today: bool,
    entries: Vec<Entry>,
}

struct OverrideRow {
    id: OverrideId,
    what: String,
    from: String,
    to: String,
}

struct CoverRow {
    id: String,
    requester: String,
    from: String,
    to: String,
    note: String,
    status: &'static str,
    mine: bool,
}

#[derive(askama::Template)]
#[template(path = "schedule.html")]
struct SchedulePage {
    layout: Layout,
    schedule: Schedule,
    now: Vec<OnCallView>,
    rotations: Vec<(String, String)>,
    days: Vec<Day>,
    month: bool,
    previous: String,
    next: String,
    overrides: Vec<OverrideRow>,
    cover: Vec<CoverRow>,
    handoffs: Vec<(String, String, String)>,
    people: Vec<User>,
    teams: Vec<Team>,
    can_manage: bool,
    errors: Vec<FieldError>,
}

/// Resolves "a@x, b@y" to user ids in order, naming `field` for an unknown address.
async fn people_named(state: &AppState, field: &str, text: &str) -> Result<Vec<UserId>, ApiError> {
    let mut ids = Vec::new();
    for email in text.split([',', '\n', ';']).map(str::trim).filter(|e| !e.is_empty()) {
        match state.store.credentials(&email.to_lowercase()).await? {
            Some(found) if found.user.is_active() => ids.push(found.user.id),
            _ => {
                return Err(ApiError::field(
                    field,
                    format!("{email} is not the e-mail address of an active person"),
                ));
            }
        }
    }
    Ok(ids)
}

/// Like [`people_named`], but an empty field means the list was not given.
async fn optional_people(state: &AppState, field: &str, text: &str) -> Result<Option<Vec<UserId>>, ApiError> {
    match non_empty(text) {
        Some(text) => Ok(Some(people_named(state, field, &text).await?)),
        None => Ok(None),
    }
}

async fn active_people(state: &AppState) -> Result<Vec<User>, ApiError> {
    let everyone = state.store.list_users(Page { limit: Page::MAX_LIMIT, offset: 0 }).await?;
    Ok(everyone.into_iter().filter(User::is_active).collect())
}

async fn list_page(
    state: &AppState,
    caller: &Caller,
    done: Option<&str>,
    draft: TemplateForm,
    errors: Vec<FieldError>,
) -> UiResult {
    let now = state.now();
    let all: Vec<_> =
        state.store.all_schedules().await.map_err(ApiError::from)?.into_iter().map(|s| (None, s)).collect();
    let on_call = schedules::on_call(state, &all, now).await?;
    let services = state
        .store
        .list_services(Page { limit: Page::MAX_LIMIT, offset: 0 })
        .await
        .map_err(ApiError::from)?;
    let status = form_status(&errors);
    let page = SchedulesPage {
        layout: Layout::new(caller, "schedules", done, now),
        on_call,
        services,
        teams: super::all_teams(state).await?,
        can_manage: caller.user.role.allows(Permission::ManageSchedules),
        draft,
        errors,
    };
    render(status, &page)
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    done: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Query(query): Query<ListQuery>,
) -> UiResult {
    let draft = TemplateForm {
        template: "weekly".into(),
        time_zone: caller.user.time_zone.clone(),
        start: state.now().to_zoned_datetime(caller.time_zone()).date().to_string(),
        ..TemplateForm::default()
    };
    list_page(&state, &caller, query.done.as_deref(), draft, vec![]).await
}

async fn create(
    State(state): State<AppState>,
    CsrfForm { caller, form }: CsrfForm<TemplateForm>,
) -> UiResult {
    let result = async {
        let input = FromTemplate {
            template: form.template.clone(),
            name: form.name.clone(),
            time_zone: form.time_zone.clone(),
            start: form.start.clone(),
            participants: people_named(&state, "participants", &form.participants).await?,
            secondary: optional_people(&state, "secondary", &form.secondary).await?,
            tickets: optional_people(&state, "tickets", &form.tickets).await?,
            night_participants: optional_people(&state, "night_participants", &form.night_participants)
                .await?,
            night_time_zone: non_empty(&form.night_time_zone),
            team_id: non_empty(&form.team_id).map(TeamId),
            service_id: non_empty(&form.service_id).map(ServiceId),
        };
        schedules::create_from_template(&state, &caller, input).await
    }
    .await;
    match result {
        Ok(created) if created.len() == 1 => {
            Ok(see_other(&format!("/schedules/{}", created[0].id), "schedule-created"))
        }
        Ok(_) => Ok(see_other("/schedules", "schedules-created")),
        Err(error) => list_page(&state, &caller, None, form, form_errors(error)?).await,
    }
}

#[derive(Debug, Default, Deserialize)]
struct CalendarQuery {
    /// A date in the reader's zone; the calendar starts on the Monday of its week.
    from: Option<String>,
    view: Option<String>,
    done: Option<String>,
}

fn monday_of(date: Date) -> Date {
    let back = i64::from(date.weekday().to_monday_zero_offset());
    date.checked_sub(Span::new().days(back)).unwrap_or(date)
}

fn add_days(date: Date, days: i64) -> Date {
    date.checked_add(Span::new().days(days)).unwrap_or(date)
}

/// The calendar: each day from `first` for `days` days, with who is on call when, in `zone`.
fn calendar(
    schedule: &Schedule,
    names: &Names,
    zone: &TimeZone,
    first: Date,
    days: i64,
    today: Date,
) -> Vec<Day> {
    let start_of = |date: Date| instant_of(zone, date.to_datetime(jiff::civil::Time::midnight()));
    let (Some(from), Some(until)) = (start_of(first), start_of(add_days(first, days))) else { return vec![] };
    let shifts = schedule.layers.shifts(from, until);
    let clock = |at: Timestamp| at.to_zoned_datetime(zone.clone()).strftime("%H:%M").to_string();
    (0..days)
        .filter_map(|offset| {
            let date = add_days(first, offset);
            let (day_start, day_end) = (start_of(date)?, start_of(add_days(date, 1))?);
            let mut entries: Vec<Entry> = Vec::new();
            for s in shifts.iter().filter(|s| s.start < day_end && s.end > day_start) {
                let entry = Entry {
                    name: names.name(&s.person),
                    from: if s.start <= day_start { "00:00".into() } else { clock(s.start) },
                    to: if s.end >= day_end { "24:00".into() } else { clock(s.end) },
                    overridden: matches!(s.source, muster_core::schedule::Source::Override { .. }),
                };
                // One person's back-to-back shifts (a one-person rotation) read as one stretch.
                let earlier = entries
                    .iter_mut()
                    .find(|e| e.name == entry.name && e.to == entry.from && e.overridden == entry.overridden);
                match earlier {
                    Some(earlier) => earlier.to = entry.to,
                    None => entries.push(entry),
                }
            }
            Some(Day { label: date.strftime("%a %-d %b").to_string(), today: date == today, entries })
        })
        .collect()
}

async fn schedule_page(
    state: &AppState,
    caller: &Caller,
    id: &ScheduleId,
    query: CalendarQuery,
    errors: Vec<FieldError>,
) -> UiResult {
    let now = state.now();
    let schedule = state.store.get_schedule(id).await.map_err(ApiError::from)?;
    let zone = caller.time_zone();
    let today = now.to_zoned_datetime(zone.clone()).date();
    let month = query.view.as_deref() == Some("month");
    let anchor = query.from.as_deref().and_then(|d| d.parse::<Date>().ok()).unwrap_or(today);
    let (first, days, step) = if month {
        let first_of_month = anchor.first_of_month();
        (monday_of(first_of_month), 42, first_of_month.checked_add(Span::new().months(1)).unwrap_or(anchor))
    } else {
        (monday_of(anchor), 7, add_days(monday_of(anchor), 7))
    };
    let back = if month {
        anchor.first_of_month().checked_sub(Span::new().months(1)).unwrap_or(anchor)
    } else {
        add_days(monday_of(anchor), -7)
    };
    let view = if month { "month" } else { "week" };
    let people = active_people(state).await?;
    let mut involved: Vec<UserId> = people.iter().map(|u| u.id.clone()).collect();
    involved.extend(
        schedule.layers.rotations.iter().flat_map(|r| r.orders.iter().flat_map(|o| o.participants.clone())),
    );
    let names = Names::of(state, involved).await?;
    let days = calendar(&schedule, &names, &zone, first, days, today);
    let now_on_call = names.on_call(&schedule.layers.on_call_at(now));
    let rotations = schedule
        .layers
        .rotations
        .iter()
        .map(|r| {
            let order = r
                .orders
                .last()
                .map(|o| o.participants.iter().map(|p| names.name(p)).collect::<Vec<_>>().join(" → "));
            let (unit, count) = r.shift_length.unit_and_count();
            let length = if count == 1 {
                format!("1 {}", unit.trim_end_matches('s'))
            } else {
                format!("{count} {unit}")
            };
            let handoff =
                if unit == "weeks" { r.start.strftime("%A %H:%M") } else { r.start.strftime("%H:%M") };
            let zone = r.time_zone.iana_name().unwrap_or("UTC");
            (format!("{} (shifts of {length}, hand-off {handoff} {zone})", r.name), order.unwrap_or_default())
        })
        .collect();
    let layout = Layout::new(caller, "schedules", query.done.as_deref(), now);
    let overrides = schedule
        .layers
        .overrides
        .iter()
        .filter(|o| o.end > now - SignedDuration::from_hours(24))
        .map(|o| {
            let what = match &o.kind {
                muster_core::schedule::OverrideKind::Add { person } => {
                    format!("{} added", names.name(person))
                }
                muster_core::schedule::OverrideKind::Remove { person } => {
                    format!("{} off call", names.name(person))
                }
                muster_core::schedule::OverrideKind::Replace { absent, cover } => {
                    format!("{} covers for {}", names.name(cover), names.name(absent))
                }
            };
            OverrideRow { id: o.id.clone(), what, from: layout.time(o.start), to: layout.time(o.end) }
        })
        .collect();
    let cover = state
        .store
        .cover_requests(id, now)
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .map(|r| CoverRow {
            id: r.id.to_string(),
            requester: names.name(&r.requester),
            from: layout.time(r.start),
            to: layout.time(r.end),
            note: r.note,
            status: r.status.as_str(),
            mine: r.requester == caller.user.id,
        })
        .collect();
    let handoffs = state
        .store
        .recent_handoffs(id, 5)
        .await
        .map_err(ApiError::from)?
        .iter()
        .map(|h| {
            let named = |ids: &[UserId]| ids.iter().map(|p| names.name(p)).collect::<Vec<_>>().join(", ");
            (layout.time(h.at), named(&h.outgoing), named(&h.incoming))
        })
        .collect();
    let page = SchedulePage {
        handoffs,
        cover,
        now: now_on_call,
        rotations,
        days,
        month,
        previous: format!("?view={view}&from={back}"),
        next: format!("?view={view}&from={step}"),
        overrides,
        people,
        teams: super::all_teams(state).await?,
        can_manage: caller.user.role.allows(Permission::ManageSchedules),
        errors: errors.clone(),
        layout,
        schedule,
    };
    render(form_status(&errors), &page)
}

async fn show(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    Query(query): Query<CalendarQuery>,
) -> UiResult {
    schedule_page(&state, &caller, &ScheduleId(id), query, vec![]).await
}

#[derive(Debug, Deserialize)]
struct OverrideForm {
    kind: String,
    person_id: String,
    #[serde(default)]
    cover_id: String,
    /// Wall-clock, in the reader's zone (`datetime-local`).
    start: String,
    end: String,
}

/// A `datetime-local` value read in the reader's zone.
pub(super) fn local_instant(field: &str, text: &str, zone: &TimeZone) -> Result<Timestamp, Invalid> {
    text.trim()
        .parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|wall| instant_of(zone, wall))
        .ok_or_else(|| Invalid::one(field, "must be a date and time such as 2026-11-24T09:00"))
}

async fn add_override(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<OverrideForm>,
) -> UiResult {
    let id = ScheduleId(id);
    let zone = caller.time_zone();
    let result = async {
        let input = CreateOverride {
            kind: form.kind.clone(),
            person_id: UserId(form.person_id.clone()),
            cover_id: non_empty(&form.cover_id).map(UserId),
            start: local_instant("start", &form.start, &zone)?,
            end: local_instant("end", &form.end, &zone)?,
        };
        schedules::add_override(&state, &caller, &id, input).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/schedules/{id}"), "override-added")),
        Err(error) => {
            schedule_page(&state, &caller, &id, CalendarQuery::default(), form_errors(error)?).await
        }
    }
}

async fn remove_override(
    State(state): State<AppState>,
    Path((id, override_id)): Path<(String, String)>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    let id = ScheduleId(id);
    schedules::remove_override(&state, &caller, &id, &OverrideId(override_id)).await?;
    Ok(see_other(&format!("/schedules/{id}"), "override-removed"))
}

async fn take(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    let id = ScheduleId(id);
    match schedules::take_pager(&state, &caller, &id).await {
        Ok(_) => Ok(see_other(&format!("/schedules/{id}"), "pager-taken")),
        Err(error) => {
            schedule_page(&state, &caller, &id, CalendarQuery::default(), form_errors(error)?).await
        }
    }
}

#[derive(Debug, Deserialize)]
struct TeamForm {
    #[serde(default)]
    team_id: String,
}

async fn set_team(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<TeamForm>,
) -> UiResult {
    let id = ScheduleId(id);
    match schedules::set_team(&state, &caller, &id, non_empty(&form.team_id).map(TeamId)).await {
        Ok(_) => Ok(see_other(&format!("/schedules/{id}"), "schedule-team-set")),
        Err(error) => {
            schedule_page(&state, &caller, &id, CalendarQuery::default(), form_errors(error)?).await
        }
    }
}

async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    schedules::delete(&state, &caller, &ScheduleId(id)).await?;
    Ok(see_other("/schedules", "schedule-deleted"))
}

#[derive(Debug, Deserialize)]
struct CoverForm {
    /// Wall-clock, in the reader's zone (`datetime-local`).
    start: String,
    end: String,
    #[serde(default)]
    note: String,
}

async fn ask_for_cover(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<CoverForm>,
) -> UiResult {
    let id = ScheduleId(id);
    let zone = caller.time_zone();
    let result = async {
        let input = schedules::CreateCoverRequest {
            start: local_instant("start", &form.start, &zone)?,
            end: local_instant("end", &form.end, &zone)?,
            note: Some(form.note.clone()),
        };
        schedules::ask_for_cover(&state, &caller, &id, input).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/schedules/{id}"), "cover-requested")),
        Err(error) => {
            schedule_page(&state, &caller, &id, CalendarQuery::default(), form_errors(error)?).await
        }
    }
}

async fn accept_cover(
    State(state): State<AppState>,
    Path((id, request_id)): Path<(String, String)>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    let id = ScheduleId(id);
    match schedules::accept_cover(&state, &caller, &id, &muster_core::ids::CoverRequestId(request_id)).await {
        Ok(_) => Ok(see_other(&format!("/schedules/{id}"), "cover-accepted")),
        Err(error) => {
            schedule_page(&state, &caller, &id, CalendarQuery::default(), form_errors(error)?).await
        }
    }
}

async fn withdraw_cover(
    State(state): State<AppState>,
    Path((id, request_id)): Path<(String, String)>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    let id = ScheduleId(id);
    schedules::withdraw_cover(&state, &caller, &id, &muster_core::ids::CoverRequestId(request_id)).await?;
    Ok(see_other(&format!("/schedules/{id}"), "cover-withdrawn"))
}
