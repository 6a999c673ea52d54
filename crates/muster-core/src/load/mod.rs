//! Operational load per shift, as the seed measures it: the pages a person on call received
//! (pages within a minute of each other are one interruption), how many came outside working
//! hours and at night in their own zone, the tickets they worked, the incidents they took part in,
//! and the time those cost (an incident counts six hours unless its measured response was
//! longer). The budget is at most two incidents per twelve-hour shift, pro rata; a shift over it
//! is flagged. `toil` ranks the alerts that cost the most for the least.

use jiff::{SignedDuration, Timestamp, civil::Weekday, tz::TimeZone};
use serde::Serialize;

use crate::ids::UserId;

mod advice;
mod sizing;
mod toil;

#[cfg(test)]
mod tests;

pub use advice::{Advice, ServiceActivity, advice};
pub use sizing::{Demand, Design, Seat, SizingModel, recommended, size};
pub use toil::{AlertFacts, NoisyAlert, ResponseFigures, Toil, WeekFigures, toil};

/// The figures the load is measured against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadPolicy {
    /// Incidents a 12-hour shift can absorb.
    pub incidents_per_12_hours: f64,
    /// What an incident costs at least.
    pub incident_time: SignedDuration,
    /// Pages closer together than this are one interruption.
    pub interruption_window: SignedDuration,
    /// Working hours, Monday to Friday, in the person's zone: from this hour to that one.
    pub working_hours: (i8, i8),
    /// Night, every day, in the person's zone: from this hour until that one the next morning.
    pub night_hours: (i8, i8),
}

impl Default for LoadPolicy {
    fn default() -> Self {
        LoadPolicy {
            incidents_per_12_hours: 2.0,
            incident_time: SignedDuration::from_hours(6),
            interruption_window: SignedDuration::from_secs(60),
            working_hours: (9, 17),
            night_hours: (22, 7),
        }
    }
}

/// An incident someone took part in: when it was declared, and resolved if it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentWork {
    pub number: i64,
    pub declared_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
}

/// One person's shift and what happened in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShiftLoad {
    pub person: UserId,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub start: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub end: Timestamp,
    pub pages: u32,
    /// Pages, counting those within the interruption window of the one before as one.
    pub interruptions: u32,
    pub off_hours_pages: u32,
    pub night_pages: u32,
    pub tickets: u32,
    /// The numbers of the incidents declared in the shift that the person took part in.
    pub incidents: Vec<i64>,
    /// The time the incidents cost, in minutes.
    pub incident_minutes: i64,
    /// Incidents the shift could absorb: two per twelve hours, pro rata.
    pub incident_budget: f64,
    pub over_budget: bool,
}

fn is_within(at: Timestamp, start: Timestamp, end: Timestamp) -> bool {
    start <= at && at < end
}

/// Outside Monday to Friday's working hours in `zone`.
pub(crate) fn is_off_hours(at: Timestamp, zone: &TimeZone, policy: &LoadPolicy) -> bool {
    let local = at.to_zoned_datetime(zone.clone());
    let weekend = matches!(local.weekday(), Weekday::Saturday | Weekday::Sunday);
    let (from, until) = policy.working_hours;
    weekend || local.hour() < from || local.hour() >= until
}

fn is_night(at: Timestamp, zone: &TimeZone, policy: &LoadPolicy) -> bool {
    let hour = at.to_zoned_datetime(zone.clone()).hour();
    let (from, until) = policy.night_hours;
    if from <= until { hour >= from && hour < until } else { hour >= from || hour < until }
}

/// Interruptions among page times: a page within the window of the one that began the current
/// interruption belongs to it.
fn interruptions(times: &mut [Timestamp], window: SignedDuration) -> u32 {
    times.sort();
    let mut count = 0;
    let mut began: Option<Timestamp> = None;
    for at in times.iter() {
        if began.is_none_or(|b| at.duration_since(b) >= window) {
            count += 1;
            began = Some(*at);
        }
    }
    count
}

/// What one person did on call over some period: the times they were paged (one per page), the
/// times they worked tickets, and the incidents they took part in.
#[derive(Debug, Clone, Copy, Default)]
pub struct Work<'a> {
    pub pages: &'a [Timestamp],
    pub tickets: &'a [Timestamp],
    pub incidents: &'a [IncidentWork],
}

/// The load of `person`'s shift from `start` to `end`, in their `zone`, from their `work`.
pub fn shift_load(
    person: &UserId,
    (start, end): (Timestamp, Timestamp),
    zone: &TimeZone,
    work: Work<'_>,
    now: Timestamp,
    policy: &LoadPolicy,
) -> ShiftLoad {
    let Work { pages, tickets, incidents } = work;
    let mut paged: Vec<Timestamp> = pages.iter().copied().filter(|at| is_within(*at, start, end)).collect();
    let incidents: Vec<&IncidentWork> =
        incidents.iter().filter(|i| is_within(i.declared_at, start, end)).collect();
    let incident_minutes = incidents
        .iter()
        .map(|i| {
            i.resolved_at.unwrap_or(now).duration_since(i.declared_at).max(policy.incident_time).as_mins()
        })
        .sum();
    let hours = end.duration_since(start).as_secs_f64() / 3600.0;
    let incident_budget = policy.incidents_per_12_hours * hours / 12.0;
    ShiftLoad {
        person: person.clone(),
        start,
        end,
        pages: u32::try_from(paged.len()).unwrap_or(u32::MAX),
        off_hours_pages: u32::try_from(paged.iter().filter(|at| is_off_hours(**at, zone, policy)).count())
            .unwrap_or(u32::MAX),
        night_pages: u32::try_from(paged.iter().filter(|at| is_night(**at, zone, policy)).count())
            .unwrap_or(u32::MAX),
        interruptions: interruptions(&mut paged, policy.interruption_window),
        tickets: u32::try_from(tickets.iter().filter(|at| is_within(**at, start, end)).count())
            .unwrap_or(u32::MAX),
        over_budget: incidents.len() as f64 > incident_budget + 1e-9,
        incidents: incidents.iter().map(|i| i.number).collect(),
        incident_minutes,
        incident_budget: (incident_budget * 100.0).round() / 100.0,
    }
}

/// A person's load over many shifts, added up.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonLoad {
    pub person: Option<UserId>,
    pub shifts: u32,
    pub on_call_hours: f64,
    pub pages: u32,
    pub interruptions: u32,
    pub off_hours_pages: u32,
    pub night_pages: u32,
    pub tickets: u32,
    pub incidents: u32,
    pub incident_minutes: i64,
    pub shifts_over_budget: u32,
    pub quiet_shifts: u32,
}

/// Each person's totals over `shifts`, in the order people first appear.
pub fn per_person(shifts: &[ShiftLoad]) -> Vec<PersonLoad> {
    let mut people: Vec<PersonLoad> = Vec::new();
    for shift in shifts {
        let index = match people.iter().position(|p| p.person.as_ref() == Some(&shift.person)) {
            Some(index) => index,
            None => {
                people.push(PersonLoad { person: Some(shift.person.clone()), ..PersonLoad::default() });
                people.len() - 1
            }
        };
        let total = &mut people[index];
        total.shifts += 1;
        total.on_call_hours += shift.end.duration_since(shift.start).as_secs_f64() / 3600.0;
        total.pages += shift.pages;
        total.interruptions += shift.interruptions;
        total.off_hours_pages += shift.off_hours_pages;
        total.night_pages += shift.night_pages;
        total.tickets += shift.tickets;
        total.incidents += u32::try_from(shift.incidents.len()).unwrap_or(u32::MAX);
        total.incident_minutes += shift.incident_minutes;
        total.shifts_over_budget += u32::from(shift.over_budget);
        total.quiet_shifts += u32::from(shift.pages == 0 && shift.incidents.is_empty());
    }
    people
}
