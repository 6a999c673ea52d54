//! Client commands about alerts: `muster alert send|list|show|ack|resolve`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    client::{ClientSettings, call},
    oncall::query,
    remote::{print_json, text},
    table,
};

/// What `muster alert send` raises.
#[derive(Debug)]
pub struct NewAlert {
    pub service: String,
    pub summary: String,
    pub dedup_key: Option<String>,
    pub severity: Option<String>,
    pub source: Option<String>,
    pub details: Option<String>,
}

pub async fn send(settings: &ClientSettings, alert: NewAlert, json_output: bool) -> anyhow::Result<()> {
    let mut body = json!({"service_id": alert.service, "summary": alert.summary});
    for (field, value) in
        [("dedup_key", alert.dedup_key), ("severity", alert.severity), ("source", alert.source)]
    {
        if let Some(value) = value {
            body[field] = json!(value);
        }
    }
    if let Some(details) = alert.details {
        body["details"] = serde_json::from_str(&details)
            .map_err(|e| anyhow::anyhow!("--details must be a JSON value: {e}"))?;
    }
    let raised: Value = call(settings, Method::POST, "/api/v1/alerts", Some(&body)).await?;
    if json_output {
        return print_json(&raised);
    }
    println!(
        "Alert {} ({}), dedup key {}",
        text(&raised, "alert_id"),
        text(&raised, "outcome"),
        text(&raised, "dedup_key")
    );
    Ok(())
}

/// The filters of `muster alert list`.
#[derive(Debug, Default)]
pub struct Filters {
    pub service: Option<String>,
    pub status: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub query: Option<String>,
    pub cursor: Option<String>,
    pub limit: u32,
}

pub async fn list(settings: &ClientSettings, filters: &Filters, json_output: bool) -> anyhow::Result<()> {
    let limit = filters.limit.to_string();
    let path = format!(
        "/api/v1/alerts{}",
        query(&[
            ("service", filters.service.as_deref()),
            ("status", filters.status.as_deref()),
            ("since", filters.since.as_deref()),
            ("until", filters.until.as_deref()),
            ("q", filters.query.as_deref()),
            ("cursor", filters.cursor.as_deref()),
            ("limit", Some(&limit)),
        ])
    );
    let page: Value = call(settings, Method::GET, &path, None).await?;
    if json_output {
        return print_json(&page);
    }
    let rows: Vec<Vec<String>> = page["alerts"]
        .as_array()
        .map(|alerts| {
            alerts
                .iter()
                .map(|a| {
                    vec![
                        text(a, "id"),
                        text(a, "status"),
                        text(a, "priority"),
                        text(a, "first_seen_at"),
                        a["occurrences"].to_string(),
                        text(a, "summary"),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    println!(
        "{}",
        table::render(&["ID", "STATUS", "PRIORITY", "FIRST SEEN (UTC)", "COUNT", "SUMMARY"], &rows)
    );
    if let Some(next) = page["next_cursor"].as_str() {
        println!("More: muster alert list --cursor {next}");
    }
    Ok(())
}

pub async fn show(settings: &ClientSettings, id: &str, json_output: bool) -> anyhow::Result<()> {
    let alert: Value = call(settings, Method::GET, &format!("/api/v1/alerts/{id}"), None).await?;
    if json_output {
        return print_json(&alert);
    }
    println!("{} ({})", text(&alert, "summary"), text(&alert, "id"));
    println!(
        "{} · {} · {} · service {} · dedup key {}",
        text(&alert, "status"),
        text(&alert, "priority"),
        text(&alert, "severity"),
        text(&alert, "service_name"),
        text(&alert, "dedup_key")
    );
    println!(
        "Seen {} times, first {} and last {} (UTC)",
        alert["occurrences"],
        text(&alert, "first_seen_at"),
        text(&alert, "last_seen_at")
    );
    if alert["suppressed"] == json!(true) {
        println!("Received during maintenance: it pages no one.");
    }
    let log: Vec<Vec<String>> = alert["log"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|e| vec![text(e, "at"), text(e, "kind"), text(&e["by"], "name"), text(e, "message")])
                .collect()
        })
        .unwrap_or_default();
    println!("{}", table::render(&["AT (UTC)", "WHAT", "BY", "MESSAGE"], &log));
    Ok(())
}

/// `ack` or `resolve`.
pub async fn act(settings: &ClientSettings, id: &str, action: &str, json_output: bool) -> anyhow::Result<()> {
    let alert: Value =
        call(settings, Method::POST, &format!("/api/v1/alerts/{id}/{action}"), Some(&json!({}))).await?;
    if json_output {
        return print_json(&alert);
    }
    println!("Alert {} is {}: {}", text(&alert, "id"), text(&alert, "status"), text(&alert, "summary"));
    Ok(())
}
