//! A signal: one event from a monitor about one alert, after its format has been parsed. Every
//! inbound format turns into signals, so deduplication and storage know nothing of formats.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::priority::Severity;
use crate::validate::FieldError;

/// Longest summary kept, as in PagerDuty.
pub const MAX_SUMMARY_CHARS: usize = 1024;
/// Longest dedup key accepted (Opsgenie's alias limit; PagerDuty's is shorter).
pub const MAX_DEDUP_KEY_CHARS: usize = 512;
/// Longest source, component, group, class or client name kept.
pub const MAX_LABEL_CHARS: usize = 255;
/// Most links or images kept per signal.
pub const MAX_LINKS: usize = 20;

/// What a monitor asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SignalAction {
    /// Something is wrong: open an alert, or count a repeat of the open one.
    Trigger,
    /// Someone is on it (sent by tools that acknowledge on a person's behalf).
    Acknowledge,
    /// It is fixed: resolve the open alert.
    Resolve,
}

impl SignalAction {
    pub fn as_str(self) -> &'static str {
        match self {
            SignalAction::Trigger => "trigger",
            SignalAction::Acknowledge => "acknowledge",
            SignalAction::Resolve => "resolve",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<SignalAction, FieldError> {
        match value {
            "trigger" => Ok(SignalAction::Trigger),
            "acknowledge" => Ok(SignalAction::Acknowledge),
            "resolve" => Ok(SignalAction::Resolve),
            _ => Err(FieldError::new(field, "must be one of trigger, acknowledge, resolve")),
        }
    }
}

/// A link shown with an alert (a runbook, a dashboard, the monitor's own page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Link {
    pub href: String,
    #[serde(default)]
    pub text: String,
}

/// An image shown with an alert, such as a graph snapshot; optionally a link around it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Image {
    pub src: String,
    #[serde(default)]
    pub href: String,
    #[serde(default)]
    pub alt: String,
}

/// One event about one alert, in Muster's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    pub action: SignalAction,
    /// Identifies the alert while it is open. `None` only for a trigger whose sender left it to
    /// Muster; the server fills it in before storing.
    pub dedup_key: Option<String>,
    pub summary: String,
    pub source: String,
    pub severity: Severity,
    /// When the monitor says it happened, which may differ from when Muster received it.
    pub occurred_at: Option<Timestamp>,
    pub component: Option<String>,
    pub group: Option<String>,
    pub class: Option<String>,
    /// Whatever else the monitor sent (labels, annotations, custom details), kept as JSON.
    pub details: Value,
    pub links: Vec<Link>,
    pub images: Vec<Image>,
    /// The monitoring tool's name and its page for this alert.
    pub client: Option<String>,
    pub client_url: Option<String>,
}

impl Signal {
    /// A signal with only what every action needs; parsers fill in the rest.
    pub fn new(action: SignalAction, dedup_key: Option<String>) -> Signal {
        Signal {
            action,
            dedup_key,
            summary: String::new(),
            source: String::new(),
            severity: Severity::Error,
            occurred_at: None,
            component: None,
            group: None,
            class: None,
            details: Value::Null,
            links: Vec::new(),
            images: Vec::new(),
            client: None,
            client_url: None,
        }
    }

    /// The dedup key, which is always present once the server has accepted the signal.
    pub fn key(&self) -> &str {
        self.dedup_key.as_deref().unwrap_or("")
    }
}

/// Shortens text from a monitor that cannot be asked to send less (an Alertmanager annotation),
/// on a character boundary, marking the cut.
pub fn clip(text: &str, max_chars: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut clipped: String = text.chars().take(max_chars - 1).collect();
    clipped.push('…');
    clipped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_keeps_short_text_and_marks_a_cut() {
        assert_eq!(clip("  disk full  ", 20), "disk full");
        let clipped = clip(&"ü".repeat(30), 10);
        assert_eq!(clipped.chars().count(), 10);
        assert!(clipped.ends_with('…'));
    }

    #[test]
    fn actions_name_the_field_they_came_from() {
        assert_eq!(SignalAction::parse("event_action", "resolve"), Ok(SignalAction::Resolve));
        assert_eq!(SignalAction::parse("event_action", "close").unwrap_err().field, "event_action");
    }
}
