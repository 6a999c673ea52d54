//! Muster's own generic JSON format, for scripts and tools with no format of their own. It is
//! documented in the README; unknown fields are refused so that a typo is not silently ignored.

use serde_json::Value;

use super::read::{Object, Problems};
use crate::{
    Invalid,
    alert::signal::{MAX_DEDUP_KEY_CHARS, MAX_LABEL_CHARS, MAX_SUMMARY_CHARS, Signal, SignalAction},
};

const FIELDS: [&str; 12] = [
    "action",
    "dedup_key",
    "summary",
    "source",
    "severity",
    "occurred_at",
    "component",
    "group",
    "class",
    "details",
    "links",
    "images",
];

/// Reads one generic event. Only `summary` is required, and only to trigger.
pub fn parse(body: &Value) -> Result<Signal, Invalid> {
    let root = Object::root(body)?;
    let mut problems = Problems::default();
    for name in root.map.keys() {
        if !FIELDS.contains(&name.as_str()) {
            problems.add(name.clone(), format!("is not a known field (known: {})", FIELDS.join(", ")));
        }
    }
    let action = match root.text("action", &mut problems) {
        None => Some(SignalAction::Trigger),
        Some(action) => SignalAction::parse("action", action).map_err(|e| problems.push(e)).ok(),
    };
    let dedup_key = root.bounded_text("dedup_key", MAX_DEDUP_KEY_CHARS, &mut problems);
    let mut signal = Signal::new(action.unwrap_or(SignalAction::Trigger), dedup_key);
    if action.is_some_and(|a| a != SignalAction::Trigger) && signal.dedup_key.is_none() {
        problems.add("dedup_key", "is required to acknowledge or resolve");
    }
    if action == Some(SignalAction::Trigger)
        && let Some(summary) = root.required_bounded("summary", MAX_SUMMARY_CHARS, &mut problems)
    {
        signal.summary = summary;
    }
    signal.source =
        root.bounded_text("source", MAX_LABEL_CHARS, &mut problems).unwrap_or_else(|| "generic".to_owned());
    if let Some(severity) = root.text("severity", &mut problems) {
        match severity.parse() {
            Ok(severity) => signal.severity = severity,
            Err(e) => problems.push(e),
        }
    }
    signal.occurred_at = root.time("occurred_at", &mut problems);
    signal.component = root.bounded_text("component", MAX_LABEL_CHARS, &mut problems);
    signal.group = root.bounded_text("group", MAX_LABEL_CHARS, &mut problems);
    signal.class = root.bounded_text("class", MAX_LABEL_CHARS, &mut problems);
    signal.details = root.get("details").cloned().unwrap_or(Value::Null);
    signal.links = root.links("links", &mut problems);
    signal.images = root.images("images", &mut problems);
    problems.finish(signal)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::alert::priority::Severity;

    #[test]
    fn a_summary_is_enough_to_trigger() {
        let signal = parse(&json!({"summary": "Backup job failed"})).unwrap();
        assert_eq!(signal.action, SignalAction::Trigger);
        assert_eq!(signal.severity, Severity::Error);
        assert_eq!(signal.source, "generic");
        assert_eq!(signal.dedup_key, None);
    }

    #[test]
    fn every_field_is_read() {
        let body = json!({"action": "trigger", "dedup_key": "backup/nightly", "summary": "Backup failed",
            "source": "backup-01", "severity": "critical", "occurred_at": "2026-11-23T02:00:00Z",
            "component": "restic", "group": "storage", "class": "backup",
            "details": {"exit": 3}, "links": [{"href": "https://logs.example", "text": "Logs"}],
            "images": [{"src": "https://img.example/a.png"}]});
        let signal = parse(&body).unwrap();
        assert_eq!(signal.severity, Severity::Critical);
        assert_eq!(signal.details["exit"], 3);
        assert_eq!(signal.links[0].text, "Logs");
        assert_eq!(signal.component.as_deref(), Some("restic"));
    }

    #[test]
    fn typos_and_missing_fields_are_named() {
        let error = parse(&json!({"sumary": "x", "severity": "high"})).unwrap_err();
        let fields: Vec<_> = error.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["sumary", "summary", "severity"]);
        let error = parse(&json!({"action": "resolve"})).unwrap_err();
        assert_eq!(error.0[0].field, "dedup_key");
    }
}
