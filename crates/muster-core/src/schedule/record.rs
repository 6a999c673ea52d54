//! A schedule as stored and shown: its name, owner and zone around the [`Layers`] that answer who
//! is on call.

use jiff::Timestamp;

use super::layers::Layers;
use crate::{
    ids::{CoverRequestId, OverrideId, ScheduleId, TeamId, UserId},
    validate::{Checker, Invalid, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, optional_text, required_line},
};

#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub id: ScheduleId,
    pub name: String,
    pub description: String,
    pub team_id: Option<TeamId>,
    pub layers: Layers,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Schedule {
    /// The schedule's IANA zone name.
    pub fn time_zone_name(&self) -> &str {
        self.layers.time_zone.iana_name().unwrap_or("UTC")
    }
}

/// The validated name and description of a new schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleNaming {
    pub name: String,
    pub description: String,
}

impl ScheduleNaming {
    pub fn parse(name: &str, description: Option<&str>) -> Result<Self, Invalid> {
        let mut checker = Checker::new();
        let name = checker.check(required_line("name", name, MAX_NAME_CHARS));
        let description =
            checker.check(optional_text("description", description.unwrap_or(""), MAX_DESCRIPTION_CHARS));
        checker.finish(|| Some(ScheduleNaming { name: name?, description: description? }))
    }
}

/// Where a request for cover stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoverStatus {
    Open,
    /// Someone took it; an override now puts them on call in the requester's place.
    Accepted,
    Withdrawn,
}

impl CoverStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CoverStatus::Open => "open",
            CoverStatus::Accepted => "accepted",
            CoverStatus::Withdrawn => "withdrawn",
        }
    }
}

impl std::str::FromStr for CoverStatus {
    type Err = crate::FieldError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        [CoverStatus::Open, CoverStatus::Accepted, CoverStatus::Withdrawn]
            .into_iter()
            .find(|status| status.as_str() == value)
            .ok_or_else(|| crate::FieldError::new("status", "must be one of open, accepted, withdrawn"))
    }
}

/// A person on call asking someone to take an interval of their shift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverRequest {
    pub id: CoverRequestId,
    pub schedule_id: ScheduleId,
    pub requester: UserId,
    pub start: Timestamp,
    pub end: Timestamp,
    pub note: String,
    pub status: CoverStatus,
    /// Who accepted or withdrew it.
    pub resolved_by: Option<UserId>,
    /// The override an accepted request created.
    pub override_id: Option<OverrideId>,
    pub created_at: Timestamp,
}
