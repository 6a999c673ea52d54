//! Client commands: each asks the server's API and prints a table or, with `--json`, the JSON.

use std::io::BufRead;

use anyhow::{Context, bail};
use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    cli::ListArgs,
    client::{ClientSettings, call},
    table,
};

pub(crate) fn print_json(value: &Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub(crate) fn text(value: &Value, field: &str) -> String {
    match &value[field] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn items(listing: &Value) -> &[Value] {
    listing["items"].as_array().map(Vec::as_slice).unwrap_or_default()
}

pub(crate) fn print_list(
    listing: &Value,
    header: &[&str],
    fields: &[&str],
    json: bool,
) -> anyhow::Result<()> {
    if json {
        return print_json(listing);
    }
    let rows: Vec<Vec<String>> =
        items(listing).iter().map(|item| fields.iter().map(|f| text(item, f)).collect()).collect();
    println!("{}", table::render(header, &rows));
    if let Some(next) = listing["next_offset"].as_u64() {
        println!("(more: --offset {next})");
    }
    Ok(())
}

pub(crate) fn page(args: &ListArgs) -> String {
    format!("?limit={}&offset={}", args.limit, args.offset)
}

pub async fn login(server: &str, token: Option<String>) -> anyhow::Result<()> {
    let token = match token {
        Some(token) => token,
        None => {
            eprintln!("Paste an API token (create one on the Settings page, or with `muster token create`):");
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).context("reading the token")?;
            line.trim().to_owned()
        }
    };
    if token.is_empty() {
        bail!("token: must not be empty");
    }
    let settings = ClientSettings { server: server.trim_end_matches('/').to_owned(), token };
    let me: Value = call(&settings, Method::GET, "/api/v1/users/me", None).await?;
    let path = settings.save()?;
    println!(
        "Logged in to {} as {} <{}>; saved in {}.",
        settings.server,
        text(&me, "name"),
        text(&me, "email"),
        path.display()
    );
    Ok(())
}

pub async fn list_users(settings: &ClientSettings, args: &ListArgs, json: bool) -> anyhow::Result<()> {
    let listing: Value = call(settings, Method::GET, &format!("/api/v1/users{}", page(args)), None).await?;
    print_list(
        &listing,
        &["ID", "NAME", "EMAIL", "ROLE", "TIME ZONE"],
        &["id", "name", "email", "role", "time_zone"],
        json,
    )
}

pub async fn show_user(settings: &ClientSettings, id: &str, json: bool) -> anyhow::Result<()> {
    let user: Value = call(settings, Method::GET, &format!("/api/v1/users/{id}"), None).await?;
    if json {
        return print_json(&user);
    }
    let rows: Vec<Vec<String>> = ["id", "name", "email", "role", "time_zone", "created_at", "deactivated_at"]
        .iter()
        .map(|f| vec![(*f).to_owned(), text(&user, f)])
        .collect();
    println!("{}", table::render(&["FIELD", "VALUE"], &rows));
    Ok(())
}

pub async fn list_teams(settings: &ClientSettings, args: &ListArgs, json: bool) -> anyhow::Result<()> {
    let mut listing: Value =
        call(settings, Method::GET, &format!("/api/v1/teams{}", page(args)), None).await?;
    if let Some(teams) = listing["items"].as_array_mut() {
        for team in teams {
            let count = team["members"].as_array().map_or(0, Vec::len);
            team["member_count"] = json!(count);
        }
    }
    print_list(&listing, &["ID", "NAME", "MEMBERS"], &["id", "name", "member_count"], json)
}

fn print_team(team: &Value, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(team);
    }
    println!("{} ({})\n{}", text(team, "name"), text(team, "id"), text(team, "description"));
    let members = team["members"].as_array().map(Vec::as_slice).unwrap_or_default();
    let rows: Vec<Vec<String>> =
        members.iter().map(|m| vec![text(m, "user_id"), text(m, "name"), text(m, "email")]).collect();
    println!("\n{}", table::render(&["USER ID", "NAME", "EMAIL"], &rows));
    Ok(())
}

pub async fn show_team(settings: &ClientSettings, id: &str, json: bool) -> anyhow::Result<()> {
    let team: Value = call(settings, Method::GET, &format!("/api/v1/teams/{id}"), None).await?;
    print_team(&team, json)
}

pub async fn create_team(
    settings: &ClientSettings,
    name: &str,
    description: Option<String>,
    json: bool,
) -> anyhow::Result<()> {
    let body = json!({ "name": name, "description": description });
    let team: Value = call(settings, Method::POST, "/api/v1/teams", Some(&body)).await?;
    print_team(&team, json)
}

pub async fn add_member(settings: &ClientSettings, team: &str, user: &str, json: bool) -> anyhow::Result<()> {
    let team: Value =
        call(settings, Method::PUT, &format!("/api/v1/teams/{team}/members/{user}"), None).await?;
    print_team(&team, json)
}

pub async fn list_services(settings: &ClientSettings, args: &ListArgs, json: bool) -> anyhow::Result<()> {
    let listing: Value =
        call(settings, Method::GET, &format!("/api/v1/services{}", page(args)), None).await?;
    print_list(&listing, &["ID", "NAME", "TEAM"], &["id", "name", "team_name"], json)
}

pub async fn show_service(settings: &ClientSettings, id: &str, json: bool) -> anyhow::Result<()> {
    let service: Value = call(settings, Method::GET, &format!("/api/v1/services/{id}"), None).await?;
    let keys: Value = call(settings, Method::GET, &format!("/api/v1/services/{id}/keys"), None).await?;
    if json {
        return print_json(&json!({ "service": service, "keys": keys }));
    }
    println!(
        "{} ({})\nTeam: {}\n{}",
        text(&service, "name"),
        text(&service, "id"),
        text(&service, "team_name"),
        text(&service, "description")
    );
    let keys = keys.as_array().map(Vec::as_slice).unwrap_or_default();
    let rows: Vec<Vec<String>> = keys
        .iter()
        .map(|k| {
            let state = if k["revoked_at"].is_null() { "active".to_owned() } else { "revoked".to_owned() };
            vec![text(k, "name"), text(k, "kind"), state, text(&k["ingestion"], "url")]
        })
        .collect();
    println!("\n{}", table::render(&["KEY", "KIND", "STATE", "INGESTION URL"], &rows));
    Ok(())
}

pub async fn create_service(
    settings: &ClientSettings,
    name: &str,
    description: Option<String>,
    team: Option<String>,
    json: bool,
) -> anyhow::Result<()> {
    let body = json!({ "name": name, "description": description, "team_id": team });
    let service: Value = call(settings, Method::POST, "/api/v1/services", Some(&body)).await?;
    if json {
        return print_json(&service);
    }
    println!("Created service {} ({}).", text(&service, "name"), text(&service, "id"));
    Ok(())
}
