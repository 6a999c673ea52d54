//! A schedule as stored and shown: its name, owner and zone around the [`Layers`] that answer who
//! is on call.

use jiff::Timestamp;

use super::layers::Layers;
use crate::{
    ids::{ScheduleId, TeamId},
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
