//! The demo organisation.

use muster_core::{page::Page, user::Role};
use muster_server::demo::{self, DEMO_ADMIN, Seeded};
use reqwest::StatusCode;

use crate::helpers::{Browser, TestApp, start_of_test};

#[tokio::test]
async fn the_demo_fills_an_empty_database_and_keeps_an_existing_admin() {
    let app = TestApp::spawn().await;
    assert_eq!(demo::seed(&app.store, start_of_test()).await.expect("seed"), Seeded::Created);
    let teams = app.store.list_teams(Page::first()).await.expect("teams");
    let services = app.store.list_services(Page::first()).await.expect("services");
    let people = app.store.list_users(Page::first()).await.expect("people");
    assert_eq!(
        (teams.len(), services.len(), people.len()),
        (2, 4, 9),
        "eight demo people and the existing admin"
    );
    assert!(people.iter().any(|p| p.email == "admin@example.com" && p.role == Role::Admin));
    let zones: std::collections::HashSet<_> = people.iter().map(|p| p.time_zone.as_str()).collect();
    assert!(zones.len() >= 6, "people across several time zones");
    for service in &services {
        assert!(
            !app.store.list_integration_keys(&service.id).await.expect("keys").is_empty(),
            "{} has keys",
            service.name
        );
    }
    let browser = Browser::new(&app.address);
    assert_eq!(browser.try_sign_in(DEMO_ADMIN, demo::DEMO_PASSWORD).await.status, StatusCode::SEE_OTHER);

    let schedules = app.store.all_schedules().await.expect("schedules");
    assert_eq!(schedules.len(), 5, "Checkout's three tiers, follow-the-sun and a weekly rotation");
    for service in &services {
        let tiers = app.store.service_schedules(&service.id).await.expect("tiers");
        assert!(!tiers.is_empty(), "{} has someone on call", service.name);
    }
    let everyone = app.get("/api/v1/oncall", &app.admin_token).await;
    let covered = everyone.body["schedules"]
        .as_array()
        .expect("schedules")
        .iter()
        .filter(|s| s["on_call"].as_array().is_some_and(|o| !o.is_empty()))
        .count();
    assert!(covered >= 2, "primaries are on call around the clock: {}", everyone.body);

    let open = app.get("/api/v1/alerts?status=triggered,acknowledged", &app.admin_token).await.body;
    let open: Vec<(&str, &str)> = open["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .map(|a| (a["summary"].as_str().unwrap_or(""), a["status"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(open.len(), 3, "{open:?}");
    assert!(open.contains(&("Checkout API 5xx rate above 2% for 5 minutes", "acknowledged")));
    let resolved = app.get("/api/v1/alerts?status=resolved", &app.admin_token).await.body;
    assert_eq!(resolved["alerts"].as_array().map(Vec::len), Some(1));

    for service in &services {
        let escalation = app.store.service_escalation(&service.id).await.expect("escalation");
        assert_eq!(escalation.policy_name.as_deref(), Some("Default"), "{} pages", service.name);
    }

    let resolved = app.get("/api/v1/incidents/1", &app.admin_token).await.body;
    assert_eq!(
        (resolved["state"].as_str(), resolved["command"]["commander"]["name"].as_str()),
        (Some("resolved"), Some("Sam Okafor"))
    );
    assert_eq!(resolved["investigation"]["cure_outcome"], "mitigated_with_known_fix");
    assert_eq!(resolved["hypotheses"][0]["verdict"], "confirmed");
    let open = app.get("/api/v1/incidents/2", &app.admin_token).await.body;
    assert_eq!(open["state"], "investigating");
    assert_eq!(open["investigation"]["stage"], "diagnose");
    assert_eq!(open["command"]["offers"][0]["to"]["name"], "Ada Lovelace", "command is on offer to Ada");
    let timeline = app.get("/api/v1/incidents/2/timeline", &app.admin_token).await.body;
    let entries = timeline.as_array().expect("a timeline");
    assert!(entries.len() >= 15, "a rich timeline: {}", entries.len());
    assert!(entries[0]["pinned"].as_bool().unwrap_or(false));
    let status = app.api(reqwest::Method::GET, "/api/v1/status", None, None).await.body;
    assert_eq!(status.as_array().map(Vec::len), Some(2), "both have public updates: {status}");
    let ada = Browser::new(&app.address);
    ada.try_sign_in(DEMO_ADMIN, demo::DEMO_PASSWORD).await;
    let postmortem = app.get("/api/v1/postmortems/1", &app.admin_token).await.body;
    assert_eq!(postmortem["status"], "published", "{postmortem}");
    assert_eq!(postmortem["action_items"].as_array().map(Vec::len), Some(2));
    let services = app.get("/api/v1/services", &app.admin_token).await.body;
    let checkout = services["items"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == "Checkout API"))
        .expect("Checkout API");
    let slos = app
        .get(&format!("/api/v1/services/{}/slos", checkout["id"].as_str().unwrap_or("")), &app.admin_token)
        .await
        .body;
    assert_eq!(slos.as_array().map(Vec::len), Some(2), "{slos}");
    let remaining = slos[0]["budget"]["remaining"].as_f64().unwrap_or(0.0);
    assert!((remaining - 0.5).abs() < 1e-9, "half the availability budget is spent: {slos}");
    let month = app.get("/api/v1/postmortems/of-the-month", &app.admin_token).await.body;
    assert_eq!(month["winner"]["title"], "Postmortem: Checkout slow after the pricing deploy", "{month}");
    let reading = app.get("/api/v1/reading-list", &app.admin_token).await.body;
    assert_eq!(reading.as_array().map(Vec::len), Some(1), "{reading}");
    let found = app.get("/api/v1/postmortems/search?q=price%20rules", &app.admin_token).await.body;
    assert_eq!(found[0]["title"], "Postmortem: Checkout slow after the pricing deploy", "{found}");
    // The Markdown export renders in a CommonMark renderer with every template section.
    let export = app
        .api(
            reqwest::Method::GET,
            "/api/v1/postmortems/1/export?format=markdown",
            Some(&app.admin_token),
            None,
        )
        .await;
    let markdown = export.body.as_str().unwrap_or_default().to_owned();
    let mut headings = Vec::new();
    let mut in_heading = false;
    for event in pulldown_cmark::Parser::new(&markdown) {
        match event {
            pulldown_cmark::Event::Start(pulldown_cmark::Tag::Heading { .. }) => in_heading = true,
            pulldown_cmark::Event::End(pulldown_cmark::TagEnd::Heading(_)) => in_heading = false,
            pulldown_cmark::Event::Text(text) if in_heading => headings.push(text.to_string()),
            _ => {}
        }
    }
    assert_eq!(
        headings,
        [
            "Postmortem: Checkout slow after the pricing deploy",
            "Executive summary",
            "Problem summary",
            "Impact",
            "Timeline",
            "Root cause and trigger",
            "Resolution",
            "Action items",
            "Lessons learned",
            "What went well",
            "What went wrong",
            "Where we got lucky",
        ],
        "{markdown}"
    );
    for field in [
        "**Date:**",
        "**Authors:** Sam Okafor",
        "**Reviewers:** Ada Lovelace",
        "**Incident Commander:** Sam Okafor",
    ] {
        assert!(markdown.contains(field), "{field} missing:\n{markdown}");
    }
    let room = ada.get("/incidents/2").await;
    assert_eq!(room.status, StatusCode::OK);
    assert!(room.text.contains("I confirm I am now the IC"), "Ada is offered command in the room");
}

#[tokio::test]
async fn the_demo_leaves_a_database_with_data_alone() {
    let app = TestApp::spawn().await;
    app.create_service(&app.admin_token, "Ours", None).await;
    assert_eq!(demo::seed(&app.store, start_of_test()).await.expect("seed"), Seeded::SkippedExistingData);
    assert_eq!(app.service_names().await, ["Ours"]);
}
