//! Rotations: who is next. A rotation hands the pager from one participant to the next at fixed
//! wall-clock boundaries in its own time zone.
//!
//! Shift `k` starts at the wall-clock time `start + k × length` (calendar arithmetic: a day is a
//! calendar day, not 24 hours) turned into an instant by [`instant_of`](super::wall::instant_of).
//! So a daily 09:00 hand-off stays at 09:00 across daylight-saving changes, and the shift that
//! spans a change is 23 or 25 hours long. Shifts are contiguous by construction: shift `k` ends
//! exactly where shift `k + 1` starts.
//!
//! Reordering participants never rewrites history: a new order applies from a given shift index
//! onwards (normally the next shift), and earlier shifts keep the order they had.

use jiff::{
    SignedDuration, Span, Timestamp,
    civil::{Date, DateTime, Time, Weekday},
    tz::TimeZone,
};

use super::wall::instant_of;
use crate::{
    Invalid,
    ids::{RotationId, UserId},
    validate::{Checker, FieldError, MAX_NAME_CHARS, required_line},
};

/// How long each shift of a rotation lasts, in wall-clock units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShiftLength {
    Hours(u32),
    Days(u32),
    Weeks(u32),
}

impl ShiftLength {
    /// The unit and count, as stored and shown: `("weeks", 1)`.
    pub fn unit_and_count(self) -> (&'static str, u32) {
        match self {
            ShiftLength::Hours(n) => ("hours", n),
            ShiftLength::Days(n) => ("days", n),
            ShiftLength::Weeks(n) => ("weeks", n),
        }
    }

    pub fn from_unit(field: &str, unit: &str, count: u32) -> Result<Self, FieldError> {
        match unit {
            "hours" => Ok(ShiftLength::Hours(count)),
            "days" => Ok(ShiftLength::Days(count)),
            "weeks" => Ok(ShiftLength::Weeks(count)),
            _ => Err(FieldError::new(field, "must be one of hours, days, weeks")),
        }
    }

    /// The longest shift accepted: a year.
    const MAX_HOURS: u32 = 24 * 366;

    fn hours(self) -> i64 {
        i64::from(match self {
            ShiftLength::Hours(n) => n,
            ShiftLength::Days(n) => n * 24,
            ShiftLength::Weeks(n) => n * 24 * 7,
        })
    }

    /// `k` shift lengths as calendar arithmetic.
    fn times(self, k: i64) -> Span {
        match self {
            ShiftLength::Hours(n) => Span::new().hours(i64::from(n) * k),
            ShiftLength::Days(n) => Span::new().days(i64::from(n) * k),
            ShiftLength::Weeks(n) => Span::new().weeks(i64::from(n) * k),
        }
    }

    /// The length of a shift that spans no transition.
    pub fn nominal(self) -> SignedDuration {
        SignedDuration::from_hours(self.hours())
    }

    fn check(self) -> Result<Self, FieldError> {
        let hours = self.hours();
        if hours <= 0 {
            Err(FieldError::new("shift_length", "must be at least one hour"))
        } else if hours > i64::from(Self::MAX_HOURS) {
            Err(FieldError::new("shift_length", "must be at most a year"))
        } else {
            Ok(self)
        }
    }
}

/// The order of participants from one shift onwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantOrder {
    pub from_shift: i64,
    pub participants: Vec<UserId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rotation {
    pub id: RotationId,
    pub name: String,
    pub time_zone: TimeZone,
    /// The wall-clock start of shift 0 in `time_zone`.
    pub start: DateTime,
    pub shift_length: ShiftLength,
    /// Orders by `from_shift`, ascending; the first applies from shift 0.
    pub orders: Vec<ParticipantOrder>,
}

/// One shift of a rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationShift {
    pub index: i64,
    pub person: UserId,
    pub start: Timestamp,
    pub end: Timestamp,
}

/// Earliest and latest years a rotation may start in; keeps every boundary well inside jiff's range.
const YEARS: std::ops::RangeInclusive<i16> = 2000..=2100;

/// The first hand-off at `time` on or after `from` that falls on `weekday` (any day when `None`).
pub fn first_handoff(from: Date, weekday: Option<Weekday>, time: Time) -> DateTime {
    let date = match weekday {
        Some(weekday) => {
            let ahead =
                (weekday.to_monday_zero_offset() - from.weekday().to_monday_zero_offset()).rem_euclid(7);
            from.checked_add(Span::new().days(i64::from(ahead))).unwrap_or(from)
        }
        None => from,
    };
    date.to_datetime(time)
}

impl Rotation {
    /// A validated rotation; `time_zone` is an IANA name.
    pub fn new(
        id: RotationId,
        name: &str,
        time_zone: &str,
        start: DateTime,
        shift_length: ShiftLength,
        participants: Vec<UserId>,
    ) -> Result<Self, Invalid> {
        let mut checker = Checker::new();
        let name = checker.check(required_line("name", name, MAX_NAME_CHARS));
        let zone = checker.check(crate::user::parse_time_zone("time_zone", time_zone));
        let start = checker.check(if YEARS.contains(&start.year()) {
            Ok(start)
        } else {
            Err(FieldError::new(
                "start",
                format!("must be between the years {} and {}", YEARS.start(), YEARS.end()),
            ))
        });
        let shift_length = checker.check(shift_length.check());
        let participants = checker.check(check_participants(participants));
        checker.finish(|| {
            Some(Rotation {
                id,
                name: name?,
                time_zone: TimeZone::get(&zone?).ok()?,
                start: start?,
                shift_length: shift_length?,
                orders: vec![ParticipantOrder { from_shift: 0, participants: participants? }],
            })
        })
    }

    /// Gives shifts from `from_shift` on a new order of participants; earlier shifts keep theirs.
    pub fn reorder(&mut self, from_shift: i64, participants: Vec<UserId>) -> Result<(), Invalid> {
        let participants = check_participants(participants)?;
        if from_shift < 0 {
            return Err(Invalid::one("from_shift", "must not be negative"));
        }
        self.orders.retain(|order| order.from_shift < from_shift);
        self.orders.push(ParticipantOrder { from_shift, participants });
        Ok(())
    }

    /// The instant shift `k` starts.
    pub fn boundary(&self, k: i64) -> Option<Timestamp> {
        let wall = self.start.checked_add(self.shift_length.times(k)).ok()?;
        instant_of(&self.time_zone, wall)
    }

    /// Who holds shift `k`.
    pub fn person_for(&self, k: i64) -> Option<&UserId> {
        let order = self.orders.iter().rev().find(|order| order.from_shift <= k)?;
        let position = (k - order.from_shift).rem_euclid(order.participants.len() as i64);
        order.participants.get(position as usize)
    }

    /// The index of the shift that covers `at`, or `None` before the rotation starts.
    pub fn index_at(&self, at: Timestamp) -> Option<i64> {
        let first = self.boundary(0)?;
        if at < first {
            return None;
        }
        // Estimate from the nominal length, then step: transitions move a boundary by hours at most.
        let mut k = at.duration_since(first).as_secs() / self.shift_length.nominal().as_secs();
        while k > 0 && self.boundary(k)? > at {
            k -= 1;
        }
        while self.boundary(k + 1)? <= at {
            k += 1;
        }
        Some(k)
    }

    pub fn shift(&self, k: i64) -> Option<RotationShift> {
        Some(RotationShift {
            index: k,
            person: self.person_for(k)?.clone(),
            start: self.boundary(k)?,
            end: self.boundary(k + 1)?,
        })
    }

    pub fn shift_at(&self, at: Timestamp) -> Option<RotationShift> {
        self.shift(self.index_at(at)?)
    }

    /// The shifts that overlap `[from, until)`, in order.
    pub fn shifts_between(&self, from: Timestamp, until: Timestamp) -> Vec<RotationShift> {
        let mut shifts = Vec::new();
        // Before the rotation starts there is no shift; the first one is shift 0.
        let mut k = self.index_at(from).unwrap_or_default();
        while let Some(shift) = self.shift(k) {
            if shift.start >= until {
                break;
            }
            if shift.end > from {
                shifts.push(shift);
            }
            k += 1;
        }
        shifts
    }

    /// The index of the first shift starting at or after `at`: where a reorder made at `at` begins.
    pub fn next_index(&self, at: Timestamp) -> i64 {
        match self.index_at(at) {
            Some(k) if self.boundary(k) == Some(at) => k,
            Some(k) => k + 1,
            None => 0,
        }
    }
}

/// At most this many participants in one rotation.
const MAX_PARTICIPANTS: usize = 500;

fn check_participants(participants: Vec<UserId>) -> Result<Vec<UserId>, FieldError> {
    if participants.is_empty() {
        return Err(FieldError::new("participants", "must name at least one person"));
    }
    if participants.len() > MAX_PARTICIPANTS {
        return Err(FieldError::new("participants", format!("must name at most {MAX_PARTICIPANTS} people")));
    }
    Ok(participants)
}

#[cfg(test)]
mod tests {
    use jiff::civil::{date, time};

    use super::*;

    fn people(names: &[&str]) -> Vec<UserId> {
        names.iter().map(|n| UserId((*n).to_owned())).collect()
    }

    fn rotation(zone: &str, start: DateTime, length: ShiftLength, names: &[&str]) -> Rotation {
        Rotation::new(RotationId("r".into()), "primary", zone, start, length, people(names))
            .expect("valid rotation")
    }

    fn ts(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn a_daily_handoff_keeps_its_wall_clock_time_across_dst() {
        let daily =
            rotation("Europe/London", date(2026, 3, 27).at(9, 0, 0, 0), ShiftLength::Days(1), &["ada", "bo"]);
        // Clocks go forward on 2026-03-29 at 01:00 GMT.
        let shifts = daily.shifts_between(ts("2026-03-28T09:00:00Z"), ts("2026-03-30T09:00:00Z"));
        let summary: Vec<_> = shifts
            .iter()
            .map(|s| (s.person.as_str(), s.start.to_string(), s.end.duration_since(s.start).as_hours()))
            .collect();
        assert_eq!(
            summary,
            [
                ("bo", "2026-03-28T09:00:00Z".to_owned(), 23),
                ("ada", "2026-03-29T08:00:00Z".to_owned(), 24),
                ("bo", "2026-03-30T08:00:00Z".to_owned(), 24),
            ]
        );
    }

    #[test]
    fn the_shift_over_the_autumn_change_is_25_hours() {
        let daily =
            rotation("America/New_York", date(2026, 10, 30).at(9, 0, 0, 0), ShiftLength::Days(1), &["ada"]);
        let over = daily.shift_at(ts("2026-11-01T12:00:00Z")).expect("a shift");
        assert_eq!(over.end.duration_since(over.start).as_hours(), 25);
    }

    #[test]
    fn twelve_hour_shifts_keep_06_and_18() {
        let halves = rotation(
            "America/New_York",
            date(2026, 3, 7).at(6, 0, 0, 0),
            ShiftLength::Hours(12),
            &["day", "night"],
        );
        let shifts = halves.shifts_between(ts("2026-03-07T11:00:00Z"), ts("2026-03-09T10:00:00Z"));
        let local: Vec<_> = shifts
            .iter()
            .map(|s| {
                (
                    s.person.as_str(),
                    halves.time_zone.to_datetime(s.start).time(),
                    s.end.duration_since(s.start).as_hours(),
                )
            })
            .collect();
        assert_eq!(
            local,
            [
                ("day", time(6, 0, 0, 0), 12),
                ("night", time(18, 0, 0, 0), 11),
                ("day", time(6, 0, 0, 0), 12),
                ("night", time(18, 0, 0, 0), 12),
            ]
        );
    }

    #[test]
    fn nobody_is_on_call_before_the_rotation_starts() {
        let daily = rotation("UTC", date(2026, 1, 1).at(0, 0, 0, 0), ShiftLength::Days(1), &["ada"]);
        assert_eq!(daily.shift_at(ts("2025-12-31T23:59:59Z")), None);
        assert_eq!(daily.shift_at(ts("2026-01-01T00:00:00Z")).map(|s| s.index), Some(0));
    }

    #[test]
    fn reordering_changes_only_the_shifts_to_come() {
        let mut weekly =
            rotation("UTC", date(2026, 1, 5).at(9, 0, 0, 0), ShiftLength::Weeks(1), &["a", "b", "c"]);
        let before: Vec<_> = (0..6).map(|k| weekly.person_for(k).cloned()).collect();
        let now = ts("2026-01-21T12:00:00Z");
        let next = weekly.next_index(now);
        assert_eq!(next, 3);
        weekly.reorder(next, people(&["c", "a"])).expect("valid order");
        let after: Vec<_> = (0..6).map(|k| weekly.person_for(k).map(|p| p.as_str().to_owned())).collect();
        assert_eq!(
            &before[..3],
            &after.iter().take(3).map(|p| p.clone().map(UserId)).collect::<Vec<_>>()[..]
        );
        assert_eq!(after[3..], [Some("c".to_owned()), Some("a".to_owned()), Some("c".to_owned())]);
    }

    #[test]
    fn bad_rotations_name_the_field() {
        let bad = Rotation::new(
            RotationId("r".into()),
            "",
            "Mars/Base",
            date(1990, 1, 1).at(0, 0, 0, 0),
            ShiftLength::Hours(0),
            vec![],
        )
        .expect_err("invalid");
        let fields: Vec<_> = bad.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "time_zone", "start", "shift_length", "participants"]);
    }

    #[test]
    fn the_first_handoff_falls_on_the_asked_weekday() {
        // 2026-11-23 is a Monday.
        assert_eq!(
            first_handoff(date(2026, 11, 23), Some(Weekday::Wednesday), time(9, 0, 0, 0)),
            date(2026, 11, 25).at(9, 0, 0, 0)
        );
        assert_eq!(
            first_handoff(date(2026, 11, 23), Some(Weekday::Monday), time(9, 0, 0, 0)),
            date(2026, 11, 23).at(9, 0, 0, 0)
        );
        assert_eq!(
            first_handoff(date(2026, 11, 24), Some(Weekday::Monday), time(9, 0, 0, 0)),
            date(2026, 11, 30).at(9, 0, 0, 0)
        );
    }
}
