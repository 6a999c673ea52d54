//! PagerDuty Events API v2 (`POST /v2/enqueue`) and the legacy v1 generic events API
//! (`POST /generic/2010-04-15/create_event.json`), so that anything that can page PagerDuty can
//! page Muster by changing only the URL.

use serde_json::{Map, Value};

use super::read::{Object, Problems};
use crate::{
    Invalid,
    alert::{
        priority::Severity,
        signal::{
            Image, Link, MAX_DEDUP_KEY_CHARS, MAX_LABEL_CHARS, MAX_SUMMARY_CHARS, Signal, SignalAction, clip,
        },
    },
};

/// One PagerDuty event: the integration key it names and what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct PagerDutyEvent {
    pub routing_key: String,
    pub signal: Signal,
}

/// Reads a v2 event. `payload` is required for triggers only, as in PagerDuty.
pub fn parse_v2(body: &Value) -> Result<PagerDutyEvent, Invalid> {
    let root = Object::root(body)?;
    let mut problems = Problems::default();
    let routing_key = root.required_text("routing_key", &mut problems);
    let action = root
        .required_text("event_action", &mut problems)
        .and_then(|a| SignalAction::parse("event_action", a).map_err(|e| problems.push(e)).ok());
    let dedup_key = root.bounded_text("dedup_key", MAX_DEDUP_KEY_CHARS, &mut problems);
    let mut signal = Signal::new(action.unwrap_or(SignalAction::Trigger), dedup_key);
    if action.is_some_and(|a| a != SignalAction::Trigger) && signal.dedup_key.is_none() {
        problems.add("dedup_key", "is required to acknowledge or resolve");
    }
    signal.links = root.links("links", &mut problems);
    signal.images = root.images("images", &mut problems);
    signal.client = root.clipped_text("client", MAX_LABEL_CHARS, &mut problems);
    signal.client_url = root.clipped_text("client_url", 2048, &mut problems);
    match root.object("payload", "payload", &mut problems) {
        Some(payload) => {
            if let Some(summary) = payload.required_bounded("summary", MAX_SUMMARY_CHARS, &mut problems) {
                signal.summary = summary;
            }
            if let Some(source) = payload.required_text("source", &mut problems) {
                signal.source = clip(source, MAX_LABEL_CHARS);
            }
            if let Some(severity) = payload.required_text("severity", &mut problems) {
                match severity.parse::<Severity>() {
                    Ok(severity) => signal.severity = severity,
                    Err(e) => problems.add("payload.severity", e.problem),
                }
            }
            signal.occurred_at = payload.time("timestamp", &mut problems);
            signal.component = payload.clipped_text("component", MAX_LABEL_CHARS, &mut problems);
            signal.group = payload.clipped_text("group", MAX_LABEL_CHARS, &mut problems);
            signal.class = payload.clipped_text("class", MAX_LABEL_CHARS, &mut problems);
            signal.details = payload.get("custom_details").cloned().unwrap_or(Value::Null);
        }
        None if action == Some(SignalAction::Trigger) && root.get("payload").is_none() => {
            problems.add("payload", "is required to trigger");
        }
        None => {}
    }
    let routing_key = routing_key.unwrap_or_default().trim().to_owned();
    problems.finish(PagerDutyEvent { routing_key, signal })
}

/// Reads a legacy v1 event: `service_key`, `event_type`, `incident_key`, `description`, `details`,
/// `client`, `client_url` and `contexts` (links and images).
pub fn parse_v1(body: &Value) -> Result<PagerDutyEvent, Invalid> {
    let root = Object::root(body)?;
    let mut problems = Problems::default();
    let routing_key = root.required_text("service_key", &mut problems);
    let action = root
        .required_text("event_type", &mut problems)
        .and_then(|a| SignalAction::parse("event_type", a).map_err(|e| problems.push(e)).ok());
    let dedup_key = root.bounded_text("incident_key", MAX_DEDUP_KEY_CHARS, &mut problems);
    let mut signal = Signal::new(action.unwrap_or(SignalAction::Trigger), dedup_key);
    if action.is_some_and(|a| a != SignalAction::Trigger) && signal.dedup_key.is_none() {
        problems.add("incident_key", "is required to acknowledge or resolve");
    }
    if action == Some(SignalAction::Trigger)
        && let Some(description) = root.required_bounded("description", MAX_SUMMARY_CHARS, &mut problems)
    {
        signal.summary = description;
    }
    signal.client = root.clipped_text("client", MAX_LABEL_CHARS, &mut problems);
    signal.client_url = root.clipped_text("client_url", 2048, &mut problems);
    signal.source = signal.client.clone().unwrap_or_else(|| "PagerDuty v1 event".to_owned());
    signal.details = root.get("details").cloned().unwrap_or(Value::Null);
    if let Some(contexts) = root.array("contexts", &mut problems) {
        for (i, context) in contexts.iter().enumerate() {
            let Value::Object(map) = context else {
                problems.add(format!("contexts[{i}]"), "must be an object");
                continue;
            };
            read_context(map, i, &mut signal, &mut problems);
        }
    }
    let routing_key = routing_key.unwrap_or_default().trim().to_owned();
    problems.finish(PagerDutyEvent { routing_key, signal })
}

fn read_context(map: &Map<String, Value>, i: usize, signal: &mut Signal, problems: &mut Problems) {
    let path = format!("contexts[{i}]");
    let context = Object { map, path: &path };
    match context.required_text("type", problems) {
        Some("link") => {
            if let Some(href) = context.required_text("href", problems) {
                let text = context.text("text", problems).unwrap_or("").to_owned();
                signal.links.push(Link { href: href.to_owned(), text });
            }
        }
        Some("image") => {
            if let Some(src) = context.required_text("src", problems) {
                let href = context.text("href", problems).unwrap_or("").to_owned();
                let alt = context.text("alt", problems).unwrap_or("").to_owned();
                signal.images.push(Image { src: src.to_owned(), href, alt });
            }
        }
        Some(_) => problems.add(format!("{path}.type"), "must be link or image"),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(error: Invalid) -> Vec<String> {
        error.0.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_full_trigger_keeps_every_documented_field() {
        let body = json!({
            "routing_key": "R0123",
            "event_action": "trigger",
            "dedup_key": "disk/sda1",
            "payload": {
                "summary": "Disk 95% full on db-1",
                "source": "db-1.prod",
                "severity": "critical",
                "timestamp": "2026-11-23T08:59:30Z",
                "component": "postgres",
                "group": "prod-datapipe",
                "class": "disk",
                "custom_details": {"free_gb": 3, "mount": "/"}
            },
            "images": [{"src": "https://graphs.example/disk.png", "href": "https://graphs.example", "alt": "disk"}],
            "links": [{"href": "https://runbooks.example/disk", "text": "Runbook"}],
            "client": "Prometheus",
            "client_url": "https://prometheus.example/alerts"
        });
        let event = parse_v2(&body).unwrap();
        assert_eq!(event.routing_key, "R0123");
        let s = event.signal;
        assert_eq!(s.action, SignalAction::Trigger);
        assert_eq!(s.dedup_key.as_deref(), Some("disk/sda1"));
        assert_eq!(s.summary, "Disk 95% full on db-1");
        assert_eq!(s.source, "db-1.prod");
        assert_eq!(s.severity, Severity::Critical);
        assert_eq!(s.occurred_at, Some("2026-11-23T08:59:30Z".parse().unwrap()));
        assert_eq!(
            (s.component.as_deref(), s.group.as_deref(), s.class.as_deref()),
            (Some("postgres"), Some("prod-datapipe"), Some("disk"))
        );
        assert_eq!(s.details["free_gb"], 3);
        assert_eq!(s.links[0].text, "Runbook");
        assert_eq!(s.images[0].alt, "disk");
        assert_eq!(s.client.as_deref(), Some("Prometheus"));
    }

    #[test]
    fn a_trigger_may_leave_the_dedup_key_to_muster_but_resolve_may_not() {
        let trigger = json!({"routing_key": "R", "event_action": "trigger",
            "payload": {"summary": "s", "source": "h", "severity": "info"}});
        assert_eq!(parse_v2(&trigger).unwrap().signal.dedup_key, None);
        let resolve = json!({"routing_key": "R", "event_action": "resolve"});
        assert_eq!(fields(parse_v2(&resolve).unwrap_err()), ["dedup_key"]);
        let resolve = json!({"routing_key": "R", "event_action": "resolve", "dedup_key": "k"});
        assert_eq!(parse_v2(&resolve).unwrap().signal.action, SignalAction::Resolve);
    }

    #[test]
    fn every_bad_field_is_named() {
        let cases = [
            (
                json!({"event_action": "trigger", "payload": {"summary": "s", "source": "h", "severity": "info"}}),
                vec!["routing_key"],
            ),
            (
                json!({"routing_key": "R", "payload": {"summary": "s", "source": "h", "severity": "info"}}),
                vec!["event_action"],
            ),
            (json!({"routing_key": "R", "event_action": "page"}), vec!["event_action"]),
            (json!({"routing_key": "R", "event_action": "trigger"}), vec!["payload"]),
            (
                json!({"routing_key": "R", "event_action": "trigger", "payload": {}}),
                vec!["payload.summary", "payload.source", "payload.severity"],
            ),
            (
                json!({"routing_key": "R", "event_action": "trigger",
                "payload": {"summary": "s", "source": "h", "severity": "fatal", "timestamp": "noon"}}),
                vec!["payload.severity", "payload.timestamp"],
            ),
            (
                json!({"routing_key": "R", "event_action": "trigger",
                "payload": {"summary": "x".repeat(1025), "source": "h", "severity": "info"}}),
                vec!["payload.summary"],
            ),
            (
                json!({"routing_key": "R", "event_action": "trigger", "dedup_key": 7,
                "payload": {"summary": "s", "source": "h", "severity": "info"}, "links": [{}]}),
                vec!["dedup_key", "links[0].href"],
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(fields(parse_v2(&body).unwrap_err()), expected, "body {body}");
        }
    }

    #[test]
    fn legacy_v1_events_map_onto_the_same_signal() {
        let body = json!({
            "service_key": "S1",
            "event_type": "trigger",
            "incident_key": "srv01/HTTP",
            "description": "FAILURE for production/HTTP on machine srv01.acme.com",
            "client": "Sample Monitoring Service",
            "client_url": "https://monitoring.example.com",
            "details": {"ping time": "1500ms"},
            "contexts": [{"type": "link", "href": "http://acme.pagerduty.com", "text": "View"},
                         {"type": "image", "src": "https://chart.example/x.png"}]
        });
        let event = parse_v1(&body).unwrap();
        assert_eq!(event.routing_key, "S1");
        assert_eq!(event.signal.dedup_key.as_deref(), Some("srv01/HTTP"));
        assert_eq!(event.signal.summary, "FAILURE for production/HTTP on machine srv01.acme.com");
        assert_eq!(event.signal.source, "Sample Monitoring Service");
        assert_eq!(event.signal.links.len(), 1);
        assert_eq!(event.signal.images.len(), 1);
        let bad = json!({"service_key": "S1", "event_type": "resolve"});
        assert_eq!(fields(parse_v1(&bad).unwrap_err()), ["incident_key"]);
        let bad = json!({"service_key": "S1", "event_type": "trigger"});
        assert_eq!(fields(parse_v1(&bad).unwrap_err()), ["description"]);
    }
}
