//! The review-and-publish workflow: draft → in review → published. Authors edit and submit (only
//! once the blameless check has no open flag); named reviewers approve or send it back; publishing
//! needs every reviewer's approval or an admin's recorded override. A published postmortem is
//! read-only: a correction makes a new version, whose diff against the last one is kept.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{
    blameless::{BlamelessFlag, check_blameless},
    document::PostmortemDocument,
};
use crate::{
    FieldError,
    ids::{IncidentId, PostmortemId, UserId},
    incident::{Participant, Person, Refusal},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PostmortemStatus {
    Draft,
    InReview,
    Published,
}

impl PostmortemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PostmortemStatus::Draft => "draft",
            PostmortemStatus::InReview => "in_review",
            PostmortemStatus::Published => "published",
        }
    }
}

impl std::str::FromStr for PostmortemStatus {
    type Err = FieldError;

    fn from_str(value: &str) -> Result<Self, FieldError> {
        [PostmortemStatus::Draft, PostmortemStatus::InReview, PostmortemStatus::Published]
            .into_iter()
            .find(|s| s.as_str() == value.trim())
            .ok_or_else(|| FieldError::new("status", "must be draft, in_review or published"))
    }
}

/// A named reviewer and their approval of the current text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reviewer {
    pub person: Person,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub approved_at: Option<Timestamp>,
}

/// A blameless flag the authors dismissed, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Dismissal {
    pub flag_id: String,
    pub reason: String,
    pub by: Person,
}

/// One postmortem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Postmortem {
    pub id: PostmortemId,
    pub incident_id: IncidentId,
    pub status: PostmortemStatus,
    /// 1 until published; each correction after that adds one.
    pub version: u32,
    pub document: PostmortemDocument,
    pub reviewers: Vec<Reviewer>,
    pub dismissed: Vec<Dismissal>,
    /// The admin who published without every approval, if one did.
    pub override_by: Option<Person>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub published_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

/// A change someone asks to make to a postmortem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostmortemChange {
    Edit {
        document: Box<PostmortemDocument>,
    },
    SetReviewers {
        reviewers: Vec<Participant>,
    },
    Dismiss {
        flag_id: String,
        reason: String,
    },
    Submit,
    Approve,
    RequestChanges {
        comment: String,
    },
    Publish,
    /// A new version of a published postmortem.
    Correct {
        document: Box<PostmortemDocument>,
        reason: String,
    },
}

fn conflict(field: &'static str, problem: impl Into<String>) -> Refusal {
    Refusal::Conflict { field, problem: problem.into() }
}

impl Postmortem {
    pub fn new(
        id: PostmortemId,
        incident_id: IncidentId,
        document: PostmortemDocument,
        now: Timestamp,
    ) -> Postmortem {
        Postmortem {
            id,
            incident_id,
            status: PostmortemStatus::Draft,
            version: 1,
            reviewers: document
                .reviewers
                .iter()
                .map(|p| Reviewer { person: p.clone(), approved_at: None })
                .collect(),
            document,
            dismissed: Vec::new(),
            override_by: None,
            published_at: None,
            updated_at: now,
        }
    }

    fn is_author(&self, user: &UserId) -> bool {
        self.document.authors.iter().any(|a| &a.id == user)
    }

    fn is_reviewer(&self, user: &UserId) -> bool {
        self.reviewers.iter().any(|r| &r.person.id == user)
    }

    /// The names the blameless check watches for: everyone named in the document.
    fn people(&self) -> Vec<String> {
        let mut names: Vec<String> = self.document.authors.iter().map(|p| p.name.clone()).collect();
        names.extend(self.reviewers.iter().map(|r| r.person.name.clone()));
        names.push(self.document.commander.name.clone());
        names.sort();
        names.dedup();
        names
    }

    /// The blameless flags of the current text that nobody dismissed.
    pub fn open_flags(&self, extra_people: &[String]) -> Vec<BlamelessFlag> {
        let mut people = self.people();
        people.extend(extra_people.iter().cloned());
        let prose = self.document.prose();
        let sections: Vec<(&str, &str)> = prose.iter().map(|(name, text)| (*name, text.as_str())).collect();
        check_blameless(&sections, &people)
            .into_iter()
            .filter(|flag| !self.dismissed.iter().any(|d| d.flag_id == flag.id))
            .collect()
    }

    /// Applies `change` by `who`; returns what happened, in words, for the history. `people` are
    /// the incident's other participants, whose names the blameless check also watches for.
    pub fn apply(
        &mut self,
        who: &Participant,
        change: PostmortemChange,
        people: &[String],
        now: Timestamp,
    ) -> Result<String, Refusal> {
        if !who.may_respond {
            return Err(Refusal::Forbidden("change postmortems: stakeholders read them"));
        }
        let me = &who.person;
        let author = who.is_admin || self.is_author(&me.id);
        let mut next = self.clone();
        let said = match change {
            PostmortemChange::Edit { document } => {
                next.require_editable()?;
                require(author, "edit this postmortem: its authors do")?;
                document.check().map_err(Refusal::Invalid)?;
                let reviewers_changed = document.reviewers != next.document.reviewers;
                next.document = *document;
                if reviewers_changed {
                    next.reviewers = next
                        .document
                        .reviewers
                        .iter()
                        .map(|p| Reviewer { person: p.clone(), approved_at: None })
                        .collect();
                }
                // Approvals are of the text as it was; an edit during review needs them again.
                next.reviewers.iter_mut().for_each(|r| r.approved_at = None);
                format!("{} edited the draft", me.name)
            }
            PostmortemChange::SetReviewers { reviewers } => {
                next.require_editable()?;
                require(author, "choose reviewers: the authors do")?;
                if let Some(stakeholder) = reviewers.iter().find(|r| !r.may_respond) {
                    return Err(FieldError::new(
                        "reviewers",
                        format!("{} is a stakeholder and cannot review", stakeholder.person.name),
                    )
                    .into());
                }
                next.document.reviewers = reviewers.iter().map(|r| r.person.clone()).collect();
                next.reviewers = next
                    .document
                    .reviewers
                    .iter()
                    .map(|p| Reviewer { person: p.clone(), approved_at: None })
                    .collect();
                format!("{} set the reviewers: {}", me.name, names(&next.document.reviewers))
            }
            PostmortemChange::Dismiss { flag_id, reason } => {
                next.require_editable()?;
                require(author, "dismiss blameless flags: the authors do")?;
                let reason = reason.trim();
                if reason.is_empty() {
                    return Err(FieldError::new("reason", "say why the sentence is not blaming").into());
                }
                if !next.open_flags(people).iter().any(|f| f.id == flag_id) {
                    return Err(conflict(
                        "flag_id",
                        "no open flag has this id; the sentence may have changed",
                    ));
                }
                next.dismissed.push(Dismissal { flag_id, reason: reason.to_owned(), by: me.clone() });
                format!("{} dismissed a blameless flag: {reason}", me.name)
            }
            PostmortemChange::Submit => {
                if next.status != PostmortemStatus::Draft {
                    return Err(conflict(
                        "status",
                        format!("only a draft is submitted; this one is {}", next.status.as_str()),
                    ));
                }
                require(author, "submit this postmortem: its authors do")?;
                if next.reviewers.is_empty() {
                    return Err(conflict("reviewers", "name at least one reviewer before submitting"));
                }
                let flags = next.open_flags(people);
                if !flags.is_empty() {
                    let first = &flags[0];
                    return Err(conflict(
                        "blameless",
                        format!(
                            "{} sentence(s) read as blaming; fix or dismiss them first, e.g. \"{}\" ({}: {})",
                            flags.len(),
                            first.sentence,
                            first.rule,
                            first.suggestion
                        ),
                    ));
                }
                next.status = PostmortemStatus::InReview;
                format!("{} submitted the postmortem for review", me.name)
            }
            PostmortemChange::Approve => {
                if next.status != PostmortemStatus::InReview {
                    return Err(conflict("status", "only a postmortem in review is approved"));
                }
                let Some(reviewer) = next.reviewers.iter_mut().find(|r| r.person.id == me.id) else {
                    return Err(Refusal::Forbidden("approve this postmortem: only its named reviewers do"));
                };
                reviewer.approved_at = Some(now);
                format!("{} approved the postmortem", me.name)
            }
            PostmortemChange::RequestChanges { comment } => {
                if next.status != PostmortemStatus::InReview {
                    return Err(conflict("status", "only a postmortem in review is sent back"));
                }
                require(next.is_reviewer(&me.id), "send this postmortem back: only its named reviewers do")?;
                let comment = comment.trim();
                if comment.is_empty() {
                    return Err(FieldError::new("comment", "say what should change").into());
                }
                next.status = PostmortemStatus::Draft;
                next.reviewers.iter_mut().for_each(|r| r.approved_at = None);
                format!("{} asked for changes: {comment}", me.name)
            }
            PostmortemChange::Publish => {
                if next.status != PostmortemStatus::InReview {
                    return Err(conflict("status", "a postmortem is published from review"));
                }
                require(author, "publish this postmortem: its authors (or an admin) do")?;
                let waiting: Vec<&str> = next
                    .reviewers
                    .iter()
                    .filter(|r| r.approved_at.is_none())
                    .map(|r| r.person.name.as_str())
                    .collect();
                if !waiting.is_empty() {
                    if !who.is_admin {
                        return Err(conflict(
                            "approvals",
                            format!("waiting for the approval of {}", waiting.join(", ")),
                        ));
                    }
                    next.override_by = Some(me.clone());
                }
                next.status = PostmortemStatus::Published;
                next.published_at = Some(now);
                match &next.override_by {
                    Some(_) if !waiting.is_empty() => {
                        format!(
                            "{} published the postmortem without the approval of {} (admin override)",
                            me.name,
                            waiting.join(", ")
                        )
                    }
                    _ => format!("{} published the postmortem", me.name),
                }
            }
            PostmortemChange::Correct { document, reason } => {
                if next.status != PostmortemStatus::Published {
                    return Err(conflict(
                        "status",
                        "only a published postmortem is corrected; edit the draft instead",
                    ));
                }
                require(author, "correct this postmortem: its authors (or an admin) do")?;
                let reason = reason.trim();
                if reason.is_empty() {
                    return Err(FieldError::new("reason", "say what the correction fixes").into());
                }
                document.check().map_err(Refusal::Invalid)?;
                if *document == next.document {
                    return Err(conflict("document", "the correction changes nothing"));
                }
                next.document = *document;
                next.version += 1;
                format!("{} corrected the postmortem (version {}): {reason}", me.name, next.version)
            }
        };
        next.updated_at = now;
        *self = next;
        Ok(said)
    }

    fn require_editable(&self) -> Result<(), Refusal> {
        if self.status == PostmortemStatus::Published {
            Err(conflict("status", "a published postmortem is read-only; make a correction instead"))
        } else {
            Ok(())
        }
    }
}

fn require(allowed: bool, why: &'static str) -> Result<(), Refusal> {
    if allowed { Ok(()) } else { Err(Refusal::Forbidden(why)) }
}

fn names(people: &[Person]) -> String {
    people.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
}

/// How often the authors of an overdue required postmortem are reminded.
pub const REMINDER_INTERVAL: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

/// Whether the authors should be reminded now: a required postmortem, not published, past its
/// due date, and not reminded in the last day.
pub fn authors_reminder_due(
    status: PostmortemStatus,
    due_at: Option<Timestamp>,
    reminded_at: Option<Timestamp>,
    now: Timestamp,
) -> bool {
    status != PostmortemStatus::Published
        && due_at.is_some_and(|due| due <= now)
        && reminded_at.is_none_or(|at| now.duration_since(at) >= REMINDER_INTERVAL)
}

/// The reminder to a postmortem's authors.
pub fn authors_reminder_notice(incident_number: i64, title: &str, due: Timestamp) -> crate::notify::Notice {
    crate::notify::Notice {
        title: format!("{title} was due {due}"),
        text: format!(
            "The postmortem of incident {incident_number} is required and not published yet. Finish the draft, or submit it for review."
        ),
        url: Some(format!("/incidents/{incident_number}")),
        respond: false,
    }
}
