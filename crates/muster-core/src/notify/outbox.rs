//! The outbox record of one notification, and when a failed delivery is tried again.
//!
//! Notifications are written in the same transaction as the state change that causes them and
//! delivered afterwards, at least once: a delivery that fails is retried with exponential backoff
//! until it succeeds or runs out of attempts and goes to the dead letters, which people see in
//! the UI. A notification's id is its idempotency key: every attempt carries the same one, so a
//! receiver can drop the repeat of a delivery whose answer was lost.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::{ContactKind, Notice};
use crate::ids::{AlertId, ContactMethodId, NotificationId, PageId, UserId};

/// Where a notification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NotificationStatus {
    /// Waiting for its time, or for its next attempt.
    Pending,
    Delivered,
    /// Every attempt failed; kept and shown, not tried again.
    DeadLetter,
}

impl NotificationStatus {
    pub const ALL: [NotificationStatus; 3] =
        [NotificationStatus::Pending, NotificationStatus::Delivered, NotificationStatus::DeadLetter];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationStatus::Pending => "pending",
            NotificationStatus::Delivered => "delivered",
            NotificationStatus::DeadLetter => "dead_letter",
        }
    }
}

impl std::str::FromStr for NotificationStatus {
    type Err = crate::FieldError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        NotificationStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == value)
            .ok_or_else(|| crate::FieldError::new("status", "must be one of pending, delivered, dead_letter"))
    }
}

/// Why a notification is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// A step of a page reached the person.
    Page,
    /// The code that verifies a new contact method.
    Verification,
    /// "Send me a test".
    Test,
    /// A stakeholder update, to someone subscribed to the incident or its service.
    StakeholderUpdate,
    /// A reminder to the Comms Lead that a stakeholder update is overdue.
    UpdateReminder,
    /// A role in an incident was offered to the person.
    RoleOffer,
    /// A required postmortem the person writes is past its due date.
    PostmortemReminder,
    /// An action item the person owns is overdue.
    ActionItemReminder,
}

impl Purpose {
    pub const ALL: [Purpose; 8] = [
        Purpose::Page,
        Purpose::Verification,
        Purpose::Test,
        Purpose::StakeholderUpdate,
        Purpose::UpdateReminder,
        Purpose::RoleOffer,
        Purpose::PostmortemReminder,
        Purpose::ActionItemReminder,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Page => "page",
            Purpose::Verification => "verification",
            Purpose::Test => "test",
            Purpose::StakeholderUpdate => "stakeholder_update",
            Purpose::UpdateReminder => "update_reminder",
            Purpose::RoleOffer => "role_offer",
            Purpose::PostmortemReminder => "postmortem_reminder",
            Purpose::ActionItemReminder => "action_item_reminder",
        }
    }
}

impl std::str::FromStr for Purpose {
    type Err = crate::FieldError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Purpose::ALL
            .into_iter()
            .find(|p| p.as_str() == value)
            .ok_or_else(|| crate::FieldError::new("purpose", "is not a known purpose of a notification"))
    }
}

/// One notification in the outbox. The destination is copied in when it is queued, so the
/// delivery log shows where each message went even after the person changes their methods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notification {
    /// Also the idempotency key of every attempt.
    pub id: NotificationId,
    pub user_id: UserId,
    pub contact_method_id: ContactMethodId,
    pub kind: ContactKind,
    pub address: String,
    pub signed: bool,
    pub purpose: Purpose,
    pub page_id: Option<PageId>,
    pub alert_id: Option<AlertId>,
    /// Which step notification of the page (over all rounds) sent it.
    pub step_index: Option<u32>,
    pub notice: Notice,
    pub status: NotificationStatus,
    pub attempts: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub deliver_at: Timestamp,
    /// When the next attempt may start: `deliver_at` at first, later after each backoff.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub next_attempt_at: Timestamp,
    pub last_error: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub delivered_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

/// The retry schedule: 10 s after the first failure, doubling up to 10 minutes, ten attempts in
/// all (about half an hour), then the dead letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub first: SignedDuration,
    pub longest: SignedDuration,
    pub attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { first: SignedDuration::from_secs(10), longest: SignedDuration::from_mins(10), attempts: 10 }
    }
}

impl Backoff {
    /// How long after failed attempt number `attempts` (from 1) the next one starts; `None` when
    /// that was the last.
    pub fn after_failure(&self, attempts: u32) -> Option<SignedDuration> {
        if attempts >= self.attempts {
            return None;
        }
        let doublings = attempts.saturating_sub(1).min(30);
        let wait = self.first.checked_mul(1 << doublings).unwrap_or(self.longest);
        Some(wait.min(self.longest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_then_give_up() {
        let backoff = Backoff::default();
        let waits: Vec<i64> =
            (1..=10).filter_map(|n| backoff.after_failure(n)).map(|d| d.as_secs()).collect();
        assert_eq!(waits, [10, 20, 40, 80, 160, 320, 600, 600, 600]);
        assert_eq!(backoff.after_failure(10), None, "the tenth failure is the last");
    }

    #[test]
    fn bundles_list_every_notice() {
        let notice =
            |title: &str| Notice { title: title.into(), text: String::new(), url: None, respond: true };
        assert_eq!(Notice::bundle(&[notice("a")]), notice("a"));
        let bundle = Notice::bundle(&[notice("Disk full"), notice("CPU hot")]);
        assert_eq!(bundle.title, "2 alerts need you");
        assert_eq!(bundle.text, "• Disk full\n• CPU hot");
    }
}
