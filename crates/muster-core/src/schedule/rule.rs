//! Schedule rules: when a rotation (or one fixed person) covers, as weekdays and a daily window of
//! wall-clock times in the schedule's time zone.
//!
//! Windows are half-open: `06:00–18:00` covers 06:00 up to but not including 18:00. A window whose
//! end is before its start crosses midnight (`18:00–06:00` runs into the next morning) and belongs
//! to the weekday it starts on. `AllDay` covers whole calendar days. Both ends go through
//! [`instant_of`](super::wall::instant_of), so windows that meet on the clock meet in time.

use jiff::{
    Span, Timestamp,
    civil::{Date, Time, Weekday},
    tz::TimeZone,
};

use super::wall::instant_of;
use crate::{
    FieldError, Invalid,
    ids::{RotationId, UserId},
};

/// A set of weekdays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weekdays(u8);

impl Weekdays {
    pub const EVERY_DAY: Weekdays = Weekdays(0b111_1111);
    pub const MONDAY_TO_FRIDAY: Weekdays = Weekdays(0b001_1111);

    pub fn of(days: &[Weekday]) -> Self {
        Weekdays(days.iter().fold(0, |mask, day| mask | 1 << day.to_monday_zero_offset()))
    }

    pub fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.to_monday_zero_offset()) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The mask as stored: bit 0 is Monday.
    pub fn bits(self) -> u8 {
        self.0
    }

    pub fn from_bits(bits: u8) -> Self {
        Weekdays(bits & Self::EVERY_DAY.0)
    }

    /// The days in the set, Monday first.
    pub fn days(self) -> Vec<Weekday> {
        (0..7).map(|offset| Weekday::Monday.wrapping_add(offset)).filter(|day| self.contains(*day)).collect()
    }
}

/// Which part of a day a rule covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    AllDay,
    /// From `start` to `end`; an `end` before `start` means the next day.
    Between {
        start: Time,
        end: Time,
    },
}

/// Who a rule puts on call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    Rotation(RotationId),
    Person(UserId),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub coverage: Coverage,
    pub weekdays: Weekdays,
    pub window: Window,
}

impl Rule {
    pub fn new(coverage: Coverage, weekdays: Weekdays, window: Window) -> Result<Self, Invalid> {
        let mut errors = Vec::new();
        if weekdays.is_empty() {
            errors.push(FieldError::new("weekdays", "must include at least one day"));
        }
        if let Window::Between { start, end } = window
            && start == end
        {
            errors.push(FieldError::new(
                "end",
                "must differ from start (use an all-day window for whole days)",
            ));
        }
        if errors.is_empty() { Ok(Rule { coverage, weekdays, window }) } else { Err(Invalid(errors)) }
    }

    /// The instants covered on the window that starts on `day`, if the rule applies that day.
    pub fn window_on(&self, zone: &TimeZone, day: Date) -> Option<(Timestamp, Timestamp)> {
        if !self.weekdays.contains(day.weekday()) {
            return None;
        }
        let next_day = day.checked_add(Span::new().days(1)).ok()?;
        let (start, end) = match self.window {
            Window::AllDay => (day.to_datetime(Time::midnight()), next_day.to_datetime(Time::midnight())),
            Window::Between { start, end } if end > start => (day.to_datetime(start), day.to_datetime(end)),
            Window::Between { start, end } => (day.to_datetime(start), next_day.to_datetime(end)),
        };
        let (start, end) = (instant_of(zone, start)?, instant_of(zone, end)?);
        (start < end).then_some((start, end))
    }

    /// Whether the rule covers `at`. Windows last at most a day, so only the window starting on
    /// `at`'s own date and the one starting the day before can contain it.
    pub fn covers(&self, zone: &TimeZone, at: Timestamp) -> bool {
        let today = zone.to_datetime(at).date();
        let yesterday = today.checked_sub(Span::new().days(1)).ok();
        [Some(today), yesterday]
            .into_iter()
            .flatten()
            .filter_map(|day| self.window_on(zone, day))
            .any(|(start, end)| start <= at && at < end)
    }

    /// The windows that overlap `[from, until)`, in order.
    pub fn windows_between(
        &self,
        zone: &TimeZone,
        from: Timestamp,
        until: Timestamp,
    ) -> Vec<(Timestamp, Timestamp)> {
        let mut windows = Vec::new();
        let Ok(mut day) = zone.to_datetime(from).date().checked_sub(Span::new().days(1)) else {
            return windows;
        };
        let last = zone.to_datetime(until).date();
        while day <= last {
            if let Some((start, end)) = self.window_on(zone, day)
                && start < until
                && end > from
            {
                windows.push((start, end));
            }
            match day.checked_add(Span::new().days(1)) {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        windows
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::{date, time};

    use super::*;

    fn zone(name: &str) -> TimeZone {
        TimeZone::get(name).expect("zone")
    }

    fn ts(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    fn between(start: (i8, i8), end: (i8, i8)) -> Window {
        Window::Between { start: time(start.0, start.1, 0, 0), end: time(end.0, end.1, 0, 0) }
    }

    #[test]
    fn windows_are_half_open_and_may_cross_midnight() {
        let utc = zone("UTC");
        let person = Coverage::Person(UserId("p".into()));
        let day = Rule::new(person.clone(), Weekdays::EVERY_DAY, between((6, 0), (18, 0))).expect("valid");
        let night = Rule::new(person, Weekdays::EVERY_DAY, between((18, 0), (6, 0))).expect("valid");
        let cases = [
            ("2026-11-23T05:59:59Z", false, true),
            ("2026-11-23T06:00:00Z", true, false),
            ("2026-11-23T17:59:59Z", true, false),
            ("2026-11-23T18:00:00Z", false, true),
            ("2026-11-24T00:30:00Z", false, true),
        ];
        for (at, by_day, by_night) in cases {
            assert_eq!((day.covers(&utc, ts(at)), night.covers(&utc, ts(at))), (by_day, by_night), "{at}");
        }
    }

    #[test]
    fn a_night_window_belongs_to_the_day_it_starts() {
        let london = zone("Europe/London");
        // Friday nights only: Friday 18:00 to Saturday 06:00.
        let friday_nights = Rule::new(
            Coverage::Person(UserId("p".into())),
            Weekdays::of(&[Weekday::Friday]),
            between((18, 0), (6, 0)),
        )
        .expect("valid");
        assert!(friday_nights.covers(&london, ts("2026-11-28T03:00:00Z")), "Saturday 03:00");
        assert!(!friday_nights.covers(&london, ts("2026-11-29T03:00:00Z")), "Sunday 03:00");
        let windows =
            friday_nights.windows_between(&london, ts("2026-11-23T00:00:00Z"), ts("2026-11-30T00:00:00Z"));
        assert_eq!(windows, [(ts("2026-11-27T18:00:00Z"), ts("2026-11-28T06:00:00Z"))]);
        assert_eq!(friday_nights.window_on(&london, date(2026, 11, 26)), None, "a Thursday");
    }

    #[test]
    fn bad_rules_name_the_field() {
        let person = Coverage::Person(UserId("p".into()));
        let same =
            Rule::new(person.clone(), Weekdays::EVERY_DAY, between((9, 0), (9, 0))).expect_err("refused");
        assert_eq!(same.0[0].field, "end");
        let none = Rule::new(person, Weekdays::of(&[]), Window::AllDay).expect_err("refused");
        assert_eq!(none.0[0].field, "weekdays");
    }
}
