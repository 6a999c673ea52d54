//! Postmortems: the blameless written analysis of an incident. Whether one is required (and by
//! when), the draft Muster writes from the incident, the blameless check that runs before review,
//! the review-and-publish workflow with its versions, and the action items that keep the
//! follow-ups from being forgotten, and the promotion that gets them read.

mod action;
mod blameless;
mod document;
mod promotion;
mod requirement;
mod workflow;

#[cfg(test)]
mod tests;

pub use action::{ActionItem, ActionPriority, ActionStatus, overdue_notice};
pub use blameless::{BLAMELESS_RULES, BlamelessFlag, BlamelessRule, check_blameless};
pub use document::{
    IncidentFacts, MAX_LINES, MAX_TITLE_CHARS, PostmortemDocument, TimelineLine, draft_from_incident,
    to_markdown,
};
pub use promotion::{Month, postmortem_of_the_month};
pub use requirement::{PostmortemPolicy, Requirement, RequirementReason, after_working_days, requirement};
pub use workflow::{
    Dismissal, Postmortem, PostmortemChange, PostmortemStatus, REMINDER_INTERVAL, Reviewer,
    authors_reminder_due, authors_reminder_notice,
};
