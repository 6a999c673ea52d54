//! The postmortem document: the seed's template (date, authors, reviewers, Incident Commander,
//! executive summary, problem summary, impact, timeline, root cause and trigger, resolution,
//! action items, lessons learned as what went well, what went wrong and where we got lucky), the
//! first draft Muster writes from the incident, and its Markdown.

use jiff::{Timestamp, tz::TimeZone};
use serde::{Deserialize, Serialize};

use super::action::ActionItem;
use crate::{
    Invalid,
    incident::{
        DocumentDiff, HypothesisVerdict, Incident, MAX_SECTION_CHARS, Person, Stage, TimelineEntry,
        TimelineKind, diff_sections,
    },
    validate::{Checker, optional_text, required_line},
};

/// Longest title.
pub const MAX_TITLE_CHARS: usize = 200;
/// Most lines in the timeline, and most entries in each list of lessons.
pub const MAX_LINES: usize = 500;

/// One line of the postmortem's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineLine {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    pub text: String,
}

/// The document, section by section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PostmortemDocument {
    pub title: String,
    /// The day the incident began, in the team's zone (`2026-11-23`).
    pub date: String,
    pub authors: Vec<Person>,
    pub reviewers: Vec<Person>,
    pub commander: Person,
    pub executive_summary: String,
    pub problem_summary: String,
    pub impact: String,
    pub timeline: Vec<TimelineLine>,
    pub root_cause: String,
    pub trigger: String,
    pub resolution: String,
    pub went_well: Vec<String>,
    pub went_wrong: Vec<String>,
    pub got_lucky: Vec<String>,
}

impl PostmortemDocument {
    /// Each prose section's name (as [`Self::prose`] and comments name it) and heading.
    pub const SECTIONS: [(&'static str, &'static str); 10] = [
        ("executive_summary", "Executive summary"),
        ("problem_summary", "Problem summary"),
        ("impact", "Impact"),
        ("timeline", "Timeline"),
        ("root_cause", "Root cause"),
        ("trigger", "Trigger"),
        ("resolution", "Resolution"),
        ("went_well", "What went well"),
        ("went_wrong", "What went wrong"),
        ("got_lucky", "Where we got lucky"),
    ];

    /// The heading of a section named as in [`Self::SECTIONS`].
    pub fn heading(section: &str) -> Option<&'static str> {
        Self::SECTIONS.iter().find(|(name, _)| *name == section).map(|(_, heading)| *heading)
    }

    /// Checks an edited document: a title, and every section and list within its size and free
    /// of control characters.
    pub fn check(&self) -> Result<(), Invalid> {
        let mut checker = Checker::new();
        checker.check(required_line("title", &self.title, MAX_TITLE_CHARS));
        for (name, text) in self.prose() {
            checker.check(optional_text(name, &text, MAX_SECTION_CHARS));
        }
        for (name, count) in [
            ("timeline", self.timeline.len()),
            ("went_well", self.went_well.len()),
            ("went_wrong", self.went_wrong.len()),
            ("got_lucky", self.got_lucky.len()),
        ] {
            if count > MAX_LINES {
                checker.check::<()>(Err(crate::FieldError::new(
                    name,
                    format!("must have at most {MAX_LINES} lines"),
                )));
            }
        }
        checker.finish(|| Some(()))
    }

    /// How the text changed from one version to another, section by section (the title first).
    pub fn diff(from: (u32, &PostmortemDocument), to: (u32, &PostmortemDocument)) -> DocumentDiff {
        let (old, new) = (from.1.prose(), to.1.prose());
        let title = ("title", "Title", from.1.title.as_str(), to.1.title.as_str());
        let sections = Self::SECTIONS
            .iter()
            .zip(old.iter().zip(new.iter()))
            .map(|((name, heading), ((_, a), (_, b)))| (*name, *heading, a.as_str(), b.as_str()));
        DocumentDiff {
            from: from.0,
            to: to.0,
            sections: diff_sections(std::iter::once(title).chain(sections)),
        }
    }

    /// The prose sections with their names, for the blameless check and search.
    pub fn prose(&self) -> Vec<(&'static str, String)> {
        vec![
            ("executive_summary", self.executive_summary.clone()),
            ("problem_summary", self.problem_summary.clone()),
            ("impact", self.impact.clone()),
            ("timeline", self.timeline.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n")),
            ("root_cause", self.root_cause.clone()),
            ("trigger", self.trigger.clone()),
            ("resolution", self.resolution.clone()),
            ("went_well", self.went_well.join("\n")),
            ("went_wrong", self.went_wrong.join("\n")),
            ("got_lucky", self.got_lucky.join("\n")),
        ]
    }
}

/// What the draft is written from, gathered by the caller.
#[derive(Debug, Clone, Copy)]
pub struct IncidentFacts<'a> {
    pub incident: &'a Incident,
    pub timeline: &'a [TimelineEntry],
    pub service_names: &'a [String],
    /// Response targets of the linked alerts' pages: met and missed.
    pub targets_met: usize,
    pub targets_missed: usize,
}

/// Whether a timeline entry belongs in the postmortem without being pinned: declaration, state
/// changes, accepted hand-offs, stage moves and judged hypotheses.
fn is_key(entry: &TimelineEntry) -> bool {
    match entry.kind {
        TimelineKind::Declared | TimelineKind::State | TimelineKind::Severity | TimelineKind::AlertLinked => {
            true
        }
        TimelineKind::Role => entry.details["action"] == "accepted",
        TimelineKind::Stage => entry.details.get("from").is_some(),
        TimelineKind::Hypothesis => entry.details.get("verdict").is_some(),
        _ => false,
    }
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

/// The first draft of the postmortem of a (resolved) incident. Authors default to the Incident
/// Commander and the Ops Lead; everything else comes from the investigation's outputs.
pub fn draft_from_incident(facts: IncidentFacts<'_>, zone: &TimeZone) -> PostmortemDocument {
    let incident = facts.incident;
    let investigation = &incident.investigation;
    let mut authors = vec![incident.command.commander.clone()];
    if let Some(ops) = &incident.command.ops_lead
        && ops.id != incident.command.commander.id
    {
        authors.push(ops.clone());
    }
    let duration = incident.time_to_resolve().map(|d| d.as_mins());
    let when = |at: Timestamp| at.to_zoned_datetime(zone.clone()).strftime("%Y-%m-%d %H:%M %Z").to_string();
    let outcome = investigation.cure_outcome.map(|o| o.label()).unwrap_or("not recorded");
    let executive_summary = format!(
        "{} incident {}, \"{}\": from {} {}. Outcome: {outcome}.",
        incident.severity.label(),
        incident.number,
        incident.title,
        when(incident.started_at),
        match (incident.resolved_at, duration) {
            (Some(resolved), Some(minutes)) => format!("until {} ({minutes} minutes)", when(resolved)),
            _ => "and not resolved yet".to_owned(),
        },
    );
    let mut problem_summary = investigation.output(Stage::Examine).to_owned();
    if let Some(report) = &incident.problem_report {
        let reported = format!("Reported: expected {}; actual {}.", report.expected, report.actual);
        problem_summary =
            if problem_summary.is_empty() { reported } else { format!("{problem_summary}\n\n{reported}") };
    }
    let impact = format!(
        "Duration: {}. Services: {}. Alerts: {}. Customer-facing: {}. Data impact: {}. Response targets: {} met, {} missed. Time to acknowledge: {} minutes.",
        duration.map_or_else(|| "ongoing".to_owned(), |m| format!("{m} minutes")),
        if facts.service_names.is_empty() { "none named".to_owned() } else { facts.service_names.join(", ") },
        incident.alerts.len(),
        yes_no(incident.customer_facing),
        yes_no(incident.data_impact),
        facts.targets_met,
        facts.targets_missed,
        incident.time_to_acknowledge().as_mins(),
    );
    let timeline = facts
        .timeline
        .iter()
        .filter(|e| e.pinned || is_key(e))
        .map(|e| TimelineLine { at: e.at, text: e.message.clone() })
        .collect();
    let confirmed: Vec<String> = incident
        .hypotheses
        .iter()
        .filter(|h| h.verdict == Some(HypothesisVerdict::Confirmed))
        .map(|h| format!("{} (evidence: {})", h.statement, h.evidence))
        .collect();
    let mut root_cause = confirmed.join("\n");
    let confidence = investigation.output(Stage::Test);
    if !confidence.is_empty() {
        root_cause = if root_cause.is_empty() {
            confidence.to_owned()
        } else {
            format!("{root_cause}\n\n{confidence}")
        };
    }
    PostmortemDocument {
        title: format!("Postmortem: {}", incident.title),
        date: incident.started_at.to_zoned_datetime(zone.clone()).date().to_string(),
        authors,
        reviewers: Vec::new(),
        commander: incident.command.commander.clone(),
        executive_summary,
        problem_summary,
        impact,
        timeline,
        root_cause,
        trigger: investigation.output(Stage::Examine).to_owned(),
        resolution: format!("{outcome}. {}", investigation.output(Stage::Cure)).trim().to_owned(),
        went_well: Vec::new(),
        went_wrong: Vec::new(),
        got_lucky: Vec::new(),
    }
}

fn names(people: &[Person]) -> String {
    if people.is_empty() {
        "—".to_owned()
    } else {
        people.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
    }
}

fn paragraph(text: &str) -> String {
    if text.trim().is_empty() { "_Not written yet._".to_owned() } else { text.trim().to_owned() }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        return "_None yet._".to_owned();
    }
    items.iter().map(|i| format!("- {}", i.trim())).collect::<Vec<_>>().join("\n")
}

/// The postmortem in CommonMark, every template section present (empty ones say so).
pub fn to_markdown(document: &PostmortemDocument, actions: &[ActionItem], zone: &TimeZone) -> String {
    let when = |at: Timestamp| at.to_zoned_datetime(zone.clone()).strftime("%Y-%m-%d %H:%M %Z").to_string();
    let timeline = if document.timeline.is_empty() {
        "_None yet._".to_owned()
    } else {
        document
            .timeline
            .iter()
            .map(|l| format!("- **{}** {}", when(l.at), l.text))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let action_items = if actions.is_empty() {
        "_None yet._".to_owned()
    } else {
        actions
            .iter()
            .map(|a| {
                let due = a.due_on.map(|d| format!(", due {d}")).unwrap_or_default();
                let link = a.tracker_url.as_deref().map(|u| format!(" ([tracker]({u}))")).unwrap_or_default();
                format!(
                    "- [{}] {} ({}, {}{due}, {}){link}",
                    if a.status.is_closed() { "x" } else { " " },
                    a.title,
                    a.owner.name,
                    a.priority.as_str(),
                    a.status.as_str()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "# {title}\n\n\
         - **Date:** {date}\n- **Authors:** {authors}\n- **Reviewers:** {reviewers}\n- **Incident Commander:** {commander}\n\n\
         ## Executive summary\n\n{executive}\n\n\
         ## Problem summary\n\n{problem}\n\n\
         ## Impact\n\n{impact}\n\n\
         ## Timeline\n\n{timeline}\n\n\
         ## Root cause and trigger\n\n**Root cause:** {root}\n\n**Trigger:** {trigger}\n\n\
         ## Resolution\n\n{resolution}\n\n\
         ## Action items\n\n{action_items}\n\n\
         ## Lessons learned\n\n### What went well\n\n{well}\n\n### What went wrong\n\n{wrong}\n\n### Where we got lucky\n\n{lucky}\n",
        title = document.title,
        date = document.date,
        authors = names(&document.authors),
        reviewers = names(&document.reviewers),
        commander = document.commander.name,
        executive = paragraph(&document.executive_summary),
        problem = paragraph(&document.problem_summary),
        impact = paragraph(&document.impact),
        root = paragraph(&document.root_cause),
        trigger = paragraph(&document.trigger),
        resolution = paragraph(&document.resolution),
        well = list(&document.went_well),
        wrong = list(&document.went_wrong),
        lucky = list(&document.got_lucky),
    )
}
