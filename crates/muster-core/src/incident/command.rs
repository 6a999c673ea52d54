//! Command of an incident: who holds the Incident Commander, Comms Lead and Ops Lead roles, who
//! investigates, and which hand-offs are on offer. A role changes hands only when the incoming
//! person accepts; until then the old holder stays in command.

use std::{fmt, str::FromStr};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{FieldError, ids::UserId};

/// A command role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Incident Commander: in charge; holds every role not delegated.
    Commander,
    /// Comms Lead: keeps stakeholders informed.
    CommsLead,
    /// Ops Lead: runs the investigation and its investigators.
    OpsLead,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Commander, Role::CommsLead, Role::OpsLead];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Commander => "commander",
            Role::CommsLead => "comms_lead",
            Role::OpsLead => "ops_lead",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Commander => "Incident Commander",
            Role::CommsLead => "Comms Lead",
            Role::OpsLead => "Ops Lead",
        }
    }

    /// `IC`, `CL`, `OL`.
    pub fn short(self) -> &'static str {
        match self {
            Role::Commander => "IC",
            Role::CommsLead => "CL",
            Role::OpsLead => "OL",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Role {
    type Err = FieldError;

    fn from_str(value: &str) -> Result<Self, FieldError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == value.trim())
            .ok_or_else(|| FieldError::new("role", "must be one of commander, comms_lead, ops_lead"))
    }
}

/// A person named in an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Person {
    pub id: UserId,
    pub name: String,
}

/// The person acting on an incident, with what their Muster role lets them do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub person: Person,
    /// Responders and admins may respond; stakeholders only read.
    pub may_respond: bool,
    /// Admins may act with the Incident Commander's authority (recorded as such).
    pub is_admin: bool,
}

/// A hand-off on offer: `from` offers `role` to `to`, who may accept or decline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleOffer {
    pub role: Role,
    pub from: Person,
    pub to: Person,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub offered_at: Timestamp,
}

/// Who holds what. The commander is always someone (the declarer until a hand-off is accepted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Command {
    pub commander: Person,
    pub comms_lead: Option<Person>,
    pub ops_lead: Option<Person>,
    pub investigators: Vec<Person>,
    /// At most one open offer per role.
    pub offers: Vec<RoleOffer>,
}

impl Command {
    pub fn new(commander: Person) -> Command {
        Command { commander, comms_lead: None, ops_lead: None, investigators: Vec::new(), offers: Vec::new() }
    }

    pub fn holder(&self, role: Role) -> Option<&Person> {
        match role {
            Role::Commander => Some(&self.commander),
            Role::CommsLead => self.comms_lead.as_ref(),
            Role::OpsLead => self.ops_lead.as_ref(),
        }
    }

    pub fn offer(&self, role: Role) -> Option<&RoleOffer> {
        self.offers.iter().find(|o| o.role == role)
    }

    pub fn holds(&self, role: Role, user: &UserId) -> bool {
        self.holder(role).is_some_and(|p| &p.id == user)
    }

    /// Whether `user` acts for `role`: they hold it, or they are the commander and nobody else
    /// holds it (the commander holds every role not delegated).
    pub fn acts_as(&self, role: Role, user: &UserId) -> bool {
        self.holds(role, user) || (self.holder(role).is_none() && self.holds(Role::Commander, user))
    }

    pub fn is_investigator(&self, user: &UserId) -> bool {
        self.investigators.iter().any(|p| &p.id == user)
    }

    /// Whether `user` has any part in the incident: a role or a place among the investigators.
    pub fn takes_part(&self, user: &UserId) -> bool {
        Role::ALL.into_iter().any(|r| self.holds(r, user)) || self.is_investigator(user)
    }

    pub(super) fn hand_over(&mut self, role: Role, to: Person) {
        match role {
            Role::Commander => self.commander = to,
            Role::CommsLead => self.comms_lead = Some(to),
            Role::OpsLead => self.ops_lead = Some(to),
        }
        self.offers.retain(|o| o.role != role);
    }
}
