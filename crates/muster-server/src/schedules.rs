//! Schedule operations shared by the API and the web UI: parse schedule and template input into
//! core types (errors name the field, such as `rotations[0].start`), check permissions, write
//! through the store, and present schedules, on-call answers and shifts with people's names.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp, civil};
use muster_core::{
    FieldError, Invalid,
    authz::Permission,
    ids::{CoverRequestId, OverrideId, RotationId, ScheduleId, ServiceId, TeamId, UserId},
    schedule::{
        CoverRequest, Coverage, Layers, OnCall, Override, OverrideKind, Rotation, Rule, Schedule,
        ScheduleNaming, Shift, ShiftLength, Source, Weekdays, Window,
        templates::{self, SunTeam, Tier},
    },
    user::parse_time_zone,
};
use muster_store::NewSchedule;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    events::Topic,
    state::AppState,
};

/// The longest window of shifts one request may ask for.
pub const MAX_SHIFT_WINDOW_DAYS: i64 = 400;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftLengthInput {
    /// `hours`, `days` or `weeks`.
    pub unit: String,
    pub count: u32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotationInput {
    pub name: String,
    /// The zone of the hand-offs; the schedule's zone when absent.
    pub time_zone: Option<String>,
    /// The first hand-off, as a wall-clock time in the rotation's zone: `2026-11-23T09:00`.
    pub start: String,
    pub shift_length: ShiftLengthInput,
    /// User ids in rotation order.
    pub participants: Vec<UserId>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    /// The index of the rotation (in `rotations`) that covers; or give `user_id`.
    pub rotation: Option<usize>,
    /// A person who covers; or give `rotation`.
    pub user_id: Option<UserId>,
    /// Lower-case English day names; every day when absent.
    pub weekdays: Option<Vec<String>>,
    /// Wall-clock start in the schedule's zone (`09:00`); with `end`. Both absent: all day.
    pub start: Option<String>,
    /// Wall-clock end; before `start` means the next day (`18:00`–`06:00`).
    pub end: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSchedule {
    pub name: String,
    pub description: Option<String>,
    /// IANA zone the rules' times are in.
    pub time_zone: String,
    pub team_id: Option<TeamId>,
    pub rotations: Vec<RotationInput>,
    pub rules: Vec<RuleInput>,
}

/// A schedule design from the seed, made in one step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FromTemplate {
    /// `weekly`, `daily`, `tiers` (primary 24/7 + secondary and tickets weekdays 09–17, three
    /// schedules) or `follow_the_sun` (day team 06–18 and night team 18–06).
    pub template: String,
    /// The schedule's name; `tiers` appends ` primary`, ` secondary` and ` tickets`.
    pub name: String,
    pub time_zone: String,
    /// The date of the first hand-off (weekly designs hand off on the Monday on or after it, 09:00).
    pub start: String,
    /// The rotation (`weekly`, `daily`), the primary (`tiers`) or the day team (`follow_the_sun`).
    pub participants: Vec<UserId>,
    /// `tiers` only.
    pub secondary: Option<Vec<UserId>>,
    /// `tiers` only.
    pub tickets: Option<Vec<UserId>>,
    /// `follow_the_sun` only: the night team and its zone.
    pub night_participants: Option<Vec<UserId>>,
    pub night_time_zone: Option<String>,
    pub team_id: Option<TeamId>,
    /// Attach the new schedules to this service's tiers.
    pub service_id: Option<ServiceId>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOverride {
    /// `add`, `remove` or `replace`.
    pub kind: String,
    /// Who is added, removed, or (for `replace`) stands down.
    pub person_id: UserId,
    /// Who stands in (`replace` only).
    pub cover_id: Option<UserId>,
    #[schema(value_type = String, format = DateTime)]
    pub start: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub end: Timestamp,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCoverRequest {
    #[schema(value_type = String, format = DateTime)]
    pub start: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub end: Timestamp,
    /// Why, for whoever might take it.
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CoverRequestView {
    id: CoverRequestId,
    schedule_id: ScheduleId,
    requester_id: UserId,
    requester: String,
    #[schema(value_type = String, format = DateTime)]
    start: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    end: Timestamp,
    note: String,
    /// `open`, `accepted` or `withdrawn`.
    status: &'static str,
    resolved_by: Option<UserId>,
    override_id: Option<OverrideId>,
}

impl CoverRequestView {
    pub fn new(request: &CoverRequest, names: &Names) -> Self {
        CoverRequestView {
            id: request.id.clone(),
            schedule_id: request.schedule_id.clone(),
            requester_id: request.requester.clone(),
            requester: names.name(&request.requester),
            start: request.start,
            end: request.end,
            note: request.note.clone(),
            status: request.status.as_str(),
            resolved_by: request.resolved_by.clone(),
            override_id: request.override_id.clone(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetParticipants {
    /// The new order, from the rotation's next shift on.
    pub participants: Vec<UserId>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetServiceSchedule {
    /// The schedule that serves this tier, or `null` for none.
    pub schedule_id: Option<ScheduleId>,
}

// ---- views ----------------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct ShiftLengthView {
    unit: &'static str,
    count: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    from_shift: i64,
    participants: Vec<UserId>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RotationView {
    id: RotationId,
    name: String,
    time_zone: String,
    /// The first hand-off, wall-clock in `time_zone`.
    start: String,
    shift_length: ShiftLengthView,
    /// The participant orders over time; the last one applies from its `from_shift` on.
    orders: Vec<OrderView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    rotation_id: Option<RotationId>,
    user_id: Option<UserId>,
    weekdays: Vec<String>,
    /// Wall-clock start in the schedule's zone; absent for all-day rules.
    start: Option<String>,
    end: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OverrideView {
    id: OverrideId,
    kind: &'static str,
    person_id: UserId,
    cover_id: Option<UserId>,
    #[schema(value_type = String, format = DateTime)]
    start: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    end: Timestamp,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleView {
    id: ScheduleId,
    name: String,
    description: String,
    time_zone: String,
    team_id: Option<TeamId>,
    rotations: Vec<RotationView>,
    rules: Vec<RuleView>,
    overrides: Vec<OverrideView>,
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    updated_at: Timestamp,
}

/// Why someone is on call.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SourceView {
    /// Rule number `rule` (from 0), through the rotation's shift number `shift`.
    Rotation {
        rule: usize,
        rotation_id: RotationId,
        shift: i64,
    },
    /// Rule number `rule`, which names this person.
    Rule {
        rule: usize,
    },
    Override {
        override_id: OverrideId,
    },
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OnCallView {
    pub user_id: UserId,
    pub name: String,
    pub source: SourceView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShiftView {
    pub schedule_id: ScheduleId,
    pub user_id: UserId,
    pub name: String,
    #[schema(value_type = String, format = DateTime)]
    pub start: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub end: Timestamp,
    pub source: SourceView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleOnCall {
    pub schedule_id: ScheduleId,
    pub schedule_name: String,
    /// Set when asked about a service: the tier this schedule serves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<&'static str>,
    pub on_call: Vec<OnCallView>,
}

fn weekday_name(day: civil::Weekday) -> &'static str {
    match day {
        civil::Weekday::Monday => "monday",
        civil::Weekday::Tuesday => "tuesday",
        civil::Weekday::Wednesday => "wednesday",
        civil::Weekday::Thursday => "thursday",
        civil::Weekday::Friday => "friday",
        civil::Weekday::Saturday => "saturday",
        civil::Weekday::Sunday => "sunday",
    }
}

impl From<&Schedule> for ScheduleView {
    fn from(schedule: &Schedule) -> Self {
        let layers = &schedule.layers;
        ScheduleView {
            id: schedule.id.clone(),
            name: schedule.name.clone(),
            description: schedule.description.clone(),
            time_zone: schedule.time_zone_name().to_owned(),
            team_id: schedule.team_id.clone(),
            rotations: layers
                .rotations
                .iter()
                .map(|r| {
                    let (unit, count) = r.shift_length.unit_and_count();
                    RotationView {
                        id: r.id.clone(),
                        name: r.name.clone(),
                        time_zone: r.time_zone.iana_name().unwrap_or("UTC").to_owned(),
                        start: r.start.to_string(),
                        shift_length: ShiftLengthView { unit, count },
                        orders: r
                            .orders
                            .iter()
                            .map(|o| OrderView {
                                from_shift: o.from_shift,
                                participants: o.participants.clone(),
                            })
                            .collect(),
                    }
                })
                .collect(),
            rules: layers
                .rules
                .iter()
                .map(|rule| {
                    let (rotation_id, user_id) = match &rule.coverage {
                        Coverage::Rotation(id) => (Some(id.clone()), None),
                        Coverage::Person(id) => (None, Some(id.clone())),
                    };
                    let (start, end) = match rule.window {
                        Window::AllDay => (None, None),
                        Window::Between { start, end } => (
                            Some(start.strftime("%H:%M").to_string()),
                            Some(end.strftime("%H:%M").to_string()),
                        ),
                    };
                    let weekdays =
                        rule.weekdays.days().into_iter().map(|d| weekday_name(d).to_owned()).collect();
                    RuleView { rotation_id, user_id, weekdays, start, end }
                })
                .collect(),
            overrides: layers.overrides.iter().map(OverrideView::from).collect(),
            created_at: schedule.created_at,
            updated_at: schedule.updated_at,
        }
    }
}

impl From<&Override> for OverrideView {
    fn from(o: &Override) -> Self {
        let (kind, person_id, cover_id) = match &o.kind {
            OverrideKind::Add { person } => ("add", person.clone(), None),
            OverrideKind::Remove { person } => ("remove", person.clone(), None),
            OverrideKind::Replace { absent, cover } => ("replace", absent.clone(), Some(cover.clone())),
        };
        OverrideView { id: o.id.clone(), kind, person_id, cover_id, start: o.start, end: o.end }
    }
}

fn source_view(source: &Source) -> SourceView {
    match source {
        Source::Rotation { rule, rotation, shift } => {
            SourceView::Rotation { rule: *rule, rotation_id: rotation.clone(), shift: *shift }
        }
        Source::Person { rule } => SourceView::Rule { rule: *rule },
        Source::Override { id } => SourceView::Override { override_id: id.clone() },
    }
}

/// People's names by id, for answers that name who is on call.
#[derive(Debug)]
pub struct Names(HashMap<UserId, String>);

impl Names {
    /// Takes the ids as a `Vec`: a borrowing iterator held across the store call would make
    /// handlers' futures not `Send`.
    pub async fn of(state: &AppState, mut ids: Vec<UserId>) -> ApiResult<Self> {
        ids.sort();
        ids.dedup();
        let users = state.store.users_by_ids(&ids).await?;
        Ok(Names(users.into_iter().map(|u| (u.id, u.name)).collect()))
    }

    pub fn name(&self, id: &UserId) -> String {
        self.0.get(id).cloned().unwrap_or_else(|| id.to_string())
    }

    pub fn on_call(&self, on_call: &[OnCall]) -> Vec<OnCallView> {
        on_call
            .iter()
            .map(|o| OnCallView {
                user_id: o.person.clone(),
                name: self.name(&o.person),
                source: source_view(&o.source),
            })
            .collect()
    }

    pub fn shift(&self, schedule: &ScheduleId, shift: &Shift) -> ShiftView {
        ShiftView {
            schedule_id: schedule.clone(),
            user_id: shift.person.clone(),
            name: self.name(&shift.person),
            start: shift.start,
            end: shift.end,
            source: source_view(&shift.source),
        }
    }
}

// ---- parsing --------------------------------------------------------------------------------

fn prefixed(prefix: &str, invalid: Invalid) -> Invalid {
    Invalid(
        invalid.0.into_iter().map(|e| FieldError::new(format!("{prefix}.{}", e.field), e.problem)).collect(),
    )
}

fn parse_wall_time(field: &str, text: &str) -> Result<civil::Time, FieldError> {
    text.trim()
        .parse::<civil::Time>()
        .map_err(|_| FieldError::new(field, "must be a time of day such as 09:00"))
}

fn parse_weekdays(field: &str, names: &[String]) -> Result<Weekdays, FieldError> {
    let mut days = Vec::new();
    for name in names {
        let day = (0..7)
            .map(|offset| civil::Weekday::Monday.wrapping_add(offset))
            .find(|day| weekday_name(*day) == name.trim().to_lowercase())
            .ok_or_else(|| FieldError::new(field, format!("{name:?} is not a day name such as monday")))?;
        days.push(day);
    }
    Ok(Weekdays::of(&days))
}

fn parse_date(field: &str, text: &str) -> Result<civil::Date, FieldError> {
    text.trim()
        .parse::<civil::Date>()
        .map_err(|_| FieldError::new(field, "must be a date such as 2026-11-23"))
}

fn zone_of(field: &str, name: &str) -> Result<jiff::tz::TimeZone, FieldError> {
    let name = parse_time_zone(field, name)?;
    jiff::tz::TimeZone::get(&name).map_err(|_| FieldError::new(field, "is not in the time-zone database"))
}

impl CreateSchedule {
    /// The naming and layers this input describes, every problem named by its path.
    pub fn parse(&self) -> Result<(ScheduleNaming, Layers), Invalid> {
        let mut errors = Vec::new();
        let naming = ScheduleNaming::parse(&self.name, self.description.as_deref())
            .map_err(|e| errors.extend(e.0))
            .ok();
        let zone = zone_of("time_zone", &self.time_zone).map_err(|e| errors.push(e)).ok();
        if self.rotations.is_empty() && self.rules.is_empty() {
            errors.push(FieldError::new("rules", "must cover some time: give at least one rule"));
        }
        let mut rotations = Vec::new();
        for (i, input) in self.rotations.iter().enumerate() {
            let path = format!("rotations[{i}]");
            let start = input.start.trim().parse::<civil::DateTime>();
            let length = ShiftLength::from_unit(
                "shift_length.unit",
                &input.shift_length.unit,
                input.shift_length.count,
            );
            let rotation = match (start, length) {
                (Ok(start), Ok(length)) => Rotation::new(
                    RotationId(i.to_string()),
                    &input.name,
                    input.time_zone.as_deref().unwrap_or(&self.time_zone),
                    start,
                    length,
                    input.participants.clone(),
                )
                .map_err(|e| prefixed(&path, e)),
                (Err(_), _) => Err(Invalid::one(
                    format!("{path}.start"),
                    "must be a wall-clock time such as 2026-11-23T09:00",
                )),
                (_, Err(e)) => Err(prefixed(&path, e.into())),
            };
            match rotation {
                Ok(rotation) => rotations.push(rotation),
                Err(e) => errors.extend(e.0),
            }
        }
        let mut rules = Vec::new();
        for (i, input) in self.rules.iter().enumerate() {
            let path = format!("rules[{i}]");
            let coverage = match (input.rotation, &input.user_id) {
                (Some(index), None) if index < self.rotations.len() => {
                    Ok(Coverage::Rotation(RotationId(index.to_string())))
                }
                (Some(_), None) => Err(FieldError::new(
                    format!("{path}.rotation"),
                    "is not the index of one of the rotations",
                )),
                (None, Some(user)) => Ok(Coverage::Person(user.clone())),
                _ => Err(FieldError::new(format!("{path}.rotation"), "give either rotation or user_id")),
            };
            let weekdays = match &input.weekdays {
                Some(names) => parse_weekdays(&format!("{path}.weekdays"), names),
                None => Ok(Weekdays::EVERY_DAY),
            };
            let window = match (&input.start, &input.end) {
                (None, None) => Ok(Window::AllDay),
                (Some(start), Some(end)) => {
                    parse_wall_time(&format!("{path}.start"), start).and_then(|start| {
                        Ok(Window::Between { start, end: parse_wall_time(&format!("{path}.end"), end)? })
                    })
                }
                _ => Err(FieldError::new(
                    format!("{path}.end"),
                    "give both start and end, or neither for all day",
                )),
            };
            match (coverage, weekdays, window) {
                (Ok(coverage), Ok(weekdays), Ok(window)) => match Rule::new(coverage, weekdays, window) {
                    Ok(rule) => rules.push(rule),
                    Err(e) => errors.extend(prefixed(&path, e).0),
                },
                (coverage, weekdays, window) => {
                    errors.extend([coverage.err(), weekdays.err(), window.err()].into_iter().flatten());
                }
            }
        }
        match (naming, zone) {
            (Some(naming), Some(time_zone)) if errors.is_empty() => {
                Ok((naming, Layers { time_zone, rotations, rules, overrides: vec![] }))
            }
            _ => Err(Invalid(errors)),
        }
    }
}

impl FromTemplate {
    /// The schedules this template makes, with the tier each serves.
    pub fn parse(&self) -> Result<Vec<(Tier, ScheduleNaming, Layers)>, Invalid> {
        let start = parse_date("start", &self.start)?;
        let naming = |suffix: Option<&str>| {
            let name = match suffix {
                Some(suffix) => format!("{} {suffix}", self.name.trim()),
                None => self.name.clone(),
            };
            ScheduleNaming::parse(&name, None)
        };
        let required = |field: &str, people: &Option<Vec<UserId>>| {
            people
                .clone()
                .ok_or_else(|| Invalid::one(field, format!("is required by the {} template", self.template)))
        };
        match self.template.as_str() {
            "weekly" => Ok(vec![(
                Tier::Primary,
                naming(None)?,
                templates::weekly(&self.time_zone, start, self.participants.clone())?,
            )]),
            "daily" => Ok(vec![(
                Tier::Primary,
                naming(None)?,
                templates::daily(&self.time_zone, start, self.participants.clone())?,
            )]),
            "tiers" => {
                let secondary = required("secondary", &self.secondary)?;
                let tickets = required("tickets", &self.tickets)?;
                templates::tiers(&self.time_zone, start, self.participants.clone(), secondary, tickets)?
                    .into_iter()
                    .map(|(tier, layers)| Ok((tier, naming(Some(tier.as_str()))?, layers)))
                    .collect()
            }
            "follow_the_sun" => {
                let night_people = required("night_participants", &self.night_participants)?;
                let night_zone = self.night_time_zone.clone().ok_or_else(|| {
                    Invalid::one("night_time_zone", "is required by the follow_the_sun template")
                })?;
                let day = SunTeam { time_zone: &self.time_zone, people: self.participants.clone() };
                let night = SunTeam { time_zone: &night_zone, people: night_people };
                Ok(vec![(
                    Tier::Primary,
                    naming(None)?,
                    templates::follow_the_sun(&self.time_zone, start, day, night)?,
                )])
            }
            _ => Err(Invalid::one("template", "must be one of weekly, daily, tiers, follow_the_sun")),
        }
    }
}

impl CreateOverride {
    pub fn kind(&self) -> Result<OverrideKind, Invalid> {
        let person = self.person_id.clone();
        match (self.kind.as_str(), &self.cover_id) {
            ("add", None) => Ok(OverrideKind::Add { person }),
            ("remove", None) => Ok(OverrideKind::Remove { person }),
            ("replace", Some(cover)) => Ok(OverrideKind::Replace { absent: person, cover: cover.clone() }),
            ("replace", None) => Err(Invalid::one("cover_id", "is required to replace someone")),
            ("add" | "remove", Some(_)) => Err(Invalid::one("cover_id", "is only for replace")),
            _ => Err(Invalid::one("kind", "must be one of add, remove, replace")),
        }
    }
}

/// A window `[from, until)` from optional query values: by default the coming week.
pub fn window(
    from: Option<Timestamp>,
    until: Option<Timestamp>,
    now: Timestamp,
) -> ApiResult<(Timestamp, Timestamp)> {
    let from = from.unwrap_or(now);
    let until = until.unwrap_or(from + SignedDuration::from_hours(24 * 7));
    if until <= from {
        return Err(ApiError::field("until", "must be after from"));
    }
    if until.duration_since(from) > SignedDuration::from_hours(24 * MAX_SHIFT_WINDOW_DAYS) {
        return Err(ApiError::field(
            "until",
            format!("must be at most {MAX_SHIFT_WINDOW_DAYS} days after from"),
        ));
    }
    Ok((from, until))
}

// ---- operations -----------------------------------------------------------------------------

pub async fn create(state: &AppState, caller: &Caller, input: CreateSchedule) -> ApiResult<Schedule> {
    caller.require(Permission::ManageSchedules, "create schedules")?;
    let (naming, layers) = input.parse()?;
    let schedule = state
        .store
        .create_schedule(&naming, input.team_id.as_ref(), &layers, &caller.actor(), state.now())
        .await?;
    state.events.publish(Topic::Schedule, schedule.id.as_str(), "created");
    Ok(schedule)
}

pub async fn create_from_template(
    state: &AppState,
    caller: &Caller,
    input: FromTemplate,
) -> ApiResult<Vec<Schedule>> {
    caller.require(Permission::ManageSchedules, "create schedules")?;
    let new: Vec<NewSchedule> = input
        .parse()?
        .into_iter()
        .map(|(tier, naming, layers)| NewSchedule {
            naming,
            team_id: input.team_id.clone(),
            layers,
            serves: input.service_id.clone().map(|service| (service, tier)),
        })
        .collect();
    let created = state.store.create_schedules(new, &caller.actor(), state.now()).await?;
    for schedule in &created {
        state.events.publish(Topic::Schedule, schedule.id.as_str(), "created");
    }
    Ok(created)
}

pub async fn delete(state: &AppState, caller: &Caller, id: &ScheduleId) -> ApiResult<()> {
    caller.require(Permission::ManageSchedules, "delete schedules")?;
    state.store.delete_schedule(id, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::Schedule, id.as_str(), "deleted");
    Ok(())
}

/// Gives a schedule to a team, or to none.
pub async fn set_team(
    state: &AppState,
    caller: &Caller,
    id: &ScheduleId,
    team: Option<TeamId>,
) -> ApiResult<Schedule> {
    caller.require(Permission::ManageSchedules, "change a schedule's team")?;
    let schedule = state.store.set_schedule_team(id, team.as_ref(), &caller.actor(), state.now()).await?;
    state.events.publish(Topic::Schedule, id.as_str(), "updated");
    Ok(schedule)
}

pub async fn add_override(
    state: &AppState,
    caller: &Caller,
    id: &ScheduleId,
    input: CreateOverride,
) -> ApiResult<Override> {
    caller.require(Permission::ManageSchedules, "change who is on call")?;
    let kind = input.kind()?;
    let created =
        state.store.add_override(id, kind, input.start, input.end, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::Schedule, id.as_str(), "updated");
    Ok(created)
}

/// "Take the pager now": the caller replaces whoever the rules put on call first, from now until
/// the end of that person's current stretch on call.
pub async fn take_pager(state: &AppState, caller: &Caller, id: &ScheduleId) -> ApiResult<Override> {
    caller.require(Permission::ManageSchedules, "take the pager")?;
    let now = state.now();
    let schedule = state.store.get_schedule(id).await?;
    let holder =
        schedule.layers.by_rules(now).into_iter().next().ok_or_else(|| {
            ApiError::field("schedule", "nobody is on call now, so there is no pager to take")
        })?;
    if schedule.layers.on_call_at(now).iter().any(|o| o.person == caller.user.id) {
        return Err(ApiError::field("schedule", "you are already on call"));
    }
    let until = schedule
        .layers
        .shifts(now, now + SignedDuration::from_hours(24 * MAX_SHIFT_WINDOW_DAYS))
        .into_iter()
        .find(|shift| shift.person == holder.person && shift.start <= now)
        .map(|shift| shift.end)
        .ok_or_else(|| ApiError::field("schedule", "the current shift has no end in sight"))?;
    let kind = OverrideKind::Replace { absent: holder.person, cover: caller.user.id.clone() };
    let created = state.store.add_override(id, kind, now, until, &caller.actor(), now).await?;
    state.events.publish(Topic::Schedule, id.as_str(), "updated");
    Ok(created)
}

/// The caller asks someone to take `[start, end)` of their time on call.
pub async fn ask_for_cover(
    state: &AppState,
    caller: &Caller,
    id: &ScheduleId,
    input: CreateCoverRequest,
) -> ApiResult<CoverRequest> {
    caller.require(Permission::ManageSchedules, "ask for cover")?;
    let note = input.note.unwrap_or_default();
    let created = state
        .store
        .create_cover_request(id, &caller.user.id, (input.start, input.end), &note, state.now())
        .await?;
    state.events.publish(Topic::Schedule, id.as_str(), "updated");
    Ok(created)
}

/// The caller takes a request for cover: they are on call in the requester's place.
pub async fn accept_cover(
    state: &AppState,
    caller: &Caller,
    id: &ScheduleId,
    request: &CoverRequestId,
) -> ApiResult<CoverRequest> {
    caller.require(Permission::ManageSchedules, "cover for someone")?;
    let accepted = state.store.accept_cover_request(id, request, &caller.user.id, state.now()).await?;
    state.events.publish(Topic::Schedule, id.as_str(), "updated");
    Ok(accepted)
}

/// The requester (or an admin) withdraws an open request.
pub async fn withdraw_cover(
    state: &AppState,
    caller: &Caller,
    id: &ScheduleId,
    request: &CoverRequestId,
) -> ApiResult<CoverRequest> {
    let mine = state
        .store
        .cover_requests(id, state.now())
        .await?
        .iter()
        .any(|r| &r.id == request && r.requester == caller.user.id);
    if !mine {
        caller.require(Permission::ManageUsers, "withdraw other people's requests")?;
    }
    let withdrawn = state.store.withdraw_cover_request(id, request, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::Schedule, id.as_str(), "updated");
    Ok(withdrawn)
}

/// A schedule's requests for cover that have not ended, with names.
pub async fn cover_requests(state: &AppState, id: &ScheduleId) -> ApiResult<Vec<CoverRequestView>> {
    let requests = state.store.cover_requests(id, state.now()).await?;
    let names = Names::of(state, requests.iter().map(|r| r.requester.clone()).collect()).await?;
    Ok(requests.iter().map(|r| CoverRequestView::new(r, &names)).collect())
}

pub async fn remove_override(
    state: &AppState,
    caller: &Caller,
    id: &ScheduleId,
    override_id: &OverrideId,
) -> ApiResult<()> {
    caller.require(Permission::ManageSchedules, "change who is on call")?;
    state.store.remove_override(id, override_id, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::Schedule, id.as_str(), "updated");
    Ok(())
}

pub async fn set_participants(
    state: &AppState,
    caller: &Caller,
    id: &ScheduleId,
    rotation: &RotationId,
    input: SetParticipants,
) -> ApiResult<Schedule> {
    caller.require(Permission::ManageSchedules, "reorder rotations")?;
    let schedule = state
        .store
        .set_rotation_participants(id, rotation, input.participants, &caller.actor(), state.now())
        .await?;
    state.events.publish(Topic::Schedule, id.as_str(), "updated");
    Ok(schedule)
}

pub async fn set_service_schedule(
    state: &AppState,
    caller: &Caller,
    service: &ServiceId,
    tier: Tier,
    input: SetServiceSchedule,
) -> ApiResult<()> {
    caller.require(Permission::ManageServices, "choose a service's schedules")?;
    state
        .store
        .set_service_schedule(service, tier, input.schedule_id.as_ref(), &caller.actor(), state.now())
        .await?;
    state.events.publish(Topic::Service, service.as_str(), "updated");
    Ok(())
}

/// Who is on call at `at` on each of `schedules`, with names.
pub async fn on_call(
    state: &AppState,
    schedules: &[(Option<Tier>, Schedule)],
    at: Timestamp,
) -> ApiResult<Vec<ScheduleOnCall>> {
    let answers: Vec<Vec<OnCall>> = schedules.iter().map(|(_, s)| s.layers.on_call_at(at)).collect();
    let names = Names::of(state, answers.iter().flatten().map(|o| o.person.clone()).collect()).await?;
    Ok(schedules
        .iter()
        .zip(&answers)
        .map(|((tier, schedule), on_call)| ScheduleOnCall {
            schedule_id: schedule.id.clone(),
            schedule_name: schedule.name.clone(),
            tier: tier.map(Tier::as_str),
            on_call: names.on_call(on_call),
        })
        .collect())
}

/// The schedules serving a service's tiers, primary first.
pub async fn service_tiers(
    state: &AppState,
    service: &ServiceId,
) -> ApiResult<Vec<(Option<Tier>, Schedule)>> {
    state.store.get_service(service).await?;
    let mut tiers = Vec::new();
    for (tier, id) in state.store.service_schedules(service).await? {
        tiers.push((Some(tier), state.store.get_schedule(&id).await?));
    }
    Ok(tiers)
}

/// One person's shifts over a window on each of `schedules`, in time order, with the schedule
/// each belongs to.
pub fn shifts_of<'s>(
    schedules: &'s [Schedule],
    person: &UserId,
    from: Timestamp,
    until: Timestamp,
) -> Vec<(&'s Schedule, Shift)> {
    let mut shifts: Vec<(&Schedule, Shift)> = schedules
        .iter()
        .flat_map(|schedule| {
            schedule
                .layers
                .shifts(from, until)
                .into_iter()
                .filter(|s| &s.person == person)
                .map(move |s| (schedule, s))
        })
        .collect();
    shifts.sort_by_key(|(_, shift)| shift.start);
    shifts
}

/// One person's shifts over a window, across every schedule, in time order.
pub async fn person_shifts(
    state: &AppState,
    person: &UserId,
    from: Timestamp,
    until: Timestamp,
) -> ApiResult<Vec<ShiftView>> {
    let user = state.store.get_user(person).await?;
    let names = Names(HashMap::from([(user.id.clone(), user.name)]));
    let schedules = state.store.all_schedules().await?;
    Ok(shifts_of(&schedules, person, from, until)
        .iter()
        .map(|(schedule, shift)| names.shift(&schedule.id, shift))
        .collect())
}
