//! Client commands about paging: `muster page show|undelivered` and `muster page test`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    client::{ClientSettings, call},
    remote::{print_json, text},
    table,
};

/// `muster page show <alert>`: the alert's page, its response target and its delivery log.
pub async fn show(settings: &ClientSettings, alert: &str, json_output: bool) -> anyhow::Result<()> {
    let page: Value = call(settings, Method::GET, &format!("/api/v1/alerts/{alert}/page"), None).await?;
    if json_output {
        return print_json(&page);
    }
    println!(
        "Page {} of alert {}: {} · policy version {} · {} step notifications sent",
        text(&page, "id"),
        text(&page, "alert_id"),
        text(&page, "status"),
        page["policy_version"],
        page["steps_notified"]
    );
    match page["respond_by"].as_str() {
        Some(by) => println!("Response target: acknowledge by {by} (UTC): {}", text(&page, "response")),
        None => println!("Normal work: no response target."),
    }
    if let Some(next) = page["next_due_at"].as_str() {
        println!("Next step at {next} (UTC) unless someone acknowledges.");
    }
    println!(
        "{}",
        table::render(
            &["STEP", "TO (USER ID)", "CHANNEL", "DUE (UTC)", "STATUS", "TRIES", "LAST ERROR"],
            &rows(&page["notifications"])
        )
    );
    Ok(())
}

/// `muster page undelivered`: notifications that failed every attempt (admins).
pub async fn undelivered(settings: &ClientSettings, json_output: bool) -> anyhow::Result<()> {
    let dead: Value = call(settings, Method::GET, "/api/v1/notifications/dead-letters", None).await?;
    if json_output {
        return print_json(&dead);
    }
    println!(
        "{}",
        table::render(
            &["STEP", "TO (USER ID)", "CHANNEL", "DUE (UTC)", "STATUS", "TRIES", "LAST ERROR"],
            &rows(&dead)
        )
    );
    Ok(())
}

/// `muster page test <contact method>`: a test message through one of your verified methods.
pub async fn test(settings: &ClientSettings, method: &str, json_output: bool) -> anyhow::Result<()> {
    let path = format!("/api/v1/users/me/contact-methods/{method}/test");
    let queued: Value = call(settings, Method::POST, &path, Some(&json!({}))).await?;
    if json_output {
        return print_json(&queued);
    }
    println!(
        "Test message {} queued through {} ({}).",
        text(&queued, "id"),
        text(&queued, "kind"),
        text(&queued, "address")
    );
    Ok(())
}

fn rows(notifications: &Value) -> Vec<Vec<String>> {
    notifications
        .as_array()
        .map(|all| {
            all.iter()
                .map(|n| {
                    vec![
                        n["step_index"].as_u64().map(|i| (i + 1).to_string()).unwrap_or_default(),
                        text(n, "user_id"),
                        text(n, "kind"),
                        text(n, "deliver_at"),
                        text(n, "status"),
                        n["attempts"].to_string(),
                        n["last_error"].as_str().unwrap_or("").to_owned(),
                    ]
                })
                .collect()
        })
        .unwrap_or_default()
}
