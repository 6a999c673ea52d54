//! Communications: stakeholder updates posted by the Comms Lead, and the subscriptions that carry
//! them to people outside the incident, by email or webhook.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{command::Person, status::IncidentState};
use crate::{
    FieldError,
    ids::{IncidentId, ServiceId, StakeholderUpdateId, SubscriptionId},
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

/// How a subscriber is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionChannel {
    Email,
    Webhook,
}

impl SubscriptionChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionChannel::Email => "email",
            SubscriptionChannel::Webhook => "webhook",
        }
    }
}

impl std::str::FromStr for SubscriptionChannel {
    type Err = FieldError;

    fn from_str(value: &str) -> Result<Self, FieldError> {
        match value.trim() {
            "email" => Ok(SubscriptionChannel::Email),
            "webhook" => Ok(SubscriptionChannel::Webhook),
            _ => Err(FieldError::new("channel", "must be email or webhook")),
        }
    }
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

/// Someone who receives stakeholder updates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Subscription {
    pub id: SubscriptionId,
    pub scope: SubscriptionScope,
    pub channel: SubscriptionChannel,
    pub address: String,
    pub audience: StakeholderAudience,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}
