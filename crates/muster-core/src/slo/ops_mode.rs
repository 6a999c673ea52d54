//! Ops mode and the deploy gate. A service in ops mode runs on reduced objectives under a change
//! freeze: the gate refuses deploys, except one granted by name by someone who may, until the
//! service leaves ops mode. Whoever asks (CI/CD before every deploy) gets the reason and who can
//! grant an exception.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::definition::Slo;
use crate::{ids::SloId, incident::Person};

/// A service's ops mode, from when it was entered until it was left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpsMode {
    pub id: String,
    pub reason: String,
    pub entered_by: Person,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub entered_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub expected_end: Option<Timestamp>,
    /// The objectives in force during ops mode, and what they were before.
    pub reduced_objectives: Vec<ReducedObjective>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub left_at: Option<Timestamp>,
    pub left_by: Option<Person>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReducedObjective {
    pub slo_id: SloId,
    pub normal: f64,
    pub reduced: f64,
}

impl OpsMode {
    pub fn is_active(&self) -> bool {
        self.left_at.is_none()
    }
}

/// The SLOs in force: while ops mode lasts, with its reduced objectives; the stored objectives
/// are never changed, so leaving ops mode restores them.
pub fn slos_in_force(slos: &[Slo], ops_mode: Option<&OpsMode>) -> Vec<Slo> {
    let active = ops_mode.filter(|o| o.is_active());
    slos.iter()
        .map(|slo| {
            let reduced = active.and_then(|o| o.reduced_objectives.iter().find(|r| r.slo_id == slo.id));
            Slo { objective: reduced.map_or(slo.objective, |r| r.reduced), ..slo.clone() }
        })
        .collect()
}

/// A deploy let through the freeze: named (a version, a change number), with why and by whom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeployException {
    pub deploy: String,
    pub reason: String,
    pub granted_by: Person,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub granted_at: Timestamp,
}

/// The deploy gate's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GateDecision {
    pub allowed: bool,
    pub reason: String,
    /// The exception that lets this deploy through, if one does.
    pub exception: Option<DeployException>,
    /// Who may grant an exception while deploys are refused.
    pub who_can_grant: Vec<String>,
}

/// Whether `deploy` may proceed for a service in `ops_mode` (if any), given the exceptions
/// granted during it. Names compare without regard to case or surrounding space.
pub fn deploy_gate(
    ops_mode: Option<&OpsMode>,
    exceptions: &[DeployException],
    deploy: Option<&str>,
    who_can_grant: Vec<String>,
) -> GateDecision {
    let Some(ops) = ops_mode.filter(|o| o.is_active()) else {
        return GateDecision {
            allowed: true,
            reason: "the service is not in ops mode".into(),
            exception: None,
            who_can_grant: vec![],
        };
    };
    let wanted = deploy.map(|d| d.trim().to_lowercase()).filter(|d| !d.is_empty());
    if let Some(wanted) = &wanted
        && let Some(exception) = exceptions.iter().find(|e| e.deploy.trim().to_lowercase() == *wanted)
    {
        return GateDecision {
            allowed: true,
            reason: format!(
                "change freeze, but {} granted an exception for {}: {}",
                exception.granted_by.name, exception.deploy, exception.reason
            ),
            exception: Some(exception.clone()),
            who_can_grant: vec![],
        };
    }
    let until = ops.expected_end.map(|end| format!(", expected to end {end}")).unwrap_or_default();
    let ask = if wanted.is_some() {
        "ask for an exception for this deploy"
    } else {
        "name the deploy (?deploy=) and ask for an exception"
    };
    GateDecision {
        allowed: false,
        reason: format!(
            "change freeze: the service is in ops mode since {} ({}){until}; {ask}",
            ops.entered_at, ops.reason
        ),
        exception: None,
        who_can_grant,
    }
}
