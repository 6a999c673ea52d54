//! An alert as Muster keeps it, its log, and the transitions people and monitors make on it.

use std::{fmt, str::FromStr};

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use super::{
    priority::{Priority, Severity},
    signal::{Image, Link},
};
use crate::{
    FieldError,
    ids::{AlertId, ServiceId, UserId},
};

/// Where an alert is in its life. Triggered and acknowledged alerts are open; at most one open
/// alert exists per (service, dedup key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    Triggered,
    Acknowledged,
    Resolved,
}

impl AlertStatus {
    pub const ALL: [AlertStatus; 3] =
        [AlertStatus::Triggered, AlertStatus::Acknowledged, AlertStatus::Resolved];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Triggered => "triggered",
            AlertStatus::Acknowledged => "acknowledged",
            AlertStatus::Resolved => "resolved",
        }
    }

    pub fn is_open(self) -> bool {
        self != AlertStatus::Resolved
    }
}

impl fmt::Display for AlertStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AlertStatus {
    type Err = FieldError;

    fn from_str(value: &str) -> Result<Self, FieldError> {
        AlertStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == value.trim())
            .ok_or_else(|| FieldError::new("status", "must be one of triggered, acknowledged, resolved"))
    }
}

/// Who did something to an alert: a person, or a monitor through one of the service's keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActedBy {
    /// Set when a person acted.
    pub user_id: Option<UserId>,
    /// The person's name, or what the monitor is ("pagerduty key \"prod prometheus\"").
    pub name: String,
}

impl ActedBy {
    pub fn user(id: UserId, name: impl Into<String>) -> ActedBy {
        ActedBy { user_id: Some(id), name: name.into() }
    }

    pub fn monitor(name: impl Into<String>) -> ActedBy {
        ActedBy { user_id: None, name: name.into() }
    }
}

/// What a log entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    /// The alert opened.
    Triggered,
    /// A monitor sent the same dedup key again while the alert was open.
    Repeated,
    /// Another alert arrived past the service's open-alert cap and was grouped into this storm alert.
    Grouped,
    Acknowledged,
    Resolved,
    /// A person's note.
    Note,
    /// A step of the alert's page notified people (or found nobody to notify).
    Paged,
    /// An acknowledgement timed out: the alert is triggered again and pages again.
    Unacknowledged,
}

impl LogKind {
    pub const ALL: [LogKind; 8] = [
        LogKind::Triggered,
        LogKind::Repeated,
        LogKind::Grouped,
        LogKind::Acknowledged,
        LogKind::Resolved,
        LogKind::Note,
        LogKind::Paged,
        LogKind::Unacknowledged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LogKind::Triggered => "triggered",
            LogKind::Repeated => "repeated",
            LogKind::Grouped => "grouped",
            LogKind::Acknowledged => "acknowledged",
            LogKind::Resolved => "resolved",
            LogKind::Note => "note",
            LogKind::Paged => "paged",
            LogKind::Unacknowledged => "unacknowledged",
        }
    }
}

impl FromStr for LogKind {
    type Err = FieldError;

    fn from_str(value: &str) -> Result<Self, FieldError> {
        LogKind::ALL
            .into_iter()
            .find(|k| k.as_str() == value)
            .ok_or_else(|| FieldError::new("kind", "is not a known log entry kind"))
    }
}

/// One entry of an alert's log: every event that touched it, in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertLogEntry {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    pub kind: LogKind,
    pub by: ActedBy,
    /// What happened, in words.
    pub message: String,
    /// What the monitor sent with this event, or nothing.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: Value,
}

/// One alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Alert {
    pub id: AlertId,
    pub service_id: ServiceId,
    pub dedup_key: String,
    pub status: AlertStatus,
    pub severity: Severity,
    pub priority: Priority,
    pub summary: String,
    pub source: String,
    pub component: Option<String>,
    pub group: Option<String>,
    pub class: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: Value,
    pub links: Vec<Link>,
    pub images: Vec<Image>,
    pub client: Option<String>,
    pub client_url: Option<String>,
    /// How it arrived: an integration kind (`pagerduty`, `alertmanager`, …), `heartbeat`, `manual`
    /// (a person raised it) or `storm` (Muster grouped a storm into it).
    pub origin: String,
    /// Received during a maintenance window: kept and shown, but pages no one.
    pub suppressed: bool,
    /// How many alerts were grouped into this one because the service was past its open-alert cap.
    pub grouped: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub first_seen_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub last_seen_at: Timestamp,
    /// How many times monitors sent it (the first trigger and every repeat).
    pub occurrences: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub acknowledged_at: Option<Timestamp>,
    pub acknowledged_by: Option<ActedBy>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub resolved_at: Option<Timestamp>,
    pub resolved_by: Option<ActedBy>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

/// What a transition did.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    /// The alert changed; the entry goes into its log.
    Changed(AlertLogEntry),
    /// It was already in that state; nothing changed.
    Unchanged,
}

/// A resolved alert cannot be acknowledged or resolved again; a new trigger opens a new alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the alert is resolved")]
pub struct AlreadyResolved;

impl Alert {
    /// Someone is on it. Acknowledging an acknowledged alert changes nothing.
    pub fn acknowledge(
        &mut self,
        by: &ActedBy,
        details: Value,
        now: Timestamp,
    ) -> Result<Transition, AlreadyResolved> {
        match self.status {
            AlertStatus::Resolved => Err(AlreadyResolved),
            AlertStatus::Acknowledged => Ok(Transition::Unchanged),
            AlertStatus::Triggered => {
                self.status = AlertStatus::Acknowledged;
                self.acknowledged_at = Some(now);
                self.acknowledged_by = Some(by.clone());
                self.updated_at = now;
                Ok(Transition::Changed(entry(
                    now,
                    LogKind::Acknowledged,
                    by,
                    format!("Acknowledged by {}", by.name),
                    details,
                )))
            }
        }
    }

    /// An acknowledgement timed out while the alert was still open: it is triggered again. Only an
    /// acknowledged alert changes.
    pub fn unacknowledge(&mut self, by: &ActedBy, message: String, now: Timestamp) -> Transition {
        if self.status != AlertStatus::Acknowledged {
            return Transition::Unchanged;
        }
        self.status = AlertStatus::Triggered;
        self.acknowledged_at = None;
        self.acknowledged_by = None;
        self.updated_at = now;
        Transition::Changed(entry(now, LogKind::Unacknowledged, by, message, Value::Null))
    }

    /// It is fixed.
    pub fn resolve(
        &mut self,
        by: &ActedBy,
        details: Value,
        now: Timestamp,
    ) -> Result<Transition, AlreadyResolved> {
        if self.status == AlertStatus::Resolved {
            return Err(AlreadyResolved);
        }
        self.status = AlertStatus::Resolved;
        self.resolved_at = Some(now);
        self.resolved_by = Some(by.clone());
        self.updated_at = now;
        Ok(Transition::Changed(entry(
            now,
            LogKind::Resolved,
            by,
            format!("Resolved by {}", by.name),
            details,
        )))
    }

    /// Whether this alert collects a storm rather than describing one problem.
    pub fn is_storm(&self) -> bool {
        self.origin == STORM_ORIGIN
    }
}

/// The origin of storm alerts.
pub const STORM_ORIGIN: &str = "storm";

pub(crate) fn entry(
    at: Timestamp,
    kind: LogKind,
    by: &ActedBy,
    message: String,
    details: Value,
) -> AlertLogEntry {
    AlertLogEntry { at, kind, by: by.clone(), message, details }
}
