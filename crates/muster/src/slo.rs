//! Client commands about SLOs: `muster slo list|burn|rules|gate`. A service is named by its id.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::{
    client::{ClientSettings, call, call_answer, call_text},
    remote::{print_json, text},
    table,
};

pub async fn list(settings: &ClientSettings, service: &str, json_output: bool) -> anyhow::Result<()> {
    let slos: Value = call(settings, Method::GET, &format!("/api/v1/services/{service}/slos"), None).await?;
    if json_output {
        return print_json(&slos);
    }
    let rows: Vec<Vec<String>> = slos
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let remaining = s["budget"]["remaining"]
                .as_f64()
                .map_or("unknown".to_owned(), |r| format!("{:.1}%", r * 100.0));
            let objective = if s["objective"] == s["normal_objective"] {
                format!("{}%", s["objective"])
            } else {
                format!("{}% (ops mode; normally {}%)", s["objective"], s["normal_objective"])
            };
            vec![text(s, "id"), text(s, "name"), objective, format!("{} days", s["window_days"]), remaining]
        })
        .collect();
    println!("{}", table::render(&["ID", "SLO", "OBJECTIVE", "WINDOW", "BUDGET LEFT"], &rows));
    Ok(())
}

/// How an SLO's budget burned, a day at a time over its window.
pub async fn burn(
    settings: &ClientSettings,
    service: &str,
    slo: &str,
    csv: bool,
    json_output: bool,
) -> anyhow::Result<()> {
    let path = format!("/api/v1/services/{service}/slos/{slo}/burn");
    if csv {
        print!("{}", call_text(settings, &format!("{path}?format=csv")).await?);
        return Ok(());
    }
    let burn: Value = call(settings, Method::GET, &path, None).await?;
    if json_output {
        return print_json(&burn);
    }
    let rows: Vec<Vec<String>> = burn["points"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| vec![text(p, "at"), format!("{:.1}%", p["remaining"].as_f64().unwrap_or(0.0) * 100.0)])
        .collect();
    println!("{}", table::render(&["AT (UTC)", "BUDGET LEFT"], &rows));
    println!("{} ({})", text(&burn, "name"), text(&burn, "budget_source"));
    Ok(())
}

/// Prints the Prometheus rule file, for `rule_files`.
pub async fn rules(settings: &ClientSettings, service: &str) -> anyhow::Result<()> {
    print!("{}", call_text(settings, &format!("/api/v1/services/{service}/slo-rules")).await?);
    Ok(())
}

/// Asks the deploy gate; fails (a non-zero exit, for CI/CD scripts) when the deploy must wait.
pub async fn gate(
    settings: &ClientSettings,
    service: &str,
    deploy: Option<&str>,
    json_output: bool,
) -> anyhow::Result<()> {
    let mut query = String::new();
    if let Some(deploy) = deploy {
        let mut url = reqwest::Url::parse("http://gate/")?;
        url.query_pairs_mut().append_pair("deploy", deploy);
        query = format!("?{}", url.query().unwrap_or_default());
    }
    let (status, answer) =
        call_answer(settings, &format!("/api/v1/services/{service}/deploy-gate{query}")).await?;
    if json_output {
        print_json(&answer)?;
    }
    match status {
        StatusCode::OK => {
            if !json_output {
                println!("Deploy may proceed: {}.", text(&answer, "reason"));
            }
            Ok(())
        }
        StatusCode::LOCKED => {
            let grant: Vec<String> = answer["who_can_grant"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect();
            anyhow::bail!(
                "deploy refused: {}. Who can grant an exception: {}",
                text(&answer, "reason"),
                grant.join(", ")
            )
        }
        other => anyhow::bail!(
            "{} (HTTP {})",
            answer["message"].as_str().unwrap_or("the gate did not answer"),
            other.as_u16()
        ),
    }
}
