//! Alerts: signals from monitoring about a service, deduplicated by key while open.
//!
//! - [`formats`] reads each inbound format (PagerDuty, Alertmanager, Grafana, Opsgenie, generic)
//!   into [`Signal`]s.
//! - [`intake`] applies signals to open alerts: deduplication, maintenance, storm grouping.
//! - [`record`] is the stored alert, its log and the transitions people make.
//! - [`priority`] maps a monitor's severity to Muster's priority, per service.
//! - [`settings`] is a service's alert settings, maintenance windows and heartbeats.
//! - [`query`] is what an alert list can be filtered by.

pub mod formats;
pub mod intake;
pub mod priority;
pub mod query;
pub mod record;
pub mod settings;
pub mod signal;
#[cfg(test)]
mod tests;

pub use intake::{Arrival, Changes, Intake, Outcome, STORM_DEDUP_KEY, ServiceRules};
pub use priority::{Priority, PriorityMap, Severity};
pub use record::{ActedBy, Alert, AlertLogEntry, AlertStatus, AlreadyResolved, LogKind, Transition};
pub use signal::{Image, Link, Signal, SignalAction};
