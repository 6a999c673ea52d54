//! The Opsgenie alert API: `POST /v2/alerts` creates (the alias is the dedup key, priority P1–P5),
//! and `POST /v2/alerts/{alias}/acknowledge` and `/close` act on it. This is what Alertmanager's
//! `opsgenie_configs` and most Opsgenie clients call, so they can point at Muster unchanged.

use serde_json::{Map, Value, json};

use super::read::{Object, Problems};
use crate::{
    Invalid,
    alert::{
        priority::Severity,
        signal::{MAX_DEDUP_KEY_CHARS, MAX_LABEL_CHARS, MAX_SUMMARY_CHARS, Signal, SignalAction, clip},
    },
};

/// Opsgenie's priority words in Muster's severities: P1 is critical, P3 (the default) a warning.
fn severity_of(priority: &str) -> Option<Severity> {
    match priority {
        "P1" => Some(Severity::Critical),
        "P2" => Some(Severity::Error),
        "P3" => Some(Severity::Warning),
        "P4" | "P5" => Some(Severity::Info),
        _ => None,
    }
}

/// Reads a create-alert request.
pub fn parse_create(body: &Value) -> Result<Signal, Invalid> {
    let root = Object::root(body)?;
    let mut problems = Problems::default();
    let message = root.required_bounded("message", MAX_SUMMARY_CHARS, &mut problems);
    let alias = root.bounded_text("alias", MAX_DEDUP_KEY_CHARS, &mut problems);
    let mut signal = Signal::new(SignalAction::Trigger, alias);
    signal.summary = message.unwrap_or_default();
    let priority = root.text("priority", &mut problems).unwrap_or("P3");
    match severity_of(priority) {
        Some(severity) => signal.severity = severity,
        None => problems.add("priority", "must be one of P1, P2, P3, P4, P5"),
    }
    let entity = root.clipped_text("entity", MAX_LABEL_CHARS, &mut problems);
    signal.source = root
        .clipped_text("source", MAX_LABEL_CHARS, &mut problems)
        .or_else(|| entity.clone())
        .unwrap_or_else(|| "Opsgenie API".to_owned());
    signal.component = entity;
    signal.client = Some("Opsgenie API".to_owned());
    let mut details = Map::new();
    if let Some(description) = root.text("description", &mut problems) {
        details.insert("description".to_owned(), Value::String(clip(description, 15_000)));
    }
    let tags = string_list(&root, "tags", &mut problems);
    if !tags.is_empty() {
        details.insert("tags".to_owned(), json!(tags));
    }
    let extra = root.labels("details", &mut problems);
    if !extra.is_empty() {
        details.insert("details".to_owned(), Value::Object(extra));
    }
    for name in ["user", "note"] {
        if let Some(text) = root.text(name, &mut problems) {
            details.insert(name.to_owned(), Value::String(clip(text, 2000)));
        }
    }
    signal.details = Value::Object(details);
    problems.finish(signal)
}

/// Reads the optional body of an acknowledge or close call (`user`, `source`, `note`) into a signal
/// for the alert with `alias`.
pub fn parse_action(alias: &str, action: SignalAction, body: Option<&Value>) -> Result<Signal, Invalid> {
    let mut problems = Problems::default();
    if alias.trim().is_empty() {
        problems.add("identifier", "must not be blank");
    } else if alias.chars().count() > MAX_DEDUP_KEY_CHARS {
        problems.add("identifier", format!("must be at most {MAX_DEDUP_KEY_CHARS} characters"));
    }
    let mut signal = Signal::new(action, Some(alias.trim().to_owned()));
    signal.client = Some("Opsgenie API".to_owned());
    let empty = Value::Object(Map::new());
    let root = Object::root(body.unwrap_or(&empty))?;
    signal.source = root.clipped_text("source", MAX_LABEL_CHARS, &mut problems).unwrap_or_default();
    let mut details = Map::new();
    for name in ["user", "note"] {
        if let Some(text) = root.text(name, &mut problems) {
            details.insert(name.to_owned(), Value::String(clip(text, 2000)));
        }
    }
    signal.details = Value::Object(details);
    problems.finish(signal)
}

fn string_list(root: &Object<'_>, name: &str, problems: &mut Problems) -> Vec<String> {
    let Some(items) = root.array(name, problems) else { return Vec::new() };
    let mut list = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::String(text) => list.push(clip(text, MAX_LABEL_CHARS)),
            _ => problems.add(format!("{name}[{i}]"), "must be a string"),
        }
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_is_the_dedup_key_and_priority_sets_the_severity() {
        let body = json!({
            "message": "API latency over 2s",
            "alias": "api-latency",
            "description": "p99 latency is 2.4s",
            "tags": ["api", "latency"],
            "details": {"region": "eu-west-1"},
            "entity": "api-gateway",
            "priority": "P1"
        });
        let signal = parse_create(&body).unwrap();
        assert_eq!(signal.dedup_key.as_deref(), Some("api-latency"));
        assert_eq!(signal.summary, "API latency over 2s");
        assert_eq!(signal.severity, Severity::Critical);
        assert_eq!(signal.source, "api-gateway");
        assert_eq!(signal.details["tags"][1], "latency");
        assert_eq!(signal.details["details"]["region"], "eu-west-1");
    }

    #[test]
    fn the_default_priority_is_p3() {
        let signal = parse_create(&json!({"message": "m"})).unwrap();
        assert_eq!(signal.severity, Severity::Warning);
        assert_eq!(signal.dedup_key, None);
    }

    #[test]
    fn bad_creates_name_their_fields() {
        let error = parse_create(&json!({"priority": "P9", "tags": [1], "details": {"a": 1}})).unwrap_err();
        let fields: Vec<_> = error.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["message", "priority", "tags[0]", "details"]);
    }

    #[test]
    fn acknowledge_and_close_carry_the_note() {
        let signal = parse_action(
            "api-latency",
            SignalAction::Resolve,
            Some(&json!({"user": "ops", "note": "fixed"})),
        )
        .unwrap();
        assert_eq!(signal.action, SignalAction::Resolve);
        assert_eq!(signal.details["note"], "fixed");
        assert!(parse_action("k", SignalAction::Acknowledge, None).is_ok());
        assert_eq!(parse_action(" ", SignalAction::Acknowledge, None).unwrap_err().0[0].field, "identifier");
    }
}
