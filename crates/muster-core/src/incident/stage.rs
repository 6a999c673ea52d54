//! The investigation model: one stage at a time, each with its purpose, a checklist of tactics and
//! the output that must be written before the incident moves on. The words are the seed's.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// A stage of the investigation, in the order an incident moves through them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    #[default]
    Triage,
    Examine,
    Diagnose,
    Test,
    Cure,
}

impl Stage {
    pub const ALL: [Stage; 5] = [Stage::Triage, Stage::Examine, Stage::Diagnose, Stage::Test, Stage::Cure];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Triage => "triage",
            Stage::Examine => "examine",
            Stage::Diagnose => "diagnose",
            Stage::Test => "test",
            Stage::Cure => "cure",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Stage::Triage => "Triage",
            Stage::Examine => "Examine",
            Stage::Diagnose => "Diagnose",
            Stage::Test => "Test",
            Stage::Cure => "Cure",
        }
    }

    /// What the stage is for.
    pub fn purpose(self) -> &'static str {
        match self {
            Stage::Triage => "Get the system back to good enough, before understanding why it broke.",
            Stage::Examine => "Understand what the system is doing and find the trigger.",
            Stage::Diagnose => "Find the possible causes and write them down as a shortlist.",
            Stage::Test => "Test the shortlist until one cause is the probable one.",
            Stage::Cure => "Fix the cause and document what was done.",
        }
    }

    /// The stage's tactics, as a checklist.
    pub fn tactics(self) -> &'static [&'static str] {
        match self {
            Stage::Triage => &["Add compute", "Re-route traffic", "Downgrade service"],
            Stage::Examine => &["Metrics", "Centralized logs", "Service graphs", "Traces"],
            Stage::Diagnose => &[
                "What is it doing?",
                "Why isn't it doing what it should?",
                "Where are resources going?",
                "When did it start?",
            ],
            Stage::Test => &[
                "Recreate the workflow",
                "Curl the API",
                "Verify permissions",
                "Trace database calls and routes",
                "Document everything",
            ],
            Stage::Cure => &["Fix", "Document"],
        }
    }

    /// The output that must be written before the incident leaves the stage.
    pub fn required_output(self) -> &'static str {
        match self {
            Stage::Triage => "Stable system: how the system was made good enough.",
            Stage::Examine => "Problem and trigger: what is wrong and what set it off.",
            Stage::Diagnose => "Shortlist of causes: at least one hypothesis proposed.",
            Stage::Test => "Confidence in the actual cause: which cause, and why you are confident.",
            Stage::Cure => {
                "Fully working, or mitigated with a known fix, or mitigated with monitoring requirements."
            }
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn next(self) -> Option<Stage> {
        Stage::ALL.get(self.index() + 1).copied()
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Stage {
    type Err = FieldError;

    fn from_str(value: &str) -> Result<Self, FieldError> {
        Stage::ALL
            .into_iter()
            .find(|s| s.as_str() == value.trim())
            .ok_or_else(|| FieldError::new("stage", "must be one of triage, examine, diagnose, test, cure"))
    }
}

/// How the cure stage ended; one of them is the cure output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CureOutcome {
    FullyWorking,
    MitigatedWithKnownFix,
    MitigatedWithMonitoring,
}

impl CureOutcome {
    pub const ALL: [CureOutcome; 3] =
        [CureOutcome::FullyWorking, CureOutcome::MitigatedWithKnownFix, CureOutcome::MitigatedWithMonitoring];

    pub fn as_str(self) -> &'static str {
        match self {
            CureOutcome::FullyWorking => "fully_working",
            CureOutcome::MitigatedWithKnownFix => "mitigated_with_known_fix",
            CureOutcome::MitigatedWithMonitoring => "mitigated_with_monitoring",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CureOutcome::FullyWorking => "Fully working",
            CureOutcome::MitigatedWithKnownFix => "Mitigated with a known fix",
            CureOutcome::MitigatedWithMonitoring => "Mitigated with monitoring requirements",
        }
    }
}

impl FromStr for CureOutcome {
    type Err = FieldError;

    fn from_str(value: &str) -> Result<Self, FieldError> {
        CureOutcome::ALL.into_iter().find(|o| o.as_str() == value.trim()).ok_or_else(|| {
            FieldError::new(
                "outcome",
                "must be one of fully_working, mitigated_with_known_fix, mitigated_with_monitoring",
            )
        })
    }
}

/// Where the investigation is and what each stage has produced so far. Outputs stay when the
/// incident goes back to an earlier stage, so going back loses nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Investigation {
    pub stage: Stage,
    /// The written output of each stage, in stage order; empty until written.
    pub outputs: [String; 5],
    /// Which tactics of each stage are ticked, by their position in [`Stage::tactics`].
    pub checked: [Vec<usize>; 5],
    /// How the cure ended; with the cure output, what resolving needs.
    pub cure_outcome: Option<CureOutcome>,
}

impl Investigation {
    pub fn output(&self, stage: Stage) -> &str {
        &self.outputs[stage.index()]
    }

    pub fn is_checked(&self, stage: Stage, tactic: usize) -> bool {
        self.checked[stage.index()].contains(&tactic)
    }

    /// Whether the cure output is written: an outcome and what was done.
    pub fn is_cured(&self) -> bool {
        self.cure_outcome.is_some() && !self.output(Stage::Cure).is_empty()
    }
}
