//! The intake's rules, signal by signal.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::ids::{AlertId, ServiceId};

fn now() -> Timestamp {
    "2026-11-23T09:00:00Z".parse().unwrap()
}

fn service() -> ServiceId {
    ServiceId("payments".into())
}

fn monitor() -> ActedBy {
    ActedBy::monitor("pagerduty key \"prod\"")
}

fn trigger(key: &str, severity: Severity) -> Signal {
    let mut signal = Signal::new(SignalAction::Trigger, Some(key.into()));
    signal.summary = format!("{key} is broken");
    signal.source = "db-1".into();
    signal.severity = severity;
    signal
}

fn action(action: SignalAction, key: &str) -> Signal {
    Signal::new(action, Some(key.into()))
}

fn rules(cap: Option<u32>, in_maintenance: bool) -> HashMap<ServiceId, ServiceRules> {
    HashMap::from([(
        service(),
        ServiceRules {
            priorities: PriorityMap::default(),
            open_alert_cap: cap,
            in_maintenance,
            open_alerts: 0,
        },
    )])
}

/// Runs signals through a fresh intake and returns the outcomes and the changes.
fn run(
    rules: HashMap<ServiceId, ServiceRules>,
    open: Vec<Alert>,
    signals: &[Signal],
) -> (Vec<Outcome>, Changes) {
    let mut next = 0;
    let mut intake = Intake::new(rules, open, || {
        next += 1;
        AlertId(format!("A{next}"))
    });
    let by = monitor();
    let service = service();
    let outcomes = signals
        .iter()
        .enumerate()
        .map(|(i, signal)| {
            intake.apply(Arrival {
                service: &service,
                signal,
                by: &by,
                origin: "pagerduty",
                received_at: now() + SignedDuration::from_secs(i as i64),
            })
        })
        .collect();
    (outcomes, intake.finish())
}

fn id(text: &str) -> AlertId {
    AlertId(text.into())
}

#[test]
fn repeats_of_an_open_key_count_on_one_alert() {
    let signals = [
        trigger("disk", Severity::Warning),
        trigger("disk", Severity::Warning),
        trigger("disk", Severity::Warning),
    ];
    let (outcomes, changes) = run(rules(None, false), vec![], &signals);
    assert_eq!(
        outcomes,
        [Outcome::Opened(id("A1")), Outcome::Repeated(id("A1")), Outcome::Repeated(id("A1"))]
    );
    assert_eq!(changes.alerts.len(), 1);
    let alert = &changes.alerts[0];
    assert_eq!(alert.occurrences, 3);
    assert_eq!(alert.first_seen_at, now());
    assert_eq!(alert.last_seen_at, now() + SignedDuration::from_secs(2));
    let kinds: Vec<_> = changes.log.iter().map(|(_, e)| e.kind).collect();
    assert_eq!(kinds, [LogKind::Triggered, LogKind::Repeated, LogKind::Repeated]);
    assert_eq!(changes.open_delta[&service()], 1);
}

#[test]
fn the_same_summary_under_another_key_is_another_alert() {
    let mut other = trigger("disk-2", Severity::Warning);
    other.summary = "disk is broken".into();
    let (outcomes, _) = run(rules(None, false), vec![], &[trigger("disk", Severity::Warning), other]);
    assert_eq!(outcomes, [Outcome::Opened(id("A1")), Outcome::Opened(id("A2"))]);
}

#[test]
fn after_resolve_the_same_key_opens_a_new_alert() {
    let signals = [
        trigger("disk", Severity::Error),
        action(SignalAction::Resolve, "disk"),
        action(SignalAction::Resolve, "disk"),
        trigger("disk", Severity::Error),
    ];
    let (outcomes, changes) = run(rules(None, false), vec![], &signals);
    assert_eq!(
        outcomes,
        [Outcome::Opened(id("A1")), Outcome::Resolved(id("A1")), Outcome::Ignored, Outcome::Opened(id("A2"))]
    );
    let first = changes.alerts.iter().find(|a| a.id == id("A1")).unwrap();
    assert_eq!(first.status, AlertStatus::Resolved);
    assert_eq!(first.resolved_by.as_ref().unwrap().name, monitor().name);
    assert_eq!(changes.open_delta[&service()], 1, "one opened, resolved, one opened again");
}

#[test]
fn acknowledging_twice_changes_nothing_the_second_time() {
    let signals = [
        trigger("disk", Severity::Error),
        action(SignalAction::Acknowledge, "disk"),
        action(SignalAction::Acknowledge, "disk"),
    ];
    let (outcomes, changes) = run(rules(None, false), vec![], &signals);
    assert_eq!(outcomes[1], Outcome::Acknowledged(id("A1")));
    assert_eq!(outcomes[2], Outcome::Unchanged(id("A1")));
    assert_eq!(changes.alerts[0].status, AlertStatus::Acknowledged);
    assert_eq!(changes.log.len(), 2);
    assert_eq!(
        run(rules(None, false), vec![], &[action(SignalAction::Acknowledge, "nope")]).0,
        [Outcome::Ignored]
    );
}

#[test]
fn an_open_alert_from_an_earlier_batch_is_repeated_not_reopened() {
    let (_, first) = run(rules(None, false), vec![], &[trigger("disk", Severity::Info)]);
    let stored = first.alerts;
    let (outcomes, changes) = run(rules(None, false), stored, &[trigger("disk", Severity::Critical)]);
    assert_eq!(outcomes, [Outcome::Repeated(id("A1"))]);
    let alert = &changes.alerts[0];
    assert_eq!(alert.occurrences, 2);
    assert_eq!(alert.severity, Severity::Critical);
    assert_eq!(alert.priority, Priority::BusinessCritical, "priority rises with a worse repeat");
    assert!(changes.open_delta.get(&service()).is_none_or(|d| *d == 0));
}

#[test]
fn priority_follows_the_service_map_and_never_falls_while_open() {
    let mut map = rules(None, false);
    map.get_mut(&service()).unwrap().priorities.warning = Priority::Urgent;
    let (_, changes) = run(map, vec![], &[trigger("lag", Severity::Warning), trigger("lag", Severity::Info)]);
    assert_eq!(changes.alerts[0].priority, Priority::Urgent);
    assert_eq!(changes.alerts[0].severity, Severity::Info);
}

#[test]
fn maintenance_keeps_the_alert_but_suppresses_its_page() {
    let (outcomes, changes) = run(rules(None, true), vec![], &[trigger("deploy", Severity::Critical)]);
    assert_eq!(outcomes, [Outcome::Opened(id("A1"))]);
    assert!(changes.alerts[0].suppressed);
    assert!(changes.log[0].1.message.contains("maintenance"));
}

#[test]
fn past_the_cap_new_alerts_are_grouped_into_one_storm_alert_and_none_is_lost() {
    let signals: Vec<Signal> = (0..6).map(|i| trigger(&format!("host-{i}"), Severity::Warning)).collect();
    let mut signals = signals;
    signals.push(trigger("host-0", Severity::Warning));
    signals.push(trigger("host-5", Severity::Critical));
    let (outcomes, changes) = run(rules(Some(3), false), vec![], &signals);
    assert_eq!(
        &outcomes[..3],
        [Outcome::Opened(id("A1")), Outcome::Opened(id("A2")), Outcome::Opened(id("A3"))]
    );
    let storm = id("A4");
    assert_eq!(
        &outcomes[3..6],
        [
            Outcome::Grouped { storm: storm.clone() },
            Outcome::Grouped { storm: storm.clone() },
            Outcome::Grouped { storm: storm.clone() }
        ]
    );
    assert_eq!(outcomes[6], Outcome::Repeated(id("A1")), "an alert open before the storm still deduplicates");
    assert_eq!(outcomes[7], Outcome::Grouped { storm: storm.clone() });
    let alert = changes.alerts.iter().find(|a| a.id == storm).unwrap();
    assert!(alert.is_storm());
    assert_eq!(alert.dedup_key, STORM_DEDUP_KEY);
    assert_eq!(alert.grouped, 4);
    assert_eq!(alert.priority, Priority::BusinessCritical);
    let grouped: Vec<_> = changes
        .log
        .iter()
        .filter(|(_, e)| e.kind == LogKind::Grouped)
        .map(|(_, e)| e.details["dedup_key"].clone())
        .collect();
    assert_eq!(grouped, ["host-3", "host-4", "host-5", "host-5"]);
    assert_eq!(changes.open_delta[&service()], 4, "three alerts and the storm alert");
}

#[test]
fn resolving_below_the_cap_lets_new_alerts_open_again() {
    let signals = [
        trigger("a", Severity::Error),
        trigger("b", Severity::Error),
        action(SignalAction::Resolve, "a"),
        trigger("c", Severity::Error),
    ];
    let (outcomes, _) = run(rules(Some(2), false), vec![], &signals);
    assert_eq!(outcomes[3], Outcome::Opened(id("A3")));
}

#[test]
fn people_acknowledge_and_resolve_with_clear_results() {
    let (_, changes) = run(rules(None, false), vec![], &[trigger("disk", Severity::Error)]);
    let mut alert = changes.alerts[0].clone();
    let ada = ActedBy::user(crate::ids::UserId("u1".into()), "Ada");
    assert!(matches!(alert.acknowledge(&ada, serde_json::Value::Null, now()), Ok(Transition::Changed(_))));
    assert_eq!(alert.acknowledged_by.as_ref().unwrap().name, "Ada");
    assert_eq!(alert.acknowledge(&ada, serde_json::Value::Null, now()), Ok(Transition::Unchanged));
    assert!(matches!(alert.resolve(&ada, serde_json::Value::Null, now()), Ok(Transition::Changed(_))));
    assert_eq!(alert.resolve(&ada, serde_json::Value::Null, now()), Err(AlreadyResolved));
    assert_eq!(alert.acknowledge(&ada, serde_json::Value::Null, now()), Err(AlreadyResolved));
}
