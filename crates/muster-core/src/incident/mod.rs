//! Incidents: the co-ordinated response to a problem. An [`Incident`] is one aggregate — its
//! command (who holds which role, which hand-offs are on offer), its investigation stage and
//! outputs, its hypotheses and its state — changed only through [`Incident::apply`], which checks
//! the acting person's authority and the method's rules and says what to put on the timeline.
//!
//! The method is the seed's: clear command with accepted hand-offs, one document everyone reads,
//! an investigation that moves triage → examine → diagnose → test → cure and writes each stage's
//! output before it moves on, and stakeholder updates on a cadence set by severity.

mod command;
mod comms;
mod declare;
mod document;
mod record;
mod stage;
mod status;
mod timeline;

#[cfg(test)]
mod tests;

pub use command::{Command, Participant, Person, Role, RoleOffer};
pub use comms::{
    StakeholderAudience, StakeholderUpdate, Subscription, SubscriptionScope, offer_notice, reminder_notice,
    update_notice,
};
pub use declare::{
    CriterionCheck, Declaration, DeclarationCriteria, MAX_TITLE_CHARS, Playbook, ProblemReport, criteria_met,
    investigation_time, should_prompt,
};
pub use document::{
    DiffLine, DocumentDiff, DocumentRevision, DocumentSections, MAX_SECTION_CHARS, SectionDiff, diff_sections,
};
pub use record::{
    Change, Hypothesis, HypothesisVerdict, Incident, IncidentChange, MAX_ENTRY_CHARS, Refusal, UpdateCadence,
};
pub use stage::{CureOutcome, Investigation, Stage};
pub use status::{IncidentSeverity, IncidentState};
pub use timeline::{TimelineEntry, TimelineKind};
