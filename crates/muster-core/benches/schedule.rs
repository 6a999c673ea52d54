//! Schedule arithmetic in release mode: who is on call now across 10,000 schedules with
//! overrides, and a year of shifts for one schedule.
//!
//! Run with `cargo bench -p muster-core --bench schedule`; results go in BENCHMARKS.md.

use std::{hint::black_box, time::Instant};

use jiff::{
    SignedDuration, Timestamp,
    civil::{Time, date},
    tz::TimeZone,
};
use muster_core::{
    ids::{OverrideId, RotationId, UserId},
    schedule::{Coverage, Layers, Override, OverrideKind, Rotation, Rule, ShiftLength, Weekdays, Window},
};

const ZONES: [&str; 5] =
    ["America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Sydney", "America/Los_Angeles"];

/// A realistic schedule: a weekly rotation of five around the clock, a daily rotation of three in
/// office hours, and three overrides in the coming month.
fn schedule(n: usize, now: Timestamp) -> Layers {
    let zone = ZONES[n % ZONES.len()];
    let people = |prefix: &str, count: usize| {
        (0..count).map(|i| UserId(format!("{prefix}{n}-{i}"))).collect::<Vec<_>>()
    };
    let weekly = Rotation::new(
        RotationId("w".into()),
        "primary",
        zone,
        date(2025, 1, 6).at(9, 0, 0, 0),
        ShiftLength::Weeks(1),
        people("p", 5),
    )
    .expect("rotation");
    let daily = Rotation::new(
        RotationId("d".into()),
        "office",
        zone,
        date(2025, 1, 6).at(9, 0, 0, 0),
        ShiftLength::Days(1),
        people("o", 3),
    )
    .expect("rotation");
    let rules = vec![
        Rule::new(Coverage::Rotation(weekly.id.clone()), Weekdays::EVERY_DAY, Window::AllDay).expect("rule"),
        Rule::new(
            Coverage::Rotation(daily.id.clone()),
            Weekdays::MONDAY_TO_FRIDAY,
            Window::Between { start: Time::constant(9, 0, 0, 0), end: Time::constant(17, 0, 0, 0) },
        )
        .expect("rule"),
    ];
    let overrides = (0..3)
        .map(|i| Override {
            id: OverrideId(format!("o{i}")),
            kind: OverrideKind::Add { person: UserId(format!("cover{n}-{i}")) },
            start: now + SignedDuration::from_hours(24 * 7 * i),
            end: now + SignedDuration::from_hours(24 * 7 * i + 8),
        })
        .collect();
    Layers { time_zone: TimeZone::get(zone).expect("zone"), rotations: vec![weekly, daily], rules, overrides }
}

fn main() {
    let now: Timestamp = "2026-11-23T14:30:00Z".parse().expect("timestamp");
    let schedules: Vec<Layers> = (0..10_000).map(|n| schedule(n, now)).collect();

    let rounds = 5;
    let started = Instant::now();
    let mut on_call = 0;
    for _ in 0..rounds {
        for layers in &schedules {
            on_call += black_box(layers.on_call_at(black_box(now))).len();
        }
    }
    let per_schedule = started.elapsed() / (rounds * schedules.len()) as u32;
    println!(
        "on call now: {per_schedule:?} per schedule ({} schedules × {rounds} rounds, {on_call} people found)",
        schedules.len()
    );

    let year = SignedDuration::from_hours(24 * 365);
    let rounds = 50;
    let started = Instant::now();
    let mut shifts = 0;
    for _ in 0..rounds {
        shifts = black_box(schedules[1].shifts(black_box(now), now + year)).len();
    }
    println!(
        "a year of shifts: {:?} per schedule ({shifts} shifts, {rounds} rounds)",
        started.elapsed() / rounds
    );
}
