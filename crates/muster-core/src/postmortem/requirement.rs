//! Whether an incident needs a postmortem, why, and by when. The seed's criteria for major
//! incidents: customer-facing, data issues, multiple impacts, lengthy resolution.

use jiff::{SignedDuration, Timestamp, civil::Weekday, tz::TimeZone};
use serde::{Deserialize, Serialize};

use crate::incident::Incident;

/// The team's settings for postmortems.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostmortemPolicy {
    /// An incident that took longer than this to resolve needs a postmortem.
    pub lengthy_after: SignedDuration,
    /// How many working days (Monday to Friday) after the resolve a required postmortem is due.
    pub due_working_days: u32,
}

impl Default for PostmortemPolicy {
    fn default() -> Self {
        PostmortemPolicy { lengthy_after: SignedDuration::from_hours(4), due_working_days: 5 }
    }
}

/// Why a postmortem is required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum RequirementReason {
    CustomerFacing,
    DataImpact,
    /// More than one service was affected.
    MultipleServices {
        services: usize,
    },
    /// It took longer to resolve than the policy allows.
    Lengthy {
        minutes: i64,
        limit_minutes: i64,
    },
}

impl RequirementReason {
    pub fn describe(&self) -> String {
        match self {
            RequirementReason::CustomerFacing => "it was customer-facing".to_owned(),
            RequirementReason::DataImpact => "it touched data".to_owned(),
            RequirementReason::MultipleServices { services } => format!("it affected {services} services"),
            RequirementReason::Lengthy { minutes, limit_minutes } => {
                format!("it took {minutes} minutes to resolve, longer than {limit_minutes}")
            }
        }
    }
}

/// Whether a postmortem is required, with every reason and the due date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Requirement {
    pub required: bool,
    pub reasons: Vec<RequirementReason>,
    /// When a required postmortem should be published; none when optional or not resolved yet.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub due_at: Option<Timestamp>,
}

/// Whether `incident` needs a postmortem under `policy`. The due date counts working days in
/// `zone` (the team's), from the resolve.
pub fn requirement(incident: &Incident, policy: &PostmortemPolicy, zone: &TimeZone) -> Requirement {
    let mut reasons = Vec::new();
    if incident.customer_facing {
        reasons.push(RequirementReason::CustomerFacing);
    }
    if incident.data_impact {
        reasons.push(RequirementReason::DataImpact);
    }
    if incident.services.len() > 1 {
        reasons.push(RequirementReason::MultipleServices { services: incident.services.len() });
    }
    if let Some(took) = incident.time_to_resolve()
        && took > policy.lengthy_after
    {
        reasons.push(RequirementReason::Lengthy {
            minutes: took.as_mins(),
            limit_minutes: policy.lengthy_after.as_mins(),
        });
    }
    let required = !reasons.is_empty();
    let due_at = incident
        .resolved_at
        .filter(|_| required)
        .map(|resolved| after_working_days(resolved, policy.due_working_days, zone));
    Requirement { required, reasons, due_at }
}

/// `from` moved on by `days` working days (Monday to Friday) in `zone`, at the same wall time.
pub fn after_working_days(from: Timestamp, days: u32, zone: &TimeZone) -> Timestamp {
    let mut local = from.to_zoned_datetime(zone.clone());
    let mut left = days;
    while left > 0 {
        local = match local.tomorrow() {
            Ok(next) => next,
            Err(_) => return local.timestamp(),
        };
        if !matches!(local.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    local.timestamp()
}
