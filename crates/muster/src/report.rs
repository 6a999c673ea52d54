//! Client commands about reports: `muster report load|toil`.

use reqwest::Method;
use serde_json::Value;

use crate::{
    client::{ClientSettings, call, call_text},
    remote::{print_json, text},
    table,
};

/// The load of a schedule's shifts, as a table, JSON or CSV.
pub async fn load(
    settings: &ClientSettings,
    schedule: &str,
    window: (Option<&str>, Option<&str>),
    csv: bool,
    json_output: bool,
) -> anyhow::Result<()> {
    let mut url = reqwest::Url::parse("http://report/")?;
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("schedule", schedule);
        if let Some(from) = window.0 {
            query.append_pair("from", from);
        }
        if let Some(until) = window.1 {
            query.append_pair("until", until);
        }
        if csv {
            query.append_pair("format", "csv");
        }
    }
    let path = format!("/api/v1/reports/load?{}", url.query().unwrap_or_default());
    if csv {
        print!("{}", call_text(settings, &path).await?);
        return Ok(());
    }
    let report: Value = call(settings, Method::GET, &path, None).await?;
    if json_output {
        return print_json(&report);
    }
    let shifts: Vec<Vec<String>> = report["shifts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let incidents = s["incidents"].as_array().map_or(0, Vec::len);
            let over = if s["over_budget"] == Value::Bool(true) { " OVER" } else { "" };
            vec![
                text(s, "name"),
                text(s, "start"),
                text(s, "end"),
                s["pages"].to_string(),
                s["interruptions"].to_string(),
                s["off_hours_pages"].to_string(),
                s["tickets"].to_string(),
                format!("{incidents} / {}{over}", s["incident_budget"]),
            ]
        })
        .collect();
    println!(
        "{}",
        table::render(
            &[
                "PERSON",
                "FROM (UTC)",
                "UNTIL (UTC)",
                "PAGES",
                "INTERRUPTIONS",
                "OFF HOURS",
                "TICKETS",
                "INCIDENTS / BUDGET"
            ],
            &shifts
        )
    );
    let over = report["shifts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["over_budget"] == Value::Bool(true))
        .count();
    println!("{}: {} shifts, {over} over budget.", text(&report, "schedule_name"), shifts.len());
    Ok(())
}

/// The toil of alerts opened in the window: the noisiest and the response per service.
pub async fn toil(
    settings: &ClientSettings,
    window: (Option<&str>, Option<&str>),
    json_output: bool,
) -> anyhow::Result<()> {
    let mut url = reqwest::Url::parse("http://report/")?;
    {
        let mut query = url.query_pairs_mut();
        if let Some(from) = window.0 {
            query.append_pair("from", from);
        }
        if let Some(until) = window.1 {
            query.append_pair("until", until);
        }
    }
    let report: Value = call(
        settings,
        Method::GET,
        &format!("/api/v1/reports/toil?{}", url.query().unwrap_or_default()),
        None,
    )
    .await?;
    if json_output {
        return print_json(&report);
    }
    let noisy: Vec<Vec<String>> = report["noisiest"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|k| {
            vec![
                text(k, "service"),
                text(k, "summary"),
                k["opened"].to_string(),
                k["pages"].to_string(),
                k["without_action"].to_string(),
            ]
        })
        .collect();
    println!("{}", table::render(&["SERVICE", "ALERT", "OPENED", "PAGES", "NOTHING DONE"], &noisy));
    let minutes = |v: &Value| v.as_f64().map_or("-".to_owned(), |m| format!("{m:.1}"));
    let responses: Vec<Vec<String>> = report["responses"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            vec![
                text(r, "service"),
                text(r, "priority"),
                r["alerts"].to_string(),
                minutes(&r["mtta_minutes"]),
                minutes(&r["mttr_minutes"]),
                format!("{} / {}", r["targets_met"], r["targets_missed"]),
            ]
        })
        .collect();
    println!(
        "{}",
        table::render(&["SERVICE", "PRIORITY", "ALERTS", "MTTA MIN", "MTTR MIN", "MET / MISSED"], &responses)
    );
    Ok(())
}
