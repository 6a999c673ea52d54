//! The incident document: the one page everyone reads. Issued from a template at declaration,
//! edited by the roles; every revision is kept, and any two can be compared section by section.
//! An edit names the revision it was made on, so an edit made on a stale copy is refused instead
//! of silently overwriting someone else's.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use similar::{ChangeTag, TextDiff};

use super::{command::Person, declare::Declaration};
use crate::{
    Invalid,
    validate::{Checker, optional_text},
};

/// Longest section of the document.
pub const MAX_SECTION_CHARS: usize = 20_000;

/// The sections of the document, in reading order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentSections {
    pub summary: String,
    pub impact: String,
    pub current_status: String,
    pub actions: String,
    pub hypotheses: String,
    pub links: String,
}

impl DocumentSections {
    /// Each section's field name and heading, in order.
    pub const HEADINGS: [(&'static str, &'static str); 6] = [
        ("summary", "Summary"),
        ("impact", "Impact"),
        ("current_status", "Current status"),
        ("actions", "Actions in progress"),
        ("hypotheses", "Hypotheses"),
        ("links", "Links"),
    ];

    /// The sections' texts, in [`Self::HEADINGS`] order.
    pub fn texts(&self) -> [&str; 6] {
        [&self.summary, &self.impact, &self.current_status, &self.actions, &self.hypotheses, &self.links]
    }

    /// The first revision, from what the declaration says; `links` lists the linked alerts.
    pub fn template(
        declaration: &Declaration,
        service_names: &[String],
        links: &[String],
    ) -> DocumentSections {
        let mut summary = declaration.title.clone();
        if let Some(report) = &declaration.problem_report {
            summary.push_str(&format!("\n\nExpected: {}\nActual: {}", report.expected, report.actual));
            if !report.reproduce.is_empty() {
                summary.push_str(&format!("\nHow to reproduce: {}", report.reproduce));
            }
        }
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let services =
            if service_names.is_empty() { "none named yet".to_owned() } else { service_names.join(", ") };
        DocumentSections {
            summary,
            impact: format!(
                "Severity: {} ({})\nCustomer-facing: {}\nData impact: {}\nServices: {services}",
                declaration.severity.label(),
                declaration.severity.meaning(),
                yes_no(declaration.customer_facing),
                yes_no(declaration.data_impact),
            ),
            current_status: "Investigating. Triage: getting the system back to good enough.".into(),
            actions: String::new(),
            hypotheses: String::new(),
            links: links.join("\n"),
        }
    }

    /// Checks an edited document: each section within its size and free of control characters.
    pub fn parse(sections: DocumentSections) -> Result<DocumentSections, Invalid> {
        let mut checker = Checker::new();
        let mut check =
            |field: &str, text: &str| checker.check(optional_text(field, text, MAX_SECTION_CHARS));
        let summary = check("summary", &sections.summary);
        let impact = check("impact", &sections.impact);
        let current_status = check("current_status", &sections.current_status);
        let actions = check("actions", &sections.actions);
        let hypotheses = check("hypotheses", &sections.hypotheses);
        let links = check("links", &sections.links);
        checker.finish(|| {
            Some(DocumentSections {
                summary: summary?,
                impact: impact?,
                current_status: current_status?,
                actions: actions?,
                hypotheses: hypotheses?,
                links: links?,
            })
        })
    }

    /// The headings of the sections that differ from `other`.
    pub fn changed_sections(&self, other: &DocumentSections) -> Vec<&'static str> {
        Self::HEADINGS
            .iter()
            .zip(self.texts().into_iter().zip(other.texts()))
            .filter(|(_, (a, b))| a != b)
            .map(|((_, heading), _)| *heading)
            .collect()
    }
}

/// One kept revision of the document. Revision 1 is the template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentRevision {
    pub revision: u32,
    pub sections: DocumentSections,
    pub author: Person,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
}

/// One line of a section's diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiffLine {
    /// `same`, `removed` or `added`.
    pub change: &'static str,
    pub text: String,
}

/// How one section changed between two revisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SectionDiff {
    pub section: &'static str,
    pub heading: &'static str,
    pub lines: Vec<DiffLine>,
}

/// How the document changed from one revision to another: only the sections that changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentDiff {
    pub from: u32,
    pub to: u32,
    pub sections: Vec<SectionDiff>,
}

impl DocumentDiff {
    pub fn between(from: &DocumentRevision, to: &DocumentRevision) -> DocumentDiff {
        let sections = DocumentSections::HEADINGS
            .iter()
            .zip(from.sections.texts().into_iter().zip(to.sections.texts()))
            .map(|((section, heading), (old, new))| (*section, *heading, old, new));
        DocumentDiff { from: from.revision, to: to.revision, sections: diff_sections(sections) }
    }
}

/// Line diffs of the sections whose text changed, from `(section, heading, old, new)` in
/// reading order; shared by the incident document and postmortem versions.
pub fn diff_sections<'a>(
    sections: impl IntoIterator<Item = (&'static str, &'static str, &'a str, &'a str)>,
) -> Vec<SectionDiff> {
    sections
        .into_iter()
        .filter(|(_, _, old, new)| old != new)
        .map(|(section, heading, old, new)| SectionDiff {
            section,
            heading,
            // A last line without its newline would otherwise count as changed when a line is added.
            lines: TextDiff::from_lines(&with_final_newline(old), &with_final_newline(new))
                .iter_all_changes()
                .map(|change| DiffLine {
                    change: match change.tag() {
                        ChangeTag::Equal => "same",
                        ChangeTag::Delete => "removed",
                        ChangeTag::Insert => "added",
                    },
                    text: change.value().trim_end_matches(['\n', '\r']).to_owned(),
                })
                .collect(),
        })
        .collect()
}

fn with_final_newline(text: &str) -> String {
    if text.is_empty() || text.ends_with('\n') { text.to_owned() } else { format!("{text}\n") }
}
