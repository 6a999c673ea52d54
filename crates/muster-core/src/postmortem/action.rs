//! Action items: the follow-ups of a postmortem, each with an owner, a due date, a priority and a
//! status, tracked to done (or to "won't do", with the reason).

use jiff::{Timestamp, civil::Date, tz::TimeZone};
use serde::{Deserialize, Serialize};

use crate::{
    FieldError,
    ids::{ActionItemId, PostmortemId},
    incident::Person,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActionPriority {
    High,
    Medium,
    Low,
}

impl ActionPriority {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionPriority::High => "high",
            ActionPriority::Medium => "medium",
            ActionPriority::Low => "low",
        }
    }
}

impl std::str::FromStr for ActionPriority {
    type Err = FieldError;

    fn from_str(value: &str) -> Result<Self, FieldError> {
        match value.trim() {
            "high" => Ok(ActionPriority::High),
            "medium" => Ok(ActionPriority::Medium),
            "low" => Ok(ActionPriority::Low),
            _ => Err(FieldError::new("priority", "must be high, medium or low")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Open,
    InProgress,
    Done,
    WontDo,
}

impl ActionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Open => "open",
            ActionStatus::InProgress => "in_progress",
            ActionStatus::Done => "done",
            ActionStatus::WontDo => "wont_do",
        }
    }

    /// Done or won't do: nothing more is expected, and no reminder goes out.
    pub fn is_closed(self) -> bool {
        matches!(self, ActionStatus::Done | ActionStatus::WontDo)
    }
}

impl std::str::FromStr for ActionStatus {
    type Err = FieldError;

    fn from_str(value: &str) -> Result<Self, FieldError> {
        [ActionStatus::Open, ActionStatus::InProgress, ActionStatus::Done, ActionStatus::WontDo]
            .into_iter()
            .find(|s| s.as_str() == value.trim())
            .ok_or_else(|| FieldError::new("status", "must be open, in_progress, done or wont_do"))
    }
}

/// One action item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionItem {
    pub id: ActionItemId,
    pub postmortem_id: PostmortemId,
    pub title: String,
    pub owner: Person,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub due_on: Option<Date>,
    pub priority: ActionPriority,
    pub status: ActionStatus,
    /// Why it will not be done; required for `wont_do`.
    pub wont_do_reason: Option<String>,
    /// The ticket in an external tracker, if any.
    pub tracker_url: Option<String>,
    /// When its owner was last reminded that it is overdue.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub reminded_at: Option<Timestamp>,
}

impl ActionItem {
    /// Past its due day in `zone` and not closed.
    pub fn is_overdue(&self, now: Timestamp, zone: &TimeZone) -> bool {
        let today = now.to_zoned_datetime(zone.clone()).date();
        !self.status.is_closed() && self.due_on.is_some_and(|due| due < today)
    }

    /// Moves to `status`; `wont_do` needs a reason, and any other status clears it.
    pub fn set_status(&mut self, status: ActionStatus, reason: Option<&str>) -> Result<(), FieldError> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        match (status, reason) {
            (ActionStatus::WontDo, None) => {
                Err(FieldError::new("wont_do_reason", "say why it will not be done"))
            }
            (ActionStatus::WontDo, Some(reason)) => {
                self.status = status;
                self.wont_do_reason = Some(reason.to_owned());
                Ok(())
            }
            (status, _) => {
                self.status = status;
                self.wont_do_reason = None;
                Ok(())
            }
        }
    }

    /// Whether the owner should be reminded now: overdue, and not reminded in the last day.
    pub fn reminder_due(&self, now: Timestamp, zone: &TimeZone) -> bool {
        self.is_overdue(now, zone)
            && self
                .reminded_at
                .is_none_or(|at| now.duration_since(at) >= jiff::SignedDuration::from_hours(24))
    }
}

/// The reminder to an overdue action item's owner.
pub fn overdue_notice(item: &ActionItem) -> crate::notify::Notice {
    let due = item.due_on.map(|d| d.to_string()).unwrap_or_default();
    crate::notify::Notice {
        title: format!("Overdue action item: {}", item.title),
        text: format!(
            "It was due {due} and is {}. Mark it done, or won't do with the reason.",
            item.status.as_str()
        ),
        url: Some("/api/v1/action-items".to_owned()),
        respond: false,
    }
}
