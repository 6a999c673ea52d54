//! Severity (what a monitor says) and priority (how urgently Muster wants a human), and the
//! per-service map from one to the other.
//!
//! Monitors spell severity many ways (`crit`, `P1`, `warning`, `high`); every format's parser turns
//! its spelling into one of four [`Severity`] values, and the service's [`PriorityMap`] decides the
//! priority. Keeping the two apart lets a team say "a warning from this service is urgent" without
//! touching its monitors.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::validate::{FieldError, Invalid};

/// A monitor's view of how bad something is, in PagerDuty's four words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    Error,
    Warning,
    Info,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Severity::Critical, Severity::Error, Severity::Warning, Severity::Info];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    /// Reads the many spellings monitors use in labels (`crit`, `high`, `P2`, `warn`, …), ignoring
    /// case. Unknown words give `None`, and the caller picks the default.
    pub fn from_label(label: &str) -> Option<Severity> {
        match label.trim().to_ascii_lowercase().as_str() {
            "critical" | "crit" | "fatal" | "emergency" | "emerg" | "alert" | "page" | "disaster" | "p1" => {
                Some(Severity::Critical)
            }
            "error" | "err" | "high" | "major" | "p2" => Some(Severity::Error),
            "warning" | "warn" | "medium" | "minor" | "average" | "p3" => Some(Severity::Warning),
            "info" | "informational" | "information" | "notice" | "low" | "none" | "ok" | "p4" | "p5" => {
                Some(Severity::Info)
            }
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = FieldError;

    /// The strict form, as PagerDuty and Muster's own formats require it.
    fn from_str(value: &str) -> Result<Self, FieldError> {
        Severity::ALL
            .into_iter()
            .find(|s| s.as_str() == value)
            .ok_or_else(|| FieldError::new("severity", "must be one of critical, error, warning, info"))
    }
}

/// How urgently a human must respond; the response targets of the escalation engine hang on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Acknowledge within 5 minutes.
    BusinessCritical,
    /// Acknowledge within 30 minutes.
    Urgent,
    /// Does not page outside the on-call person's working day.
    Normal,
}

impl Priority {
    pub const ALL: [Priority; 3] = [Priority::BusinessCritical, Priority::Urgent, Priority::Normal];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::BusinessCritical => "business_critical",
            Priority::Urgent => "urgent",
            Priority::Normal => "normal",
        }
    }

    /// Words for people: "business critical".
    pub fn label(self) -> &'static str {
        match self {
            Priority::BusinessCritical => "business critical",
            Priority::Urgent => "urgent",
            Priority::Normal => "normal",
        }
    }

    /// The more urgent of two priorities.
    pub fn most_urgent(self, other: Priority) -> Priority {
        self.min(other)
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Priority {
    type Err = FieldError;

    fn from_str(value: &str) -> Result<Self, FieldError> {
        Priority::ALL
            .into_iter()
            .find(|p| p.as_str() == value.trim())
            .ok_or_else(|| FieldError::new("priority", "must be one of business_critical, urgent, normal"))
    }
}

/// Which priority each severity gets on one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PriorityMap {
    pub critical: Priority,
    pub error: Priority,
    pub warning: Priority,
    pub info: Priority,
}

impl Default for PriorityMap {
    /// Critical pages at once, errors are urgent, warnings and information wait for the working day.
    fn default() -> Self {
        PriorityMap {
            critical: Priority::BusinessCritical,
            error: Priority::Urgent,
            warning: Priority::Normal,
            info: Priority::Normal,
        }
    }
}

impl PriorityMap {
    pub fn priority_of(&self, severity: Severity) -> Priority {
        match severity {
            Severity::Critical => self.critical,
            Severity::Error => self.error,
            Severity::Warning => self.warning,
            Severity::Info => self.info,
        }
    }

    /// Reads a map given as text per severity (an API body or form); absent severities keep `self`'s.
    pub fn updated(
        self,
        critical: Option<&str>,
        error: Option<&str>,
        warning: Option<&str>,
        info: Option<&str>,
    ) -> Result<PriorityMap, Invalid> {
        let mut errors = Vec::new();
        let mut read = |field: &str, value: Option<&str>, current: Priority| match value {
            None => current,
            Some(text) => text.parse().unwrap_or_else(|e: FieldError| {
                errors.push(FieldError::new(format!("priorities.{field}"), e.problem));
                current
            }),
        };
        let map = PriorityMap {
            critical: read("critical", critical, self.critical),
            error: read("error", error, self.error),
            warning: read("warning", warning, self.warning),
            info: read("info", info, self.info),
        };
        if errors.is_empty() { Ok(map) } else { Err(Invalid(errors)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_in_the_wild_map_to_the_four_severities() {
        let cases = [
            ("critical", Some(Severity::Critical)),
            ("CRIT", Some(Severity::Critical)),
            ("P1", Some(Severity::Critical)),
            ("page", Some(Severity::Critical)),
            ("high", Some(Severity::Error)),
            ("P2", Some(Severity::Error)),
            (" warning ", Some(Severity::Warning)),
            ("P3", Some(Severity::Warning)),
            ("low", Some(Severity::Info)),
            ("P5", Some(Severity::Info)),
            ("spicy", None),
            ("", None),
        ];
        for (label, expected) in cases {
            assert_eq!(Severity::from_label(label), expected, "label {label:?}");
        }
    }

    #[test]
    fn strict_severity_names_the_field() {
        assert_eq!("error".parse::<Severity>(), Ok(Severity::Error));
        assert_eq!("Error".parse::<Severity>().unwrap_err().field, "severity");
    }

    #[test]
    fn the_default_map_follows_the_design_and_can_be_changed_per_severity() {
        let map = PriorityMap::default();
        assert_eq!(map.priority_of(Severity::Critical), Priority::BusinessCritical);
        assert_eq!(map.priority_of(Severity::Error), Priority::Urgent);
        assert_eq!(map.priority_of(Severity::Warning), Priority::Normal);
        let changed = map.updated(None, None, Some("urgent"), None).unwrap();
        assert_eq!(changed.priority_of(Severity::Warning), Priority::Urgent);
        assert_eq!(changed.priority_of(Severity::Info), Priority::Normal);
        let bad = map.updated(Some("asap"), None, None, Some("whenever")).unwrap_err();
        let fields: Vec<_> = bad.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["priorities.critical", "priorities.info"]);
    }

    #[test]
    fn business_critical_is_the_most_urgent() {
        assert_eq!(Priority::Normal.most_urgent(Priority::BusinessCritical), Priority::BusinessCritical);
        assert_eq!(Priority::Urgent.most_urgent(Priority::Normal), Priority::Urgent);
    }
}
