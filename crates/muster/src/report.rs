//! Client commands about reports: `muster report load|toil|sizing|handoff`.

use reqwest::Method;
use serde_json::Value;

use crate::{
    client::{ClientSettings, call, call_text},
    remote::{print_json, text},
    table,
};

/// A report's path with the query parameters that are given.
fn report_path(report: &str, pairs: &[(&str, Option<&str>)]) -> anyhow::Result<String> {
    let mut url = reqwest::Url::parse("http://report/")?;
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in pairs {
            if let Some(value) = value {
                query.append_pair(name, value);
            }
        }
    }
    Ok(format!("/api/v1/reports/{report}?{}", url.query().unwrap_or_default()))
}

/// How a report is printed: CSV of one of its tables, JSON, or tables for people.
#[derive(Debug, Clone, Copy)]
pub struct Output<'a> {
    pub csv: bool,
    pub table: Option<&'a str>,
    pub json: bool,
}

impl Output<'_> {
    fn format(&self) -> Option<&'static str> {
        self.csv.then_some("csv")
    }

    /// Fetches the report: prints it and answers `None` for CSV or JSON, else the JSON to lay out.
    async fn fetch(&self, settings: &ClientSettings, path: &str) -> anyhow::Result<Option<Value>> {
        if self.csv {
            print!("{}", call_text(settings, path).await?);
            return Ok(None);
        }
        let report: Value = call(settings, Method::GET, path, None).await?;
        if self.json {
            print_json(&report)?;
            return Ok(None);
        }
        Ok(Some(report))
    }
}

/// Shifts as a table: who, when (UTC), pages, interruptions, off-hours pages, tickets, and the
/// incidents against the budget.
fn shifts_table(shifts: &Value) -> String {
    let rows: Vec<Vec<String>> = shifts
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
    table::render(
        &[
            "PERSON",
            "FROM (UTC)",
            "UNTIL (UTC)",
            "PAGES",
            "INTERRUPTIONS",
            "OFF HOURS",
            "TICKETS",
            "INCIDENTS / BUDGET",
        ],
        &rows,
    )
}

/// The load of a schedule's shifts, as a table, JSON or CSV.
pub async fn load(
    settings: &ClientSettings,
    schedule: &str,
    window: (Option<&str>, Option<&str>),
    output: Output<'_>,
) -> anyhow::Result<()> {
    let path = report_path(
        "load",
        &[
            ("schedule", Some(schedule)),
            ("from", window.0),
            ("until", window.1),
            ("format", output.format()),
            ("table", output.table),
        ],
    )?;
    let Some(report) = output.fetch(settings, &path).await? else { return Ok(()) };
    println!("{}", shifts_table(&report["shifts"]));
    let shifts = report["shifts"].as_array().map(Vec::as_slice).unwrap_or_default();
    let over = shifts.iter().filter(|s| s["over_budget"] == Value::Bool(true)).count();
    println!("{}: {} shifts, {over} over budget.", text(&report, "schedule_name"), shifts.len());
    Ok(())
}

/// The toil of alerts opened in the window: the noisiest and the response per service.
pub async fn toil(
    settings: &ClientSettings,
    window: (Option<&str>, Option<&str>),
    output: Output<'_>,
) -> anyhow::Result<()> {
    let path = report_path(
        "toil",
        &[("from", window.0), ("until", window.1), ("format", output.format()), ("table", output.table)],
    )?;
    let Some(report) = output.fetch(settings, &path).await? else { return Ok(()) };
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
                k["off_hours_pages"].to_string(),
                k["without_action"].to_string(),
            ]
        })
        .collect();
    println!(
        "{}",
        table::render(&["SERVICE", "ALERT", "OPENED", "PAGES", "OFF HOURS", "NOTHING DONE"], &noisy)
    );
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

/// Rotation sizing for a team: each schedule's designs, the people they need and the share of
/// their time on operations.
pub async fn sizing(
    settings: &ClientSettings,
    team: &str,
    window: (Option<&str>, Option<&str>),
    output: Output<'_>,
) -> anyhow::Result<()> {
    let path = report_path(
        "sizing",
        &[("team", Some(team)), ("from", window.0), ("until", window.1), ("format", output.format())],
    )?;
    let Some(report) = output.fetch(settings, &path).await? else { return Ok(()) };
    for rotation in report["rotations"].as_array().into_iter().flatten() {
        let now = rotation["people_now"].as_array().map_or(0, Vec::len);
        println!("{}: {now} people on its shifts now", text(rotation, "schedule_name"));
        let rows: Vec<Vec<String>> = rotation["designs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| {
                let share = d["ops_share"].as_f64().unwrap_or(0.0) * 100.0;
                vec![
                    text(d, "name"),
                    if d["absorbs"] == Value::Bool(true) { "yes" } else { "no" }.to_owned(),
                    d["people"].to_string(),
                    format!("{share:.0} %"),
                ]
            })
            .collect();
        println!("{}", table::render(&["DESIGN", "ABSORBS", "PEOPLE", "ON OPERATIONS"], &rows));
        match rotation["recommended"].as_str() {
            Some(name) => println!("Recommended: {name}, {} more people.", rotation["more_people_needed"]),
            None => println!("No design absorbs this load: it has to come down."),
        }
    }
    Ok(())
}

/// A team's weekly hand-off: each rotation's shifts and who is next, the week's incidents and
/// what is still open.
pub async fn handoff(
    settings: &ClientSettings,
    team: &str,
    window: (Option<&str>, Option<&str>),
    output: Output<'_>,
) -> anyhow::Result<()> {
    let path = report_path(
        "handoff",
        &[
            ("team", Some(team)),
            ("from", window.0),
            ("until", window.1),
            ("format", output.format()),
            ("table", output.table),
        ],
    )?;
    let Some(report) = output.fetch(settings, &path).await? else { return Ok(()) };
    println!("{}, {} to {} (UTC)", text(&report, "team_name"), text(&report, "from"), text(&report, "until"));
    for rotation in report["rotations"].as_array().into_iter().flatten() {
        println!("\n{}", text(rotation, "schedule_name"));
        println!("{}", shifts_table(&rotation["shifts"]));
        let next: Vec<String> = rotation["next"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|n| format!("{} from {}", text(n, "name"), text(n, "start")))
            .collect();
        println!("On call next: {}", if next.is_empty() { "nobody".to_owned() } else { next.join("; ") });
    }
    let lines = |key: &str| -> Vec<String> {
        report[key]
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| format!("{}: {} ({})", i["number"], text(i, "title"), text(i, "state")))
            .collect()
    };
    println!("\nIncidents of the week: {}", lines("incidents").join("; "));
    println!("Still open: {}", lines("open_incidents").join("; "));
    for alert in report["open_alerts"].as_array().into_iter().flatten() {
        println!(
            "  alert {} {}: {} ({})",
            text(alert, "id"),
            text(alert, "service"),
            text(alert, "summary"),
            text(alert, "status")
        );
    }
    Ok(())
}
