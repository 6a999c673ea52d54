//! Client commands about postmortems: `muster postmortem draft|show|export|submit|approve|
//! publish`. A postmortem is named by its id or by its incident's number.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    client::{ClientSettings, call, call_text},
    remote::{print_json, text},
    table,
};

/// Starts (or finds) the postmortem of a resolved incident.
pub async fn draft(settings: &ClientSettings, incident: &str, json_output: bool) -> anyhow::Result<()> {
    let path = format!("/api/v1/incidents/{incident}/postmortem");
    let postmortem: Value = call(settings, Method::POST, &path, Some(&json!({}))).await?;
    if json_output {
        return print_json(&postmortem);
    }
    println!(
        "Postmortem of incident {incident}: {} ({})",
        text(&postmortem["document"], "title"),
        text(&postmortem, "status")
    );
    Ok(())
}

pub async fn show(settings: &ClientSettings, id: &str, json_output: bool) -> anyhow::Result<()> {
    let view: Value = call(settings, Method::GET, &format!("/api/v1/postmortems/{id}"), None).await?;
    if json_output {
        return print_json(&view);
    }
    let document = &view["document"];
    println!("{} · {} · version {}", text(document, "title"), text(&view, "status"), view["version"]);
    let requirement = &view["requirement"];
    if requirement["required"] == json!(true) {
        let reasons: Vec<String> = requirement["reasons"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| text(r, "reason").replace('_', " "))
            .collect();
        println!("Required ({}), due {} UTC", reasons.join(", "), text(requirement, "due_at"));
    }
    let names = |people: &Value| -> String {
        people.as_array().into_iter().flatten().map(|p| text(p, "name")).collect::<Vec<_>>().join(", ")
    };
    println!("Authors: {} · Reviewers: {}", names(&document["authors"]), names(&document["reviewers"]));
    let flags: Vec<Vec<String>> = view["flags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| vec![text(f, "rule"), text(f, "section"), text(f, "sentence")])
        .collect();
    if !flags.is_empty() {
        println!("Blameless check:\n{}", table::render(&["RULE", "SECTION", "SENTENCE"], &flags));
    }
    let items: Vec<Vec<String>> = view["action_items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            vec![
                text(a, "status"),
                text(a, "priority"),
                text(&a["owner"], "name"),
                text(a, "due_on"),
                text(a, "title"),
            ]
        })
        .collect();
    println!("{}", table::render(&["STATUS", "PRIORITY", "OWNER", "DUE", "ACTION ITEM"], &items));
    Ok(())
}

pub async fn export(settings: &ClientSettings, id: &str, format: &str) -> anyhow::Result<()> {
    let path = format!("/api/v1/postmortems/{id}/export?format={format}");
    print!("{}", call_text(settings, &path).await?);
    Ok(())
}

/// `submit`, `approve` or `publish`.
pub async fn step(settings: &ClientSettings, id: &str, step: &str, json_output: bool) -> anyhow::Result<()> {
    let path = format!("/api/v1/postmortems/{id}/{step}");
    let postmortem: Value = call(settings, Method::POST, &path, Some(&json!({}))).await?;
    if json_output {
        return print_json(&postmortem);
    }
    let approvals = postmortem["reviewers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| !r["approved_at"].is_null())
        .count();
    println!(
        "{} is {} ({approvals} of {} approvals).",
        text(&postmortem["document"], "title"),
        text(&postmortem, "status"),
        postmortem["reviewers"].as_array().map_or(0, Vec::len)
    );
    Ok(())
}
