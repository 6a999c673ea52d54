//! Services: what is monitored and owned. Monitors send alerts to a service through its integration
//! keys, one key per monitor, each of a kind that fixes the inbound format and URL.

use std::{fmt, str::FromStr};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{
    ids::{IntegrationKeyId, ServiceId, TeamId},
    validate::{
        Checker, FieldError, Invalid, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, optional_text, required_line,
    },
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Service {
    pub id: ServiceId,
    pub name: String,
    pub description: String,
    /// The owning team; a service without one pages no team until it is given one.
    pub team_id: Option<TeamId>,
    pub team_name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

/// A validated new service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewService {
    pub name: String,
    pub description: String,
    pub team_id: Option<TeamId>,
}

impl NewService {
    pub fn parse(name: &str, description: Option<&str>, team_id: Option<TeamId>) -> Result<Self, Invalid> {
        let mut checker = Checker::new();
        let name = checker.check(required_line("name", name, MAX_NAME_CHARS));
        let description =
            checker.check(optional_text("description", description.unwrap_or(""), MAX_DESCRIPTION_CHARS));
        checker.finish(|| Some(NewService { name: name?, description: description?, team_id }))
    }
}

/// A validated partial update of a service. `team_id: Some(None)` removes the owning team.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub team_id: Option<Option<TeamId>>,
}

impl ServiceChanges {
    pub fn parse(
        name: Option<&str>,
        description: Option<&str>,
        team_id: Option<Option<TeamId>>,
    ) -> Result<Self, Invalid> {
        let mut checker = Checker::new();
        let name = checker.check_optional(name.map(|n| required_line("name", n, MAX_NAME_CHARS)));
        let description = checker
            .check_optional(description.map(|d| optional_text("description", d, MAX_DESCRIPTION_CHARS)));
        checker.finish(|| Some(ServiceChanges { name: name?, description: description?, team_id }))
    }
}

/// The inbound format a monitor speaks; each has its own ingestion route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IntegrationKind {
    Pagerduty,
    Alertmanager,
    Grafana,
    Opsgenie,
    Generic,
}

impl IntegrationKind {
    pub const ALL: [IntegrationKind; 5] = [
        IntegrationKind::Pagerduty,
        IntegrationKind::Alertmanager,
        IntegrationKind::Grafana,
        IntegrationKind::Opsgenie,
        IntegrationKind::Generic,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IntegrationKind::Pagerduty => "pagerduty",
            IntegrationKind::Alertmanager => "alertmanager",
            IntegrationKind::Grafana => "grafana",
            IntegrationKind::Opsgenie => "opsgenie",
            IntegrationKind::Generic => "generic",
        }
    }

    /// Where a monitor of this kind sends its alerts, and how it presents the key.
    pub fn ingestion(self, public_url: &str, key: &str) -> Ingestion {
        let base = public_url.trim_end_matches('/');
        let (url, how) = match self {
            IntegrationKind::Pagerduty => (
                format!("{base}/v2/enqueue"),
                format!("PagerDuty Events API v2: send the key as \"routing_key\": \"{key}\""),
            ),
            IntegrationKind::Alertmanager => (
                format!("{base}/api/v1/ingest/alertmanager/{key}"),
                "Alertmanager webhook_configs: use this URL as it is".to_owned(),
            ),
            IntegrationKind::Grafana => (
                format!("{base}/api/v1/ingest/grafana/{key}"),
                "Grafana webhook contact point: use this URL as it is".to_owned(),
            ),
            IntegrationKind::Opsgenie => (
                format!("{base}/v2/alerts"),
                format!("Opsgenie alert API: send the header \"Authorization: GenieKey {key}\""),
            ),
            IntegrationKind::Generic => (
                format!("{base}/api/v1/ingest/generic/{key}"),
                "Generic JSON: POST the documented alert format to this URL".to_owned(),
            ),
        };
        Ingestion { url, how }
    }
}

impl fmt::Display for IntegrationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IntegrationKind {
    type Err = FieldError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        IntegrationKind::ALL.into_iter().find(|kind| kind.as_str() == value.trim()).ok_or_else(|| {
            FieldError::new("kind", "must be one of pagerduty, alertmanager, grafana, opsgenie, generic")
        })
    }
}

/// The URL to paste into a monitor and how to present the key there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ingestion {
    pub url: String,
    pub how: String,
}

/// A key that lets one monitor send alerts to one service.
///
/// The key text is a routing credential that people must be able to copy into a monitor again
/// later (as in PagerDuty), so it is kept readable for responders; it is never logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntegrationKey {
    pub id: IntegrationKeyId,
    pub service_id: ServiceId,
    pub kind: IntegrationKind,
    pub name: String,
    pub key: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub revoked_at: Option<Timestamp>,
}

/// Validates the name of a new integration key; an empty name becomes the kind's name.
pub fn parse_key_name(name: Option<&str>, kind: IntegrationKind) -> Result<String, FieldError> {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => required_line("name", name, MAX_NAME_CHARS),
        None => Ok(kind.as_str().to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_ingestion_route() {
        let expected = [
            (IntegrationKind::Pagerduty, "https://muster.example/v2/enqueue"),
            (IntegrationKind::Alertmanager, "https://muster.example/api/v1/ingest/alertmanager/K1"),
            (IntegrationKind::Grafana, "https://muster.example/api/v1/ingest/grafana/K1"),
            (IntegrationKind::Opsgenie, "https://muster.example/v2/alerts"),
            (IntegrationKind::Generic, "https://muster.example/api/v1/ingest/generic/K1"),
        ];
        for (kind, url) in expected {
            assert_eq!(kind.ingestion("https://muster.example/", "K1").url, url);
        }
        assert!(IntegrationKind::Opsgenie.ingestion("http://x", "K1").how.contains("GenieKey K1"));
        assert!(
            IntegrationKind::Pagerduty.ingestion("http://x", "K1").how.contains("\"routing_key\": \"K1\"")
        );
    }

    #[test]
    fn kinds_round_trip_and_unknown_kinds_name_the_field() {
        for kind in IntegrationKind::ALL {
            assert_eq!(kind.as_str().parse::<IntegrationKind>(), Ok(kind));
        }
        assert_eq!("nagios".parse::<IntegrationKind>().unwrap_err().field, "kind");
    }

    #[test]
    fn key_names_default_to_the_kind() {
        assert_eq!(parse_key_name(None, IntegrationKind::Grafana).as_deref(), Ok("grafana"));
        assert_eq!(parse_key_name(Some("  "), IntegrationKind::Generic).as_deref(), Ok("generic"));
        assert_eq!(
            parse_key_name(Some("prod grafana"), IntegrationKind::Grafana).as_deref(),
            Ok("prod grafana")
        );
    }

    #[test]
    fn service_description_is_optional_but_bounded() {
        assert_eq!(NewService::parse("Payments", None, None).unwrap().description, "");
        let long = "x".repeat(MAX_DESCRIPTION_CHARS + 1);
        assert_eq!(NewService::parse("Payments", Some(&long), None).unwrap_err().0[0].field, "description");
    }
}
