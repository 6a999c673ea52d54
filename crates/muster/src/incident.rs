//! Client commands about incidents: `muster incident declare|list|show|role|stage|note|update|
//! resolve`. An incident is named by its number (`42`) or its id.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    client::{ClientSettings, call},
    oncall::query,
    remote::{print_json, text},
    table,
};

/// What `muster incident declare` declares.
#[derive(Debug)]
pub struct NewIncident {
    pub title: String,
    pub severity: String,
    pub alerts: Vec<String>,
    pub services: Vec<String>,
    pub customer_facing: bool,
    pub data_impact: bool,
    pub expected: Option<String>,
    pub actual: Option<String>,
    pub reproduce: Option<String>,
}

pub async fn declare(settings: &ClientSettings, new: NewIncident, json_output: bool) -> anyhow::Result<()> {
    let mut body = json!({
        "title": new.title, "severity": new.severity, "alert_ids": new.alerts, "service_ids": new.services,
        "customer_facing": new.customer_facing, "data_impact": new.data_impact,
    });
    if new.expected.is_some() || new.actual.is_some() {
        body["problem_report"] = json!({
            "expected": new.expected.unwrap_or_default(),
            "actual": new.actual.unwrap_or_default(),
            "reproduce": new.reproduce.unwrap_or_default(),
        });
    }
    let incident: Value = call(settings, Method::POST, "/api/v1/incidents", Some(&body)).await?;
    if json_output {
        return print_json(&incident);
    }
    println!(
        "Declared incident {}: {} ({}). You are Incident Commander.",
        incident["number"],
        text(&incident, "title"),
        text(&incident, "severity").to_uppercase()
    );
    Ok(())
}

pub async fn list(
    settings: &ClientSettings,
    state: &str,
    cursor: Option<&str>,
    limit: u32,
    json_output: bool,
) -> anyhow::Result<()> {
    let limit = limit.to_string();
    let path = format!(
        "/api/v1/incidents{}",
        query(&[("state", Some(state)), ("cursor", cursor), ("limit", Some(&limit))])
    );
    let page: Value = call(settings, Method::GET, &path, None).await?;
    if json_output {
        return print_json(&page);
    }
    let rows: Vec<Vec<String>> = page["incidents"]
        .as_array()
        .map(|incidents| {
            incidents
                .iter()
                .map(|i| {
                    vec![
                        i["number"].to_string(),
                        text(i, "severity").to_uppercase(),
                        text(i, "state"),
                        text(&i["investigation"], "stage"),
                        text(&i["command"]["commander"], "name"),
                        text(i, "declared_at"),
                        text(i, "title"),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    println!(
        "{}",
        table::render(&["#", "SEVERITY", "STATE", "STAGE", "COMMANDER", "DECLARED (UTC)", "TITLE"], &rows)
    );
    if let Some(next) = page["next_cursor"].as_str() {
        println!("More: muster incident list --cursor {next}");
    }
    Ok(())
}

pub async fn show(settings: &ClientSettings, id: &str, json_output: bool) -> anyhow::Result<()> {
    let incident: Value = call(settings, Method::GET, &format!("/api/v1/incidents/{id}"), None).await?;
    let timeline: Value =
        call(settings, Method::GET, &format!("/api/v1/incidents/{id}/timeline"), None).await?;
    if json_output {
        return print_json(&json!({"incident": incident, "timeline": timeline}));
    }
    println!("Incident {}: {}", incident["number"], text(&incident, "title"));
    println!(
        "{} · {} · stage {}",
        text(&incident, "severity").to_uppercase(),
        text(&incident, "state"),
        text(&incident["investigation"], "stage")
    );
    let command = &incident["command"];
    let holder = |role: &str| command[role]["name"].as_str().unwrap_or("(the IC)").to_owned();
    println!(
        "IC {} · CL {} · OL {}",
        text(&command["commander"], "name"),
        holder("comms_lead"),
        holder("ops_lead")
    );
    for offer in command["offers"].as_array().into_iter().flatten() {
        println!(
            "On offer: {} to {} (from {}); not in effect until accepted",
            text(offer, "role"),
            text(&offer["to"], "name"),
            text(&offer["from"], "name")
        );
    }
    if let Some(due) = incident["next_update_due"].as_str() {
        let overdue = if incident["update_overdue"] == json!(true) { " (overdue)" } else { "" };
        println!("Next stakeholder update due {due} UTC{overdue}");
    }
    let rows: Vec<Vec<String>> = timeline
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|e| {
                    let pin = if e["pinned"] == json!(true) { "📌" } else { "" };
                    vec![text(e, "at"), text(e, "kind"), format!("{pin}{}", text(e, "message"))]
                })
                .collect()
        })
        .unwrap_or_default();
    println!("{}", table::render(&["AT (UTC)", "WHAT", "ENTRY"], &rows));
    Ok(())
}

/// What `muster incident role` does.
#[derive(Debug)]
pub enum RoleStep {
    Offer { user: String },
    Accept,
    Decline,
    Withdraw,
}

pub async fn role(
    settings: &ClientSettings,
    id: &str,
    role: &str,
    step: RoleStep,
    json_output: bool,
) -> anyhow::Result<()> {
    let (action, body) = match &step {
        RoleStep::Offer { user } => ("offer", json!({"user_id": user})),
        RoleStep::Accept => ("accept", json!({})),
        RoleStep::Decline => ("decline", json!({})),
        RoleStep::Withdraw => ("withdraw", json!({})),
    };
    let path = format!("/api/v1/incidents/{id}/roles/{role}/{action}");
    let incident: Value = call(settings, Method::POST, &path, Some(&body)).await?;
    if json_output {
        return print_json(&incident);
    }
    let holder = incident["command"][role]["name"].as_str().unwrap_or("nobody");
    match step {
        RoleStep::Offer { .. } => println!("Offered; {holder} holds {role} until it is accepted."),
        _ => println!("{role} is held by {holder}."),
    }
    Ok(())
}

/// Moves the investigation, writing the current stage's output first when one is given.
pub async fn stage(
    settings: &ClientSettings,
    id: &str,
    output: Option<String>,
    outcome: Option<String>,
    to: Option<String>,
    json_output: bool,
) -> anyhow::Result<()> {
    let mut incident = Value::Null;
    if let Some(output) = output {
        let body = json!({"output": output, "outcome": outcome});
        let path = format!("/api/v1/incidents/{id}/stage/output");
        incident = call(settings, Method::PUT, &path, Some(&body)).await?;
    }
    if let Some(to) = to {
        let path = format!("/api/v1/incidents/{id}/stage");
        incident = call(settings, Method::POST, &path, Some(&json!({"stage": to}))).await?;
    }
    if incident.is_null() {
        anyhow::bail!("give --output to write the current stage's output, --to to move, or both");
    }
    if json_output {
        return print_json(&incident);
    }
    println!("Incident {} is in {}.", incident["number"], text(&incident["investigation"], "stage"));
    Ok(())
}

pub async fn note(settings: &ClientSettings, id: &str, note: &str, json_output: bool) -> anyhow::Result<()> {
    let path = format!("/api/v1/incidents/{id}/notes");
    let entry: Value = call(settings, Method::POST, &path, Some(&json!({"text": note}))).await?;
    if json_output {
        return print_json(&entry);
    }
    println!("Note added to the timeline at {} UTC.", text(&entry, "at"));
    Ok(())
}

pub async fn update(
    settings: &ClientSettings,
    id: &str,
    audience: &str,
    body: &str,
    json_output: bool,
) -> anyhow::Result<()> {
    let path = format!("/api/v1/incidents/{id}/updates");
    let update: Value =
        call(settings, Method::POST, &path, Some(&json!({"audience": audience, "body": body}))).await?;
    if json_output {
        return print_json(&update);
    }
    let article = if text(&update, "audience") == "internal" { "an" } else { "a" };
    println!("Posted {article} {} update at {} UTC.", text(&update, "audience"), text(&update, "posted_at"));
    Ok(())
}

/// Resolves (the cure output must be written), or sets another state.
pub async fn set_state(
    settings: &ClientSettings,
    id: &str,
    state: &str,
    json_output: bool,
) -> anyhow::Result<()> {
    let path = format!("/api/v1/incidents/{id}/state");
    let incident: Value = call(settings, Method::POST, &path, Some(&json!({"state": state}))).await?;
    if json_output {
        return print_json(&incident);
    }
    println!("Incident {} is {}.", incident["number"], text(&incident, "state"));
    Ok(())
}
