//! The incident timeline: what happened, in order, with who did it. Muster writes an entry for
//! every change it makes; people add notes and pin the entries that matter for the postmortem.

use std::{fmt, str::FromStr};

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use super::command::Person;
use crate::{
    FieldError,
    ids::{IncidentId, TimelineEntryId},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    Declared,
    State,
    Severity,
    Impact,
    Role,
    Stage,
    Document,
    Hypothesis,
    AlertLinked,
    StakeholderUpdate,
    /// Muster reminded the Comms Lead that an update is overdue.
    Reminder,
    Note,
}

impl TimelineKind {
    pub const ALL: [TimelineKind; 12] = [
        TimelineKind::Declared,
        TimelineKind::State,
        TimelineKind::Severity,
        TimelineKind::Impact,
        TimelineKind::Role,
        TimelineKind::Stage,
        TimelineKind::Document,
        TimelineKind::Hypothesis,
        TimelineKind::AlertLinked,
        TimelineKind::StakeholderUpdate,
        TimelineKind::Reminder,
        TimelineKind::Note,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TimelineKind::Declared => "declared",
            TimelineKind::State => "state",
            TimelineKind::Severity => "severity",
            TimelineKind::Impact => "impact",
            TimelineKind::Role => "role",
            TimelineKind::Stage => "stage",
            TimelineKind::Document => "document",
            TimelineKind::Hypothesis => "hypothesis",
            TimelineKind::AlertLinked => "alert_linked",
            TimelineKind::StakeholderUpdate => "stakeholder_update",
            TimelineKind::Reminder => "reminder",
            TimelineKind::Note => "note",
        }
    }
}

impl fmt::Display for TimelineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TimelineKind {
    type Err = FieldError;

    fn from_str(value: &str) -> Result<Self, FieldError> {
        TimelineKind::ALL
            .into_iter()
            .find(|k| k.as_str() == value)
            .ok_or_else(|| FieldError::new("kind", "is not a known timeline entry kind"))
    }
}

/// One entry of an incident's timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEntry {
    pub id: TimelineEntryId,
    pub incident_id: IncidentId,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    pub kind: TimelineKind,
    /// Who acted; absent when Muster itself did (a reminder).
    pub actor: Option<Person>,
    pub message: String,
    /// The structured facts behind the message (the people of a hand-off, a stage and its output).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: Value,
    pub pinned: bool,
}
