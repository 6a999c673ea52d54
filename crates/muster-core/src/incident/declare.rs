//! "Is it an incident?": the standard-response playbooks that handle an alert without one, the
//! declaration criteria that help a responder decide, and what a declaration says.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::status::IncidentSeverity;
use crate::{
    Invalid,
    alert::{Alert, AlertStatus},
    ids::{AlertId, PlaybookId, ServiceId},
    validate::{Checker, MAX_DESCRIPTION_CHARS, optional_text, required_line},
};

/// Longest incident title.
pub const MAX_TITLE_CHARS: usize = 200;

/// A manual problem report, for an incident declared without an alert.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProblemReport {
    pub expected: String,
    pub actual: String,
    pub reproduce: String,
}

impl ProblemReport {
    /// Checks a report: what was expected and what happened are required; how to reproduce is not.
    pub fn parse(expected: &str, actual: &str, reproduce: &str) -> Result<ProblemReport, Invalid> {
        let mut checker = Checker::new();
        let required = |field: &str, value: &str| {
            let text = optional_text(field, value, MAX_DESCRIPTION_CHARS)?;
            if text.is_empty() {
                return Err(crate::FieldError::new(field, "must not be empty in a problem report"));
            }
            Ok(text)
        };
        let expected = checker.check(required("expected", expected));
        let actual = checker.check(required("actual", actual));
        let reproduce = checker.check(optional_text("reproduce", reproduce, MAX_DESCRIPTION_CHARS));
        checker.finish(|| Some(ProblemReport { expected: expected?, actual: actual?, reproduce: reproduce? }))
    }
}

/// What a person declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    pub title: String,
    pub severity: IncidentSeverity,
    pub services: Vec<ServiceId>,
    pub customer_facing: bool,
    pub data_impact: bool,
    /// The alerts it grows from; empty for a manual problem report.
    pub alerts: Vec<AlertId>,
    pub problem_report: Option<ProblemReport>,
}

impl Declaration {
    /// Checks a declaration: a title, and either alerts or a problem report (a problem needs
    /// saying somewhere).
    pub fn parse(
        title: &str,
        severity: &str,
        services: Vec<ServiceId>,
        (customer_facing, data_impact): (bool, bool),
        alerts: Vec<AlertId>,
        problem_report: Option<ProblemReport>,
    ) -> Result<Declaration, Invalid> {
        let mut checker = Checker::new();
        let title = checker.check(required_line("title", title, MAX_TITLE_CHARS));
        let severity = checker.check(severity.parse());
        if alerts.is_empty() && problem_report.is_none() {
            checker.check::<()>(Err(crate::FieldError::new(
                "alert_ids",
                "name at least one alert, or give a problem report (expected, actual, reproduce)",
            )));
        }
        if alerts.len() > 100 {
            checker
                .check::<()>(Err(crate::FieldError::new("alert_ids", "at most 100 alerts per declaration")));
        }
        let mut services = services;
        services.sort();
        services.dedup();
        checker.finish(|| {
            Some(Declaration {
                title: title?,
                severity: severity?,
                services,
                customer_facing,
                data_impact,
                alerts,
                problem_report,
            })
        })
    }
}

/// The criteria a service sets for declaring an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeclarationCriteria {
    /// An alert investigated (acknowledged, unresolved) longer than this should be an incident.
    pub investigation_minutes: u32,
    /// This many services with open alerts at once should be an incident.
    pub services_affected: u32,
}

impl Default for DeclarationCriteria {
    fn default() -> Self {
        DeclarationCriteria { investigation_minutes: 30, services_affected: 2 }
    }
}

impl DeclarationCriteria {
    /// Checks criteria: 1 to 1440 minutes of investigation, 1 to 100 services.
    pub fn parse(investigation_minutes: u32, services_affected: u32) -> Result<DeclarationCriteria, Invalid> {
        let mut checker = Checker::new();
        if !(1..=1440).contains(&investigation_minutes) {
            checker.check::<()>(Err(crate::FieldError::new(
                "investigation_minutes",
                "must be 1 to 1440 minutes",
            )));
        }
        if !(1..=100).contains(&services_affected) {
            checker
                .check::<()>(Err(crate::FieldError::new("services_affected", "must be 1 to 100 services")));
        }
        checker.finish(|| Some(DeclarationCriteria { investigation_minutes, services_affected }))
    }
}

/// One criterion checked against an alert: `met` is `None` for what only the responder can judge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CriterionCheck {
    pub name: &'static str,
    pub met: Option<bool>,
    /// The figures behind the answer, or the question to ask.
    pub detail: String,
}

/// How long an alert has been under investigation: since it was acknowledged, while unresolved.
pub fn investigation_time(alert: &Alert, now: Timestamp) -> Option<SignedDuration> {
    match alert.status {
        AlertStatus::Acknowledged => alert.acknowledged_at.map(|at| now.duration_since(at)),
        _ => None,
    }
}

/// Checks each criterion against `alert`, with `services_with_open_alerts` counted by the caller.
pub fn criteria_met(
    criteria: &DeclarationCriteria,
    alert: &Alert,
    services_with_open_alerts: usize,
    now: Timestamp,
) -> Vec<CriterionCheck> {
    let limit = SignedDuration::from_mins(i64::from(criteria.investigation_minutes));
    let investigating = investigation_time(alert, now);
    vec![
        CriterionCheck {
            name: "Investigation time",
            met: Some(investigating.is_some_and(|d| d >= limit)),
            detail: match investigating {
                Some(d) => format!(
                    "acknowledged {} minutes ago; the limit is {} minutes",
                    d.as_mins(),
                    criteria.investigation_minutes
                ),
                None => format!(
                    "not under investigation; the limit is {} minutes",
                    criteria.investigation_minutes
                ),
            },
        },
        CriterionCheck {
            name: "Customer impact",
            met: None,
            detail: "Can customers see the problem?".into(),
        },
        CriterionCheck {
            name: "Services affected",
            met: Some(services_with_open_alerts >= criteria.services_affected as usize),
            detail: format!(
                "{services_with_open_alerts} services have open alerts; the threshold is {}",
                criteria.services_affected
            ),
        },
        CriterionCheck {
            name: "Data at risk",
            met: None,
            detail: "Could data be lost, leaked or corrupted?".into(),
        },
    ]
}

/// Whether the responder should be prompted to declare: the alert has been acknowledged but not
/// resolved for longer than the service's investigation time.
pub fn should_prompt(criteria: &DeclarationCriteria, alert: &Alert, now: Timestamp) -> bool {
    investigation_time(alert, now)
        .is_some_and(|d| d >= SignedDuration::from_mins(i64::from(criteria.investigation_minutes)))
}

/// A service's standard response to a known kind of alert: when an alert matches, the responder
/// follows the steps and needs no incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Playbook {
    pub id: PlaybookId,
    pub service_id: ServiceId,
    pub name: String,
    /// Matched, ignoring case, against the alert's summary, dedup key and class.
    pub matches: String,
    /// What to do, one step per line.
    pub steps: String,
}

impl Playbook {
    pub fn applies_to(&self, alert: &Alert) -> bool {
        let needle = self.matches.to_lowercase();
        alert.service_id == self.service_id
            && [Some(alert.summary.as_str()), Some(alert.dedup_key.as_str()), alert.class.as_deref()]
                .into_iter()
                .flatten()
                .any(|text| text.to_lowercase().contains(&needle))
    }

    /// Checks a new playbook's name, match text and steps.
    pub fn parse(name: &str, matches: &str, steps: &str) -> Result<(String, String, String), Invalid> {
        let mut checker = Checker::new();
        let name = checker.check(required_line("name", name, crate::validate::MAX_NAME_CHARS));
        let matches = checker.check(required_line("matches", matches, crate::validate::MAX_NAME_CHARS));
        let steps = checker.check(optional_text("steps", steps, MAX_DESCRIPTION_CHARS).and_then(|s| {
            if s.is_empty() { Err(crate::FieldError::new("steps", "must not be empty")) } else { Ok(s) }
        }));
        checker.finish(|| Some((name?, matches?, steps?)))
    }
}
