//! Typed identifiers. Ids are opaque text (UUIDs made by the store); the types keep a team id from
//! being passed where a user id belongs.

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }
    )*};
}

id_type!(
    /// Identifies a user.
    UserId,
    /// Identifies a team.
    TeamId,
    /// Identifies a service.
    ServiceId,
    /// Identifies an integration key of a service.
    IntegrationKeyId,
    /// Identifies an API token.
    ApiTokenId,
    /// Identifies a schedule.
    ScheduleId,
    /// Identifies a rotation of a schedule.
    RotationId,
    /// Identifies an override of a schedule.
    OverrideId,
    /// Identifies a request for cover.
    CoverRequestId,
    /// Identifies an alert.
    AlertId,
    /// Identifies a maintenance window of a service.
    MaintenanceWindowId,
    /// Identifies a heartbeat monitor of a service.
    HeartbeatId,
    /// Identifies an escalation policy.
    EscalationPolicyId,
    /// Identifies a page (one alert's escalation).
    PageId,
    /// Identifies a person's contact method.
    ContactMethodId,
    /// Identifies a person's notification rule.
    NotificationRuleId,
    /// Identifies one notification in the outbox; also its idempotency key.
    NotificationId,
    /// Identifies an incident.
    IncidentId,
    /// Identifies one entry of an incident's timeline.
    TimelineEntryId,
    /// Identifies a stakeholder update of an incident.
    StakeholderUpdateId,
    /// Identifies a subscription to a service's or an incident's stakeholder updates.
    SubscriptionId,
    /// Identifies a standard-response playbook of a service.
    PlaybookId,
    /// Identifies a postmortem.
    PostmortemId,
    /// Identifies an action item of a postmortem.
    ActionItemId,
    /// Identifies a service level objective.
    SloId,
);
