//! Client commands about who is on call: `muster oncall now` and `muster schedule …`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    cli::ListArgs,
    client::{ClientSettings, call},
    remote::{page, print_json, print_list, text},
    table,
};

/// `?name=value&…` for the values that are given, form-encoded (`+` in an offset survives).
pub fn query(pairs: &[(&str, Option<&str>)]) -> String {
    let mut url = reqwest::Url::parse("http://query.invalid/").expect("a valid URL");
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in pairs {
            if let Some(value) = value {
                query.append_pair(name, value);
            }
        }
    }
    url.query().filter(|q| !q.is_empty()).map(|q| format!("?{q}")).unwrap_or_default()
}

fn names(on_call: &Value) -> String {
    let names: Vec<String> =
        on_call.as_array().map(|all| all.iter().map(|o| text(o, "name")).collect()).unwrap_or_default();
    if names.is_empty() { "nobody".to_owned() } else { names.join(", ") }
}

pub async fn now(
    settings: &ClientSettings,
    service: Option<&str>,
    at: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let path = match service {
        Some(service) => format!("/api/v1/services/{service}/oncall{}", query(&[("at", at)])),
        None => format!("/api/v1/oncall{}", query(&[("at", at)])),
    };
    let answer: Value = call(settings, Method::GET, &path, None).await?;
    if json {
        return print_json(&answer);
    }
    let rows: Vec<Vec<String>> = answer["schedules"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|s| vec![text(s, "tier"), text(s, "schedule_name"), names(&s["on_call"])])
                .collect()
        })
        .unwrap_or_default();
    println!("On call at {}", text(&answer, "at"));
    println!("{}", table::render(&["TIER", "SCHEDULE", "ON CALL"], &rows));
    Ok(())
}

pub async fn list(settings: &ClientSettings, args: &ListArgs, json: bool) -> anyhow::Result<()> {
    let listing: Value =
        call(settings, Method::GET, &format!("/api/v1/schedules{}", page(args)), None).await?;
    print_list(&listing, &["ID", "NAME", "TIME ZONE"], &["id", "name", "time_zone"], json)
}

pub async fn show(settings: &ClientSettings, id: &str, json: bool) -> anyhow::Result<()> {
    let schedule: Value = call(settings, Method::GET, &format!("/api/v1/schedules/{id}"), None).await?;
    if json {
        return print_json(&schedule);
    }
    let now: Value = call(settings, Method::GET, &format!("/api/v1/schedules/{id}/oncall"), None).await?;
    println!(
        "{} ({}), rules in {}",
        text(&schedule, "name"),
        text(&schedule, "id"),
        text(&schedule, "time_zone")
    );
    println!("On call now: {}", names(&now["schedules"][0]["on_call"]));
    let rotations: Vec<Vec<String>> = schedule["rotations"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|r| {
                    let length =
                        format!("{} {}", r["shift_length"]["count"], text(&r["shift_length"], "unit"));
                    let order =
                        r["orders"].as_array().and_then(|o| o.last()).map(|o| o["participants"].to_string());
                    vec![
                        text(r, "name"),
                        text(r, "start"),
                        text(r, "time_zone"),
                        length,
                        order.unwrap_or_default(),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    println!(
        "\n{}",
        table::render(&["ROTATION", "FIRST HAND-OFF", "ZONE", "SHIFT", "PARTICIPANTS"], &rotations)
    );
    let overrides: Vec<Vec<String>> = schedule["overrides"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|o| {
                    vec![
                        text(o, "id"),
                        text(o, "kind"),
                        text(o, "person_id"),
                        text(o, "cover_id"),
                        text(o, "start"),
                        text(o, "end"),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    if !overrides.is_empty() {
        println!("\n{}", table::render(&["OVERRIDE", "KIND", "PERSON", "COVER", "START", "END"], &overrides));
    }
    Ok(())
}

pub async fn shifts(
    settings: &ClientSettings,
    id: &str,
    from: Option<&str>,
    until: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let path = format!("/api/v1/schedules/{id}/shifts{}", query(&[("from", from), ("until", until)]));
    let shifts: Value = call(settings, Method::GET, &path, None).await?;
    if json {
        return print_json(&shifts);
    }
    let rows: Vec<Vec<String>> = shifts
        .as_array()
        .map(|all| {
            all.iter()
                .map(|s| vec![text(s, "start"), text(s, "end"), text(s, "name"), text(&s["source"], "kind")])
                .collect()
        })
        .unwrap_or_default();
    println!("{}", table::render(&["START (UTC)", "END (UTC)", "ON CALL", "BECAUSE OF"], &rows));
    Ok(())
}

/// What `muster schedule override` asks for.
#[derive(Debug)]
pub struct OverrideRequest {
    pub kind: String,
    pub person: String,
    pub cover: Option<String>,
    pub start: String,
    pub end: String,
}

pub async fn add_override(
    settings: &ClientSettings,
    id: &str,
    request: OverrideRequest,
    json: bool,
) -> anyhow::Result<()> {
    let body = json!({
        "kind": request.kind, "person_id": request.person, "cover_id": request.cover,
        "start": request.start, "end": request.end,
    });
    let created: Value =
        call(settings, Method::POST, &format!("/api/v1/schedules/{id}/overrides"), Some(&body)).await?;
    if json {
        return print_json(&created);
    }
    println!(
        "Added override {} ({} {}) from {} until {}.",
        text(&created, "id"),
        text(&created, "kind"),
        text(&created, "person_id"),
        text(&created, "start"),
        text(&created, "end")
    );
    Ok(())
}
