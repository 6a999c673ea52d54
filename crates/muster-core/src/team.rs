//! Teams: groups of users who own services and share their on-call.

use jiff::Timestamp;
use serde::Serialize;

use crate::{
    ids::{TeamId, UserId},
    validate::{Checker, Invalid, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, optional_text, required_line},
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    pub description: String,
    pub members: Vec<TeamMember>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

/// A member of a team, with enough of the user to show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamMember {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
}

/// A validated new team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTeam {
    pub name: String,
    pub description: String,
}

impl NewTeam {
    pub fn parse(name: &str, description: Option<&str>) -> Result<Self, Invalid> {
        let mut checker = Checker::new();
        let name = checker.check(required_line("name", name, MAX_NAME_CHARS));
        let description =
            checker.check(optional_text("description", description.unwrap_or(""), MAX_DESCRIPTION_CHARS));
        checker.finish(|| Some(NewTeam { name: name?, description: description? }))
    }
}

/// A validated partial update of a team; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamChanges {
    pub name: Option<String>,
    pub description: Option<String>,
}

impl TeamChanges {
    pub fn parse(name: Option<&str>, description: Option<&str>) -> Result<Self, Invalid> {
        let mut checker = Checker::new();
        let name = checker.check_optional(name.map(|n| required_line("name", n, MAX_NAME_CHARS)));
        let description = checker
            .check_optional(description.map(|d| optional_text("description", d, MAX_DESCRIPTION_CHARS)));
        checker.finish(|| Some(TeamChanges { name: name?, description: description? }))
    }
}
