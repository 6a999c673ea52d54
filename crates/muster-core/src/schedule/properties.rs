//! Property tests of the time rules in the module docs, over zones with unusual transitions and
//! ten years of dates: continuity of rotations, exact cover by rules that meet on the clock, and
//! agreement between the shift list and point queries.

use jiff::{
    SignedDuration, Span, Timestamp,
    civil::{Date, Time, date},
    tz::TimeZone,
};
use proptest::prelude::*;

use super::{
    layers::Layers,
    rotation::{Rotation, ShiftLength},
    rule::{Coverage, Rule, Weekdays, Window},
    wall::instant_of,
};
use crate::ids::{RotationId, UserId};

/// New York and London (one-hour changes at 02:00 and 01:00), Lord Howe (30-minute change), Kolkata
/// (none), Chatham (+12:45/+13:45), Santiago (changes at midnight) and St John's (-03:30).
const ZONES: [&str; 7] = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/Santiago",
    "America/St_Johns",
];

fn zone(index: usize) -> TimeZone {
    TimeZone::get(ZONES[index]).expect("bundled zone")
}

fn day_in_ten_years(offset: i64) -> Date {
    date(2026, 1, 1).checked_add(Span::new().days(offset)).expect("in range")
}

fn at_minutes(minutes: i64) -> Time {
    Time::midnight().checked_add(Span::new().minutes(minutes)).expect("within a day")
}

fn person(name: &str) -> Coverage {
    Coverage::Person(UserId(name.to_owned()))
}

fn length_strategy() -> impl Strategy<Value = ShiftLength> {
    prop_oneof![
        (1u32..=48).prop_map(ShiftLength::Hours),
        (1u32..=14).prop_map(ShiftLength::Days),
        (1u32..=4).prop_map(ShiftLength::Weeks)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Shifts follow each other without gap or overlap, keep their wall-clock hand-off time unless
    /// it was skipped, and differ from the nominal length by at most the zone's DST change.
    #[test]
    fn rotations_are_continuous_and_keep_their_handoff_time(
        zone_index in 0..ZONES.len(),
        start_day in 0i64..3650,
        handoff_minutes in (0i64..48).prop_map(|half_hours| half_hours * 30),
        length in length_strategy(),
    ) {
        let tz = zone(zone_index);
        let start = day_in_ten_years(start_day).to_datetime(at_minutes(handoff_minutes));
        let rotation = Rotation::new(RotationId("r".into()), "r", ZONES[zone_index], start, length, vec![UserId("a".into()), UserId("b".into())])
            .expect("valid rotation");
        let from = rotation.boundary(0).expect("in range");
        let shifts = rotation.shifts_between(from, from + SignedDuration::from_hours(24 * 400));
        prop_assert!(!shifts.is_empty());
        for pair in shifts.windows(2) {
            prop_assert_eq!(pair[0].end, pair[1].start, "contiguous");
            prop_assert_ne!(&pair[0].person, &pair[1].person, "two participants alternate");
        }
        for shift in &shifts {
            let drift = (shift.end.duration_since(shift.start) - length.nominal()).abs();
            prop_assert!(drift <= SignedDuration::from_hours(1), "shift {} drifts {drift:?}", shift.index);
            let wall = start.checked_add(match length {
                ShiftLength::Hours(n) => Span::new().hours(i64::from(n) * shift.index),
                ShiftLength::Days(n) => Span::new().days(i64::from(n) * shift.index),
                ShiftLength::Weeks(n) => Span::new().weeks(i64::from(n) * shift.index),
            }).expect("in range");
            let shown = tz.to_datetime(shift.start);
            if shown != wall {
                // Only a skipped wall time may move, and only forward to the transition.
                prop_assert!(shown > wall, "{wall} became {shown}");
                prop_assert!(tz.preceding(shift.start + SignedDuration::from_secs(1)).next().is_some_and(|t| t.timestamp() == shift.start));
            }
        }
    }

    /// Two rules that meet on the clock (`s–e` and `e–s`, every day) cover every instant exactly
    /// once, in every zone, on every day, transitions included.
    #[test]
    fn rules_that_meet_on_the_clock_cover_exactly_once(
        zone_index in 0..ZONES.len(),
        day in 0i64..3650,
        minute_of_day in 0i64..(24 * 60),
        (start, end) in (0i64..48, 0i64..48).prop_filter("distinct", |(s, e)| s != e),
    ) {
        let tz = zone(zone_index);
        let (start, end) = (at_minutes(start * 30), at_minutes(end * 30));
        let layers = Layers {
            time_zone: tz.clone(),
            rotations: vec![],
            rules: vec![
                Rule::new(person("a"), Weekdays::EVERY_DAY, Window::Between { start, end }).expect("rule"),
                Rule::new(person("b"), Weekdays::EVERY_DAY, Window::Between { start: end, end: start }).expect("rule"),
            ],
            overrides: vec![],
        };
        let at = instant_of(&tz, day_in_ten_years(day).to_datetime(at_minutes(minute_of_day))).expect("in range");
        prop_assert_eq!(layers.on_call_at(at).len(), 1, "at {}", at);
    }

    /// The shift list and the point query agree at every instant of a window.
    #[test]
    fn shifts_agree_with_point_queries(
        zone_index in 0..ZONES.len(),
        day in 0i64..3650,
        length in length_strategy(),
        probes in proptest::collection::vec(0i64..(14 * 24 * 60), 20),
    ) {
        let tz = zone(zone_index);
        let start = day_in_ten_years(day).to_datetime(at_minutes(9 * 60));
        let rotation = Rotation::new(RotationId("r".into()), "r", ZONES[zone_index], start, length, vec![UserId("a".into()), UserId("b".into()), UserId("c".into())])
            .expect("valid");
        let layers = Layers {
            time_zone: tz.clone(),
            rules: vec![
                Rule::new(Coverage::Rotation(rotation.id.clone()), Weekdays::MONDAY_TO_FRIDAY, Window::Between { start: at_minutes(8 * 60), end: at_minutes(20 * 60) }).expect("rule"),
                Rule::new(person("weekend"), Weekdays::of(&[jiff::civil::Weekday::Saturday, jiff::civil::Weekday::Sunday]), Window::AllDay).expect("rule"),
            ],
            rotations: vec![rotation],
            overrides: vec![],
        };
        let from = instant_of(&tz, start).expect("in range");
        let until = from + SignedDuration::from_hours(14 * 24);
        let shifts = layers.shifts(from, until);
        for minutes in probes {
            let at = from + SignedDuration::from_mins(minutes);
            let mut by_shifts: Vec<_> = shifts.iter().filter(|s| s.start <= at && at < s.end).map(|s| s.person.clone()).collect();
            let mut by_point: Vec<_> = layers.on_call_at(at).into_iter().map(|o| o.person).collect();
            by_shifts.sort();
            by_point.sort();
            prop_assert_eq!(by_shifts, by_point, "at {}", at);
        }
    }
}

/// Every transition of every zone in ten years, checked directly rather than sampled: around each
/// one, rules meeting at midnight, 01:00, 02:00, 02:30 and 03:00 still cover exactly once.
#[test]
fn every_transition_in_ten_years_keeps_exact_cover() {
    let from: Timestamp = "2026-01-01T00:00:00Z".parse().expect("timestamp");
    let until: Timestamp = "2036-01-01T00:00:00Z".parse().expect("timestamp");
    let mut checked = 0;
    for name in ZONES {
        let tz = TimeZone::get(name).expect("bundled zone");
        for transition in tz.following(from).take_while(|t| t.timestamp() < until) {
            for meeting in [0, 60, 120, 150, 180] {
                let (a, b) = (at_minutes(meeting), at_minutes((meeting + 12 * 60) % (24 * 60)));
                let layers = Layers {
                    time_zone: tz.clone(),
                    rotations: vec![],
                    rules: vec![
                        Rule::new(person("a"), Weekdays::EVERY_DAY, Window::Between { start: a, end: b })
                            .expect("rule"),
                        Rule::new(person("b"), Weekdays::EVERY_DAY, Window::Between { start: b, end: a })
                            .expect("rule"),
                    ],
                    overrides: vec![],
                };
                let mut at = transition.timestamp() - SignedDuration::from_hours(3);
                while at < transition.timestamp() + SignedDuration::from_hours(3) {
                    assert_eq!(layers.on_call_at(at).len(), 1, "{name} at {at}, rules meeting at {a}");
                    at += SignedDuration::from_mins(15);
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 80, "ten years of transitions in several zones ({checked})");
}
