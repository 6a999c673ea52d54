//! What every page shows around its content: who is signed in, their CSRF token, the navigation,
//! a notice after a write, and times in the reader's own time zone.

use jiff::{Timestamp, tz::TimeZone};
use muster_core::{
    page::Page,
    user::{Role, User},
};

use crate::auth::Caller;

pub struct Layout {
    pub viewer: User,
    pub csrf: String,
    pub section: &'static str,
    pub notice: Option<&'static str>,
    now: Timestamp,
    zone: TimeZone,
}

impl Layout {
    pub fn new(caller: &Caller, section: &'static str, done: Option<&str>, now: Timestamp) -> Self {
        let zone = caller.time_zone();
        Layout {
            viewer: caller.user.clone(),
            csrf: caller.csrf_token().unwrap_or_default().to_owned(),
            section,
            notice: done.and_then(notice),
            now,
            zone,
        }
    }

    /// The time the page was made, for "overdue" and "in an hour".
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// The reader's time zone.
    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    pub fn is_admin(&self) -> bool {
        self.viewer.role == Role::Admin
    }

    /// An instant in the reader's zone, with the zone's abbreviation so nobody has to guess.
    pub fn time(&self, at: impl Instant) -> String {
        at.instant().to_zoned_datetime(self.zone.clone()).strftime("%Y-%m-%d %H:%M %Z").to_string()
    }

    /// The wall-clock time now in another zone, e.g. to see whether a colleague is awake.
    pub fn local_now(&self, zone: impl AsRef<str>) -> String {
        match TimeZone::get(zone.as_ref()) {
            Ok(zone) => self.now.to_zoned_datetime(zone).strftime("%a %H:%M").to_string(),
            Err(_) => String::new(),
        }
    }

    /// Every IANA zone name, for the time-zone pickers; built once per process.
    pub fn time_zones(&self) -> &'static [String] {
        static ZONES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
            let mut zones: Vec<String> = jiff::tz::db().available().map(|name| name.to_string()).collect();
            zones.sort();
            zones
        });
        &ZONES
    }
}

/// Anything that is an instant, however many references deep the template hands it over.
pub trait Instant {
    fn instant(&self) -> Timestamp;
}

impl Instant for Timestamp {
    fn instant(&self) -> Timestamp {
        *self
    }
}

impl<T: Instant + ?Sized> Instant for &T {
    fn instant(&self) -> Timestamp {
        (**self).instant()
    }
}

/// Notices shown after a successful write, keyed by the `done` code in the redirect. Codes rather
/// than text keep crafted links from putting words in Muster's mouth.
fn notice(done: &str) -> Option<&'static str> {
    Some(match done {
        "service-created" => "Service created. Add an integration key and point a monitor at it.",
        "service-updated" => "Service saved.",
        "service-deleted" => "Service deleted and its keys revoked.",
        "key-created" => "Integration key added.",
        "key-revoked" => "Integration key revoked.",
        "team-created" => "Team created.",
        "team-updated" => "Team saved.",
        "team-deleted" => "Team deleted.",
        "member-added" => "Member added.",
        "member-removed" => "Member removed.",
        "user-created" => "Person added.",
        "user-updated" => "Changes saved.",
        "user-deactivated" => "Person deactivated.",
        "profile-updated" => "Profile saved.",
        "password-changed" => "Password changed. Other sessions were signed out.",
        "token-revoked" => "Token revoked.",
        "schedule-created" => "Schedule created.",
        "schedules-created" => "Schedules created: primary, secondary and tickets.",
        "schedule-deleted" => "Schedule deleted.",
        "schedule-team-set" => "Team set: its rotation sizing and weekly hand-off cover this schedule.",
        "override-added" => "Override added.",
        "override-removed" => "Override removed.",
        "cover-requested" => "Request for cover posted; colleagues can take it from this page.",
        "cover-accepted" => "You are covering; the calendar shows it.",
        "cover-withdrawn" => "Request for cover withdrawn.",
        "pager-taken" => "You have the pager until the end of the current shift.",
        "alert-acknowledged" => "Alert acknowledged.",
        "alert-resolved" => "Alert resolved.",
        "note-added" => "Note added to the log.",
        "alert-settings-saved" => "Alert settings saved.",
        "maintenance-started" => "Maintenance window scheduled: alerts in it are kept but page no one.",
        "maintenance-ended" => "Maintenance window ended.",
        "heartbeat-added" => "Heartbeat added. Have the job call its check-in URL at least every interval.",
        "postmortem-started" => "Postmortem started from the incident. Fill in what the draft leaves open.",
        "postmortem-saved" => "Draft saved.",
        "postmortem-submitted" => "Submitted for review. The reviewers approve or send it back.",
        "postmortem-approved" => "Approved.",
        "postmortem-sent-back" => "Sent back to the authors with your comment.",
        "postmortem-published" => "Published. It is read-only now and found by search.",
        "postmortem-corrected" => "Correction published as a new version.",
        "reviewers-set" => "Reviewers saved.",
        "flag-dismissed" => "Flag dismissed; the reason is kept in the history.",
        "comment-added" => "Comment added.",
        "action-item-added" => "Action item added.",
        "action-item-updated" => "Action item updated.",
        "page-judged" => "Thank you: the toil report counts your answer.",
        "ticket-work-marked" => "Marked as ticket work; it counts in your shift's load.",
        "slo-created" => "SLO added. Load its Prometheus rules to alert on its burn rate.",
        "slo-deleted" => "SLO deleted.",
        "ops-mode-entered" => "Ops mode entered: objectives reduced, deploys frozen.",
        "ops-mode-left" => "Ops mode ended: objectives restored, deploys may proceed.",
        "exception-granted" => "Exception granted; the audit log records it.",
        "vote-cast" => "Vote cast for the postmortem of the month.",
        "month-chosen" => "Postmortem of the month chosen; the audit log records it.",
        "reading-listed" => "On the reading list.",
        "reading-unlisted" => "Taken off the reading list.",
        "session-recorded" => "Review session recorded.",
        "heartbeat-deleted" => "Heartbeat deleted.",
        "signing-saved" => "Signature settings saved.",
        "calendar-revoked" => "Calendar address revoked; subscribed apps stop updating.",
        "method-added" => {
            "Contact method added. Muster sent a six-digit code through it: type it below to start using it."
        }
        "code-sent" => "A new code is on its way; the old one no longer works.",
        "method-verified" => "Contact method verified. Add a rule to be notified through it.",
        "method-removed" => "Contact method removed, with its rules.",
        "test-sent" => "Test message sent; the list below shows when it is delivered.",
        "rule-added" => "Notification rule added.",
        "rule-removed" => "Notification rule removed.",
        "policy-created" => "Escalation policy created. Attach it to a service on the service's page.",
        "policy-saved" => "Escalation policy saved as a new version; pages already running keep theirs.",
        "policy-deleted" => "Escalation policy deleted.",
        "escalation-saved" => "Escalation settings saved.",
        "playbook-added" => "Playbook added: matching alerts show it as their standard response.",
        "playbook-deleted" => "Playbook deleted.",
        "criteria-saved" => "Declaration criteria saved.",
        "subscribed" => "You follow its stakeholder updates now.",
        "unsubscribed" => "You no longer follow those updates.",
        "incident-declared" => "Incident declared. You are Incident Commander until you hand command on.",
        "role-offered" => "Role offered; it changes hands when they accept.",
        "role-accepted" => "You hold the role now; the timeline records the hand-off.",
        "role-declined" => "Offer declined.",
        "offer-withdrawn" => "Offer withdrawn.",
        "investigator-added" => "Investigator added.",
        "investigator-removed" => "Investigator removed.",
        "stage-moved" => "Investigation stage changed.",
        "output-saved" => "Stage output saved.",
        "tactic-saved" => "Checklist saved.",
        "hypothesis-proposed" => "Hypothesis added to the shortlist.",
        "hypothesis-judged" => "Hypothesis judged.",
        "state-changed" => "Incident state changed.",
        "severity-changed" => "Severity changed.",
        "document-saved" => "Document saved as a new revision.",
        "update-posted" => "Stakeholder update posted.",
        "incident-note-added" => "Note added to the timeline.",
        "alert-linked" => "Alert linked to the incident.",
        "entry-pinned" => "Timeline entry updated.",
        _ => return None,
    })
}

/// Previous and next links of a paginated list.
pub struct Pager {
    pub previous: Option<u32>,
    pub next: Option<u32>,
}

impl Pager {
    pub fn new(page: Page, returned: usize) -> Self {
        Pager {
            previous: (page.offset > 0).then(|| page.offset.saturating_sub(page.limit)),
            next: page.next_offset(returned),
        }
    }
}
