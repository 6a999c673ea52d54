//! Deduplication, maintenance and storm grouping: how a batch of signals changes a service's open
//! alerts. The store loads the open alerts a batch can touch, feeds every signal through an
//! [`Intake`] in arrival order, and writes back what changed in the same transaction.
//!
//! The rules:
//! - One open alert per (service, dedup key). A trigger for an open key is a repeat: the count and
//!   last-seen time go up, the summary and details become the latest, and the priority only rises.
//! - After an alert is resolved, the same key opens a new alert. Summaries never deduplicate.
//! - Acknowledge and resolve act on the open alert of their key; with none open they are ignored.
//! - An alert opened during a maintenance window is suppressed: kept and shown, paging no one.
//! - Past the service's open-alert cap, a new alert is not opened but grouped into the service's one
//!   open storm alert (opened on the first such arrival), whose log lists every grouped alert.
//!   Nothing is dropped.

use std::collections::HashMap;

use jiff::Timestamp;
use serde_json::{Value, json};

use super::{
    priority::PriorityMap,
    record::{ActedBy, Alert, AlertLogEntry, AlertStatus, LogKind, STORM_ORIGIN, Transition, entry},
    signal::{Signal, SignalAction},
};
use crate::ids::{AlertId, ServiceId};

/// The dedup key of a service's storm alert.
pub const STORM_DEDUP_KEY: &str = "muster:alert-storm";

/// What the intake needs to know about a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRules {
    pub priorities: PriorityMap,
    /// Open alerts past which new ones are grouped; `None` for no cap.
    pub open_alert_cap: Option<u32>,
    /// Whether a maintenance window is in effect now.
    pub in_maintenance: bool,
    /// How many alerts of the service are open now, storm alert included.
    pub open_alerts: u32,
}

/// What one signal did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Opened(AlertId),
    Repeated(AlertId),
    /// Past the cap: counted on the storm alert instead.
    Grouped {
        storm: AlertId,
    },
    Acknowledged(AlertId),
    Resolved(AlertId),
    /// An acknowledge for an acknowledged alert.
    Unchanged(AlertId),
    /// An acknowledge or resolve with no open alert for its key.
    Ignored,
}

impl Outcome {
    /// The alert the signal landed on, if any.
    pub fn alert_id(&self) -> Option<&AlertId> {
        match self {
            Outcome::Opened(id)
            | Outcome::Repeated(id)
            | Outcome::Acknowledged(id)
            | Outcome::Resolved(id)
            | Outcome::Unchanged(id)
            | Outcome::Grouped { storm: id } => Some(id),
            Outcome::Ignored => None,
        }
    }
}

/// One signal as the intake receives it.
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    pub service: &'a ServiceId,
    pub signal: &'a Signal,
    /// The key or person that sent it.
    pub by: &'a ActedBy,
    /// How it arrived (`pagerduty`, `heartbeat`, …), kept as the alert's origin.
    pub origin: &'a str,
    pub received_at: Timestamp,
}

/// The changes a batch makes, ready to be written.
#[derive(Debug, Default)]
pub struct Changes {
    /// Every alert that was opened or changed, in its final state.
    pub alerts: Vec<Alert>,
    /// New log entries, in order.
    pub log: Vec<(AlertId, AlertLogEntry)>,
    /// How many more (or fewer) open alerts each touched service has.
    pub open_delta: HashMap<ServiceId, i64>,
}

/// The open alerts a batch can touch, and the changes made so far.
pub struct Intake<'f> {
    rules: HashMap<ServiceId, ServiceRules>,
    alerts: Vec<Alert>,
    changed: Vec<bool>,
    open: HashMap<(ServiceId, String), usize>,
    changes: Changes,
    new_id: Box<dyn FnMut() -> AlertId + Send + 'f>,
}

impl std::fmt::Debug for Intake<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Intake").field("alerts", &self.alerts.len()).finish_non_exhaustive()
    }
}

impl<'f> Intake<'f> {
    /// Starts from the services' rules and their open alerts with the keys the batch mentions
    /// (storm alerts included); `new_id` names alerts that open.
    pub fn new(
        rules: HashMap<ServiceId, ServiceRules>,
        open_alerts: Vec<Alert>,
        new_id: impl FnMut() -> AlertId + Send + 'f,
    ) -> Self {
        let open = open_alerts
            .iter()
            .enumerate()
            .filter(|(_, a)| a.status.is_open())
            .map(|(i, a)| ((a.service_id.clone(), a.dedup_key.clone()), i))
            .collect();
        let changed = vec![false; open_alerts.len()];
        Intake {
            rules,
            alerts: open_alerts,
            changed,
            open,
            changes: Changes::default(),
            new_id: Box::new(new_id),
        }
    }

    /// Applies one signal. A service without rules is treated with the defaults and no cap.
    pub fn apply(&mut self, arrival: Arrival<'_>) -> Outcome {
        let signal = arrival.signal;
        let open = self.open.get(&(arrival.service.clone(), signal.key().to_owned())).copied();
        match (signal.action, open) {
            (SignalAction::Trigger, Some(index)) => self.repeat(index, arrival),
            (SignalAction::Trigger, None) if self.past_cap(arrival.service) => self.group(arrival),
            (SignalAction::Trigger, None) => {
                let index = self.open_new(arrival, signal.key(), arrival.origin);
                let alert = &self.alerts[index];
                let message = if alert.suppressed {
                    format!("Triggered by {} during maintenance: it will page no one", arrival.by.name)
                } else {
                    format!("Triggered by {}", arrival.by.name)
                };
                let id = alert.id.clone();
                self.log(
                    index,
                    entry(
                        arrival.received_at,
                        LogKind::Triggered,
                        arrival.by,
                        message,
                        event_details(signal),
                    ),
                );
                Outcome::Opened(id)
            }
            (SignalAction::Acknowledge | SignalAction::Resolve, None) => Outcome::Ignored,
            (SignalAction::Acknowledge, Some(index)) => {
                let alert = &mut self.alerts[index];
                let id = alert.id.clone();
                match alert.acknowledge(arrival.by, event_details(signal), arrival.received_at) {
                    Ok(Transition::Changed(entry)) => {
                        self.log(index, entry);
                        Outcome::Acknowledged(id)
                    }
                    _ => Outcome::Unchanged(id),
                }
            }
            (SignalAction::Resolve, Some(index)) => {
                let alert = &mut self.alerts[index];
                let id = alert.id.clone();
                let key = (alert.service_id.clone(), alert.dedup_key.clone());
                match alert.resolve(arrival.by, event_details(signal), arrival.received_at) {
                    Ok(Transition::Changed(entry)) => {
                        self.log(index, entry);
                        self.open.remove(&key);
                        self.count_open(arrival.service, -1);
                        Outcome::Resolved(id)
                    }
                    _ => Outcome::Unchanged(id),
                }
            }
        }
    }

    /// Every change made, to be written in one transaction.
    pub fn finish(mut self) -> Changes {
        self.changes.alerts = self
            .alerts
            .into_iter()
            .zip(self.changed)
            .filter(|(_, changed)| *changed)
            .map(|(a, _)| a)
            .collect();
        self.changes
    }

    fn rules(&self, service: &ServiceId) -> ServiceRules {
        self.rules.get(service).cloned().unwrap_or(ServiceRules {
            priorities: PriorityMap::default(),
            open_alert_cap: None,
            in_maintenance: false,
            open_alerts: 0,
        })
    }

    fn past_cap(&self, service: &ServiceId) -> bool {
        let rules = self.rules(service);
        let storm_open = self.open.contains_key(&(service.clone(), STORM_DEDUP_KEY.to_owned()));
        rules.open_alert_cap.is_some_and(|cap| rules.open_alerts.saturating_sub(u32::from(storm_open)) >= cap)
    }

    fn count_open(&mut self, service: &ServiceId, by: i64) {
        *self.changes.open_delta.entry(service.clone()).or_default() += by;
        if let Some(rules) = self.rules.get_mut(service) {
            rules.open_alerts = rules.open_alerts.saturating_add_signed(by as i32);
        }
    }

    fn log(&mut self, index: usize, entry: AlertLogEntry) {
        self.changed[index] = true;
        self.changes.log.push((self.alerts[index].id.clone(), entry));
    }

    fn open_new(&mut self, arrival: Arrival<'_>, dedup_key: &str, origin: &str) -> usize {
        let signal = arrival.signal;
        let rules = self.rules(arrival.service);
        let now = arrival.received_at;
        let alert = Alert {
            id: (self.new_id)(),
            service_id: arrival.service.clone(),
            dedup_key: dedup_key.to_owned(),
            status: AlertStatus::Triggered,
            severity: signal.severity,
            priority: rules.priorities.priority_of(signal.severity),
            summary: signal.summary.clone(),
            source: signal.source.clone(),
            component: signal.component.clone(),
            group: signal.group.clone(),
            class: signal.class.clone(),
            details: signal.details.clone(),
            links: signal.links.clone(),
            images: signal.images.clone(),
            client: signal.client.clone(),
            client_url: signal.client_url.clone(),
            origin: origin.to_owned(),
            suppressed: rules.in_maintenance,
            grouped: 0,
            first_seen_at: now,
            last_seen_at: now,
            occurrences: 1,
            acknowledged_at: None,
            acknowledged_by: None,
            resolved_at: None,
            resolved_by: None,
            updated_at: now,
        };
        self.open.insert((alert.service_id.clone(), alert.dedup_key.clone()), self.alerts.len());
        self.alerts.push(alert);
        self.changed.push(true);
        self.count_open(arrival.service, 1);
        self.alerts.len() - 1
    }

    fn repeat(&mut self, index: usize, arrival: Arrival<'_>) -> Outcome {
        let signal = arrival.signal;
        let priority = self.rules(arrival.service).priorities.priority_of(signal.severity);
        let alert = &mut self.alerts[index];
        alert.occurrences = alert.occurrences.saturating_add(1);
        alert.last_seen_at = arrival.received_at;
        alert.updated_at = arrival.received_at;
        alert.severity = signal.severity;
        alert.priority = alert.priority.most_urgent(priority);
        alert.summary = signal.summary.clone();
        alert.details = signal.details.clone();
        if !signal.links.is_empty() {
            alert.links = signal.links.clone();
        }
        if !signal.images.is_empty() {
            alert.images = signal.images.clone();
        }
        let id = alert.id.clone();
        let message = format!("Repeated by {} (occurrence {})", arrival.by.name, alert.occurrences);
        self.log(
            index,
            entry(arrival.received_at, LogKind::Repeated, arrival.by, message, event_details(signal)),
        );
        Outcome::Repeated(id)
    }

    fn group(&mut self, arrival: Arrival<'_>) -> Outcome {
        let signal = arrival.signal;
        let service = arrival.service;
        let index = match self.open.get(&(service.clone(), STORM_DEDUP_KEY.to_owned())) {
            Some(index) => *index,
            None => {
                let cap = self.rules(service).open_alert_cap.unwrap_or_default();
                let mut storm = signal.clone();
                storm.summary =
                    format!("Alert storm: more than {cap} open alerts; new ones are grouped here");
                storm.source = "Muster".to_owned();
                storm.details = Value::Null;
                storm.links.clear();
                storm.images.clear();
                let storm_arrival = Arrival { signal: &storm, ..arrival };
                let index = self.open_new(storm_arrival, STORM_DEDUP_KEY, STORM_ORIGIN);
                self.alerts[index].occurrences = 0;
                index
            }
        };
        let priority = self.rules(service).priorities.priority_of(signal.severity);
        let alert = &mut self.alerts[index];
        alert.grouped = alert.grouped.saturating_add(1);
        alert.occurrences = alert.occurrences.saturating_add(1);
        alert.last_seen_at = arrival.received_at;
        alert.updated_at = arrival.received_at;
        alert.priority = alert.priority.most_urgent(priority);
        alert.severity = alert.severity.min(signal.severity);
        let id = alert.id.clone();
        let message = format!("Grouped {:?} from {}: {}", signal.key(), arrival.by.name, signal.summary);
        let mut details = event_details(signal);
        details["dedup_key"] = json!(signal.key());
        self.log(index, entry(arrival.received_at, LogKind::Grouped, arrival.by, message, details));
        Outcome::Grouped { storm: id }
    }
}

/// What a log entry keeps of a signal: what the monitor said, not how it was framed.
fn event_details(signal: &Signal) -> Value {
    let mut details = json!({ "action": signal.action.as_str() });
    if !signal.summary.is_empty() {
        details["summary"] = json!(signal.summary);
        details["severity"] = json!(signal.severity);
    }
    if let Some(at) = signal.occurred_at {
        details["occurred_at"] = json!(at.to_string());
    }
    if !signal.details.is_null() {
        details["details"] = signal.details.clone();
    }
    details
}
