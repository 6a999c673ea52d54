//! An incident's severity (how bad) and state (how far along), with their documented meanings.

use std::{fmt, str::FromStr};

use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

use crate::FieldError;

/// How bad an incident is. The meaning of each level is shown wherever a severity is chosen, so
/// that two people declaring the same problem pick the same level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IncidentSeverity {
    Sev1,
    Sev2,
    Sev3,
    Sev4,
}

impl IncidentSeverity {
    pub const ALL: [IncidentSeverity; 4] =
        [IncidentSeverity::Sev1, IncidentSeverity::Sev2, IncidentSeverity::Sev3, IncidentSeverity::Sev4];

    pub fn as_str(self) -> &'static str {
        match self {
            IncidentSeverity::Sev1 => "sev1",
            IncidentSeverity::Sev2 => "sev2",
            IncidentSeverity::Sev3 => "sev3",
            IncidentSeverity::Sev4 => "sev4",
        }
    }

    /// `SEV1` … `SEV4`, as people write it.
    pub fn label(self) -> &'static str {
        match self {
            IncidentSeverity::Sev1 => "SEV1",
            IncidentSeverity::Sev2 => "SEV2",
            IncidentSeverity::Sev3 => "SEV3",
            IncidentSeverity::Sev4 => "SEV4",
        }
    }

    /// What the level means.
    pub fn meaning(self) -> &'static str {
        match self {
            IncidentSeverity::Sev1 => {
                "Critical: a core service is down or data is being lost for many customers. All hands."
            }
            IncidentSeverity::Sev2 => "Major: a core function is badly degraded or down for some customers.",
            IncidentSeverity::Sev3 => {
                "Minor: a non-core function is degraded, or a core one with a workaround."
            }
            IncidentSeverity::Sev4 => "Low: little or no customer impact, but it needs co-ordinated work.",
        }
    }

    /// How long after a stakeholder update the next one is due, unless a service sets its own.
    pub fn default_update_interval(self) -> SignedDuration {
        SignedDuration::from_mins(match self {
            IncidentSeverity::Sev1 => 30,
            IncidentSeverity::Sev2 => 60,
            IncidentSeverity::Sev3 => 120,
            IncidentSeverity::Sev4 => 240,
        })
    }
}

impl fmt::Display for IncidentSeverity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for IncidentSeverity {
    type Err = FieldError;

    fn from_str(value: &str) -> Result<Self, FieldError> {
        let value = value.trim();
        IncidentSeverity::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(value))
            .ok_or_else(|| FieldError::new("severity", "must be one of sev1, sev2, sev3, sev4"))
    }
}

/// Where an incident is in its life. Every state but resolved is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IncidentState {
    /// The cause is not known yet.
    Investigating,
    /// The cause is known and a fix is being worked on.
    Identified,
    /// A fix or mitigation is in place and is being watched.
    Monitoring,
    Resolved,
}

impl IncidentState {
    pub const ALL: [IncidentState; 4] = [
        IncidentState::Investigating,
        IncidentState::Identified,
        IncidentState::Monitoring,
        IncidentState::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IncidentState::Investigating => "investigating",
            IncidentState::Identified => "identified",
            IncidentState::Monitoring => "monitoring",
            IncidentState::Resolved => "resolved",
        }
    }

    pub fn is_open(self) -> bool {
        self != IncidentState::Resolved
    }
}

impl fmt::Display for IncidentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IncidentState {
    type Err = FieldError;

    fn from_str(value: &str) -> Result<Self, FieldError> {
        IncidentState::ALL.into_iter().find(|s| s.as_str() == value.trim()).ok_or_else(|| {
            FieldError::new("state", "must be one of investigating, identified, monitoring, resolved")
        })
    }
}
