//! The Prometheus Alertmanager webhook (version 4) and the Grafana alerting webhook, which shares
//! its shape. A notification carries a whole group of alerts and is re-sent whenever any of them
//! changes, so each element of `alerts[]` becomes its own signal, deduplicated by its fingerprint:
//! re-sending a group opens nothing new.

use jiff::Timestamp;
use serde_json::{Map, Value, json};

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

/// Which sender's flavour of the format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    Alertmanager,
    Grafana,
}

impl Sender {
    fn name(self) -> &'static str {
        match self {
            Sender::Alertmanager => "Alertmanager",
            Sender::Grafana => "Grafana",
        }
    }
}

/// Reads a notification into one signal per alert.
pub fn parse(body: &Value, sender: Sender) -> Result<Vec<Signal>, Invalid> {
    let root = Object::root(body)?;
    let mut problems = Problems::default();
    if sender == Sender::Alertmanager {
        match root.text("version", &mut problems) {
            Some("4") | None => {}
            Some(_) => {
                problems.add("version", "must be \"4\" (the Alertmanager webhook format this accepts)")
            }
        }
    }
    let group_key = root.text("groupKey", &mut problems).unwrap_or("");
    let external_url = root.text("externalURL", &mut problems).filter(|u| !u.is_empty());
    let common_title = root.text("title", &mut problems);
    let Some(alerts) = root.array("alerts", &mut problems) else {
        if root.get("alerts").is_none() {
            problems.add("alerts", "is missing");
        }
        return Err(problems.finish(()).expect_err("a problem was recorded"));
    };
    let mut signals = Vec::with_capacity(alerts.len());
    for (i, alert) in alerts.iter().enumerate() {
        let path = format!("alerts[{i}]");
        let Value::Object(map) = alert else {
            problems.add(path, "must be an object");
            continue;
        };
        let alert = Object { map, path: &path };
        if let Some(mut signal) = read_alert(alert, sender, &mut problems) {
            signal.client = Some(sender.name().to_owned());
            signal.client_url = external_url.map(str::to_owned);
            if let Some(url) = external_url {
                signal.links.push(Link { href: url.to_owned(), text: sender.name().to_owned() });
            }
            if signal.summary.is_empty() {
                signal.summary = common_title
                    .map_or_else(|| format!("Alert from {}", sender.name()), |t| clip(t, MAX_SUMMARY_CHARS));
            }
            if let Value::Object(details) = &mut signal.details {
                details.insert("groupKey".to_owned(), Value::String(group_key.to_owned()));
            }
            signals.push(signal);
        }
    }
    problems.finish(signals)
}

/// Alertmanager sends Go's zero time (`0001-01-01T00:00:00Z`) as `endsAt` while an alert fires.
fn is_real(at: Timestamp) -> bool {
    at > Timestamp::UNIX_EPOCH
}

fn read_alert(alert: Object<'_>, sender: Sender, problems: &mut Problems) -> Option<Signal> {
    let status = alert.required_text("status", problems);
    let action = match status {
        Some("firing") => Some(SignalAction::Trigger),
        Some("resolved") => Some(SignalAction::Resolve),
        Some(_) => {
            problems.add(alert.field("status"), "must be firing or resolved");
            None
        }
        None => None,
    };
    let fingerprint = alert.bounded_text("fingerprint", MAX_DEDUP_KEY_CHARS, problems);
    if fingerprint.is_none() && alert.get("fingerprint").is_none() {
        problems.add(alert.field("fingerprint"), "is missing");
    }
    let labels = alert.labels("labels", problems);
    let annotations = alert.labels("annotations", problems);
    let starts_at = alert.time("startsAt", problems);
    let ends_at_sent = alert.time("endsAt", problems);
    let ends_at = ends_at_sent.filter(|at| is_real(*at));
    let unreadable_end = alert.get("endsAt").is_some() && ends_at_sent.is_none();
    if action == Some(SignalAction::Resolve) && ends_at.is_none() && !unreadable_end {
        problems.add(alert.field("endsAt"), "must be a real time when status is resolved");
    }
    let mut signal = Signal::new(action?, Some(fingerprint?));
    let label = |name: &str| labels.get(name).and_then(Value::as_str).filter(|v| !v.trim().is_empty());
    let annotation =
        |name: &str| annotations.get(name).and_then(Value::as_str).filter(|v| !v.trim().is_empty());
    signal.summary = annotation("summary")
        .or_else(|| annotation("description"))
        .or_else(|| annotation("message"))
        .map(str::to_owned)
        .or_else(|| {
            label("alertname").map(|name| match label("instance") {
                Some(instance) => format!("{name} on {instance}"),
                None => name.to_owned(),
            })
        })
        .map(|s| clip(&s, MAX_SUMMARY_CHARS))
        .unwrap_or_default();
    signal.source =
        clip(label("instance").or_else(|| label("job")).unwrap_or(sender.name()), MAX_LABEL_CHARS);
    signal.severity = label("severity").and_then(Severity::from_label).unwrap_or(Severity::Error);
    signal.component = label("service").or_else(|| label("job")).map(|v| clip(v, MAX_LABEL_CHARS));
    signal.group = label("cluster").or_else(|| label("namespace")).map(|v| clip(v, MAX_LABEL_CHARS));
    signal.class = label("alertname").map(|v| clip(v, MAX_LABEL_CHARS));
    signal.occurred_at = match signal.action {
        SignalAction::Resolve => ends_at,
        _ => starts_at,
    };
    let mut links = Vec::new();
    let mut push_link = |name: &str, text: &str| {
        if let Some(href) = alert.text(name, problems).filter(|h| !h.is_empty()) {
            links.push(Link { href: href.to_owned(), text: text.to_owned() });
        }
    };
    push_link("generatorURL", "Source");
    if sender == Sender::Grafana {
        push_link("dashboardURL", "Dashboard");
        push_link("panelURL", "Panel");
        push_link("silenceURL", "Silence");
    }
    if let Some(runbook) = annotation("runbook_url") {
        links.push(Link { href: runbook.to_owned(), text: "Runbook".to_owned() });
    }
    signal.links = links;
    if sender == Sender::Grafana
        && let Some(src) = alert.text("imageURL", problems).filter(|s| !s.is_empty())
    {
        signal.images.push(Image { src: src.to_owned(), href: String::new(), alt: "Panel".to_owned() });
    }
    let mut details = Map::new();
    details.insert("labels".to_owned(), Value::Object(labels.clone()));
    details.insert("annotations".to_owned(), Value::Object(annotations.clone()));
    details.insert("startsAt".to_owned(), json!(starts_at.map(|t| t.to_string())));
    details.insert("endsAt".to_owned(), json!(ends_at.map(|t| t.to_string())));
    if let Some(values) = alert.get("values") {
        details.insert("values".to_owned(), values.clone());
    }
    signal.details = Value::Object(details);
    Some(signal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(alerts: Value) -> Value {
        json!({
            "version": "4",
            "groupKey": "{}:{alertname=\"DiskFull\"}",
            "truncatedAlerts": 0,
            "status": "firing",
            "receiver": "muster",
            "groupLabels": {"alertname": "DiskFull"},
            "commonLabels": {"alertname": "DiskFull"},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager.example:9093",
            "alerts": alerts
        })
    }

    fn firing(fingerprint: &str, instance: &str) -> Value {
        json!({
            "status": "firing",
            "labels": {"alertname": "DiskFull", "instance": instance, "severity": "warning", "job": "node"},
            "annotations": {"summary": format!("Disk full on {instance}"), "runbook_url": "https://runbooks.example/disk"},
            "startsAt": "2026-11-23T08:55:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.example/graph?g0.expr=disk",
            "fingerprint": fingerprint
        })
    }

    #[test]
    fn each_alert_of_a_group_is_its_own_signal_keyed_by_fingerprint() {
        let signals =
            parse(&group(json!([firing("a1", "db-1"), firing("b2", "db-2")])), Sender::Alertmanager).unwrap();
        assert_eq!(signals.len(), 2);
        let first = &signals[0];
        assert_eq!(first.action, SignalAction::Trigger);
        assert_eq!(first.dedup_key.as_deref(), Some("a1"));
        assert_eq!(first.summary, "Disk full on db-1");
        assert_eq!(first.source, "db-1");
        assert_eq!(first.severity, Severity::Warning);
        assert_eq!(first.class.as_deref(), Some("DiskFull"));
        assert_eq!(first.occurred_at, Some("2026-11-23T08:55:00Z".parse().unwrap()));
        assert_eq!(first.details["endsAt"], Value::Null, "the zero time is not a time");
        let texts: Vec<_> = first.links.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["Source", "Runbook", "Alertmanager"]);
        assert_eq!(signals[1].dedup_key.as_deref(), Some("b2"));
    }

    #[test]
    fn a_resolved_alert_needs_a_real_end() {
        let mut resolved = firing("a1", "db-1");
        resolved["status"] = json!("resolved");
        resolved["endsAt"] = json!("2026-11-23T09:05:00Z");
        let signals = parse(&group(json!([resolved.clone()])), Sender::Alertmanager).unwrap();
        assert_eq!(signals[0].action, SignalAction::Resolve);
        assert_eq!(signals[0].occurred_at, Some("2026-11-23T09:05:00Z".parse().unwrap()));
        resolved["endsAt"] = json!("0001-01-01T00:00:00Z");
        let error = parse(&group(json!([resolved])), Sender::Alertmanager).unwrap_err();
        assert_eq!(error.0[0].field, "alerts[0].endsAt");
    }

    #[test]
    fn without_a_summary_the_alert_name_and_instance_describe_it() {
        let mut alert = firing("a1", "db-1");
        alert["annotations"] = json!({});
        let signals = parse(&group(json!([alert])), Sender::Alertmanager).unwrap();
        assert_eq!(signals[0].summary, "DiskFull on db-1");
    }

    #[test]
    fn bad_groups_name_every_field() {
        let mut no_fingerprint = firing("x", "db-1");
        no_fingerprint.as_object_mut().unwrap().remove("fingerprint");
        let mut bad_status = firing("y", "db-1");
        bad_status["status"] = json!("pending");
        let error = parse(&group(json!([no_fingerprint, bad_status, 3])), Sender::Alertmanager).unwrap_err();
        let fields: Vec<_> = error.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["alerts[0].fingerprint", "alerts[1].status", "alerts[2]"]);
        let error = parse(&json!({"version": "4"}), Sender::Alertmanager).unwrap_err();
        assert_eq!(error.0[0].field, "alerts");
        let error = parse(&json!({"version": "3", "alerts": []}), Sender::Alertmanager).unwrap_err();
        assert_eq!(error.0[0].field, "version");
    }

    #[test]
    fn grafana_adds_its_dashboard_links_and_panel_image() {
        let mut alert = firing("g1", "api-1");
        alert["dashboardURL"] = json!("https://grafana.example/d/abc");
        alert["panelURL"] = json!("https://grafana.example/d/abc?viewPanel=2");
        alert["silenceURL"] = json!("https://grafana.example/alerting/silence/new");
        alert["imageURL"] = json!("https://grafana.example/render/panel.png");
        let mut body = group(json!([alert]));
        body["version"] = json!("1");
        body["title"] = json!("[FIRING:1] DiskFull");
        let signals = parse(&body, Sender::Grafana).unwrap();
        let texts: Vec<_> = signals[0].links.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["Source", "Dashboard", "Panel", "Silence", "Runbook", "Grafana"]);
        assert_eq!(signals[0].images[0].src, "https://grafana.example/render/panel.png");
        assert_eq!(signals[0].client.as_deref(), Some("Grafana"));
    }
}
