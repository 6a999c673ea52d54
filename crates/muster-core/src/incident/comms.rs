//! Communications: stakeholder updates posted by the Comms Lead, and the subscriptions that carry
//! them to people outside the incident, by email or webhook.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{
    command::{Person, RoleOffer},
    status::IncidentState,
};
use crate::{
    FieldError,
    ids::{ContactMethodId, IncidentId, ServiceId, StakeholderUpdateId, SubscriptionId, UserId},
    notify::Notice,
};

/// Who a stakeholder update is for: people inside the company, or everyone (the status page).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StakeholderAudience {
    Internal,
    Public,
}

impl StakeholderAudience {
    pub fn as_str(self) -> &'static str {
        match self {
            StakeholderAudience::Internal => "internal",
            StakeholderAudience::Public => "public",
        }
    }
}

impl std::str::FromStr for StakeholderAudience {
    type Err = FieldError;

    fn from_str(value: &str) -> Result<Self, FieldError> {
        match value.trim() {
            "internal" => Ok(StakeholderAudience::Internal),
            "public" => Ok(StakeholderAudience::Public),
            _ => Err(FieldError::new("audience", "must be internal or public")),
        }
    }
}

impl StakeholderAudience {
    /// Whether someone subscribed for `self` receives an update meant for `update`: internal
    /// subscribers get everything, public ones only public updates.
    pub fn receives(self, update: StakeholderAudience) -> bool {
        self == StakeholderAudience::Internal || update == StakeholderAudience::Public
    }
}

/// One stakeholder update, with the incident's state when it was posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StakeholderUpdate {
    pub id: StakeholderUpdateId,
    pub incident_id: IncidentId,
    pub audience: StakeholderAudience,
    pub state: IncidentState,
    pub body: String,
    pub posted_by: Person,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub posted_at: Timestamp,
}

/// What a subscription follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionScope {
    /// Every incident that affects the service.
    Service(ServiceId),
    Incident(IncidentId),
}

/// A person who receives stakeholder updates through one of their verified contact methods
/// (an e-mail address or a webhook).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Subscription {
    pub id: SubscriptionId,
    pub user_id: UserId,
    pub contact_method_id: ContactMethodId,
    pub scope: SubscriptionScope,
    /// `internal` receives every update; `public` only the public ones.
    pub audience: StakeholderAudience,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

/// The message a subscriber receives for an update.
pub fn update_notice(number: i64, title: &str, update: &StakeholderUpdate) -> Notice {
    Notice {
        title: format!("Incident {number} ({}): {title}", update.state),
        text: update.body.clone(),
        url: Some(format!("/incidents/{number}")),
        respond: false,
    }
}

/// The reminder to the Comms Lead (or the commander) that an update is overdue.
pub fn reminder_notice(number: i64, title: &str, due: Timestamp) -> Notice {
    Notice {
        title: format!("Incident {number}: a stakeholder update is overdue"),
        text: format!(
            "Stakeholders of \"{title}\" expected an update at {due}. Post one from the incident page."
        ),
        url: Some(format!("/incidents/{number}")),
        respond: false,
    }
}

/// The message to a person offered a role: they take it by accepting on the incident page.
pub fn offer_notice(number: i64, title: &str, offer: &RoleOffer) -> Notice {
    Notice {
        title: format!("Incident {number}: {} offers you {}", offer.from.name, offer.role.label()),
        text: format!(
            "{} asks you to take {} of \"{title}\". Nothing changes until you accept on the incident page.",
            offer.from.name,
            offer.role.label()
        ),
        url: Some(format!("/incidents/{number}")),
        respond: false,
    }
}
