//! The demo organisation.

use jiff::Timestamp;
use muster_core::{page::Page, user::Role};
use muster_server::demo::{self, DEMO_ADMIN, Seeded};
use reqwest::StatusCode;

use crate::helpers::{Browser, TestApp, start_of_test};

#[tokio::test]
async fn the_demo_fills_an_empty_database_and_keeps_an_existing_admin() {
    let app = TestApp::spawn().await;
    assert_eq!(demo::seed(&app.state, start_of_test()).await.expect("seed"), Seeded::Created);
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
    assert_eq!(resolved["alerts"].as_array().map(Vec::len), Some(50), "a full first page of history");

    for service in &services {
        let escalation = app.store.service_escalation(&service.id).await.expect("escalation");
        assert_eq!(escalation.policy_name.as_deref(), Some("Default"), "{} pages", service.name);
    }

    let everything = app.store.incidents_declared_between(Timestamp::UNIX_EPOCH, Timestamp::MAX).await;
    let (morning, open) = match everything.expect("incidents").as_slice() {
        [.., morning, open] => (morning.number, open.number),
        _ => panic!("the history's incidents, the morning's and the open one"),
    };
    let resolved = app.get(&format!("/api/v1/incidents/{morning}"), &app.admin_token).await.body;
    assert_eq!(
        (resolved["state"].as_str(), resolved["command"]["commander"]["name"].as_str()),
        (Some("resolved"), Some("Sam Okafor"))
    );
    assert_eq!(resolved["investigation"]["cure_outcome"], "mitigated_with_known_fix");
    assert_eq!(resolved["hypotheses"][0]["verdict"], "confirmed");
    let room = format!("/incidents/{open}");
    let open = app.get(&format!("/api/v1{room}"), &app.admin_token).await.body;
    assert_eq!(open["state"], "investigating");
    assert_eq!(open["investigation"]["stage"], "diagnose");
    assert_eq!(open["command"]["offers"][0]["to"]["name"], "Ada Lovelace", "command is on offer to Ada");
    let timeline = app.get(&format!("/api/v1{room}/timeline"), &app.admin_token).await.body;
    let entries = timeline.as_array().expect("a timeline");
    assert!(entries.len() >= 15, "a rich timeline: {}", entries.len());
    assert!(entries[0]["pinned"].as_bool().unwrap_or(false));
    let status = app.api(reqwest::Method::GET, "/api/v1/status", None, None).await.body;
    assert_eq!(status.as_array().map(Vec::len), Some(2), "both have public updates: {status}");
    let ada = Browser::new(&app.address);
    ada.try_sign_in(DEMO_ADMIN, demo::DEMO_PASSWORD).await;
    let postmortem = app.get(&format!("/api/v1/postmortems/{morning}"), &app.admin_token).await.body;
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
            &format!("/api/v1/postmortems/{morning}/export?format=markdown"),
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
    let room = ada.get(&room).await;
    assert_eq!(room.status, StatusCode::OK);
    assert!(room.text.contains("I confirm I am now the IC"), "Ada is offered command in the room");
}

#[tokio::test]
async fn the_demo_leaves_a_database_with_data_alone() {
    let app = TestApp::spawn().await;
    app.create_service(&app.admin_token, "Ours", None).await;
    assert_eq!(demo::seed(&app.state, start_of_test()).await.expect("seed"), Seeded::SkippedExistingData);
    assert_eq!(app.service_names().await, ["Ours"]);
}

/// Done when: with the demo's generated history, the reports show over-budget shifts, the
/// noisiest alerts and a service proposed for ops mode.
#[tokio::test]
async fn the_demo_history_shows_over_budget_shifts_the_noisiest_alerts_and_an_ops_mode_proposal() {
    let app = TestApp::spawn().await;
    demo::seed(&app.state, start_of_test()).await.expect("seed");
    let schedules = app.store.all_schedules().await.expect("schedules");
    let app = &app;
    let report = |name: &str| {
        let id = schedules.iter().find(|s| s.name == name).map(|s| s.id.to_string()).expect("schedule");
        let path = format!("/api/v1/reports/load?schedule={id}");
        async move { app.get(&path, &app.admin_token).await }
    };
    let platform = report("Platform follow-the-sun").await.body;
    let shifts = platform["shifts"].as_array().expect("shifts");
    let over = shifts.iter().filter(|s| s["over_budget"] == true).count();
    assert!(shifts.len() >= 50, "four weeks of twelve-hour shifts: {}", shifts.len());
    assert!(over * 2 >= shifts.len(), "most shifts over budget: {over} of {}", shifts.len());
    let kinds: Vec<&str> =
        platform["advice"].as_array().expect("advice").iter().filter_map(|a| a["kind"].as_str()).collect();
    assert!(kinds.contains(&"ops_mode"), "{kinds:?}");
    let night_pages: u64 =
        platform["people"].as_array().expect("people").iter().filter_map(|p| p["night_pages"].as_u64()).sum();
    assert!(night_pages > 0, "someone was woken: {platform}");

    let teams = app.store.list_teams(Page::first()).await.expect("teams");
    let team = teams.iter().find(|t| t.name == "Platform").expect("the platform team");
    let sizing = app.get(&format!("/api/v1/reports/sizing?team={}", team.id), &app.admin_token).await.body;
    let rotation = &sizing["rotations"][0];
    assert_eq!(rotation["people_now"].as_array().map(Vec::len), Some(5), "{rotation}");
    assert_eq!(
        (rotation["recommended"].as_str(), rotation["more_people_needed"].as_u64()),
        (Some("Primary 1, Primary 2 and secondary"), Some(1)),
        "{rotation}"
    );

    let gateway = report("Payment Gateway weekly").await.body;
    let advice = gateway["advice"].as_array().expect("advice");
    assert!(
        advice.iter().any(|a| a["kind"] == "product_team"
            && a["advice"].as_str().is_some_and(|t| t.starts_with("Payment Gateway"))),
        "the quiet gateway may move to its product team: {advice:?}"
    );

    let toil = app.get("/api/v1/reports/toil", &app.admin_token).await.body;
    let noisiest = &toil["noisiest"][0];
    assert_eq!(noisiest["dedup_key"], "KubeNodeDiskPressure/pool-b", "{toil}");
    assert_eq!(noisiest["without_action"], noisiest["opened"], "it is left to resolve itself every time");
    assert!(noisiest["useless_votes"].as_u64().unwrap_or(0) > 0, "people said it was not useful");
    assert!(toil["without_action"].as_u64().unwrap_or(0) > 20);
    let nights = toil["off_hours"].as_array().expect("off-hours ranking");
    assert!(
        nights.first().is_some_and(|k| k["off_hours_pages"].as_u64().unwrap_or(0) > 10),
        "the platform's alerts page people out of hours: {nights:?}"
    );

    let services = app.store.list_services(Page::first()).await.expect("services");
    let kubernetes = services.iter().find(|s| s.name == "Kubernetes Platform").expect("the platform");
    let ops = app.get(&format!("/api/v1/services/{}/ops-mode", kubernetes.id), &app.admin_token).await.body;
    let proposal = ops["proposal"].as_str().unwrap_or_default();
    assert!(proposal.contains("the load budget of Platform follow-the-sun is exhausted"), "{ops}");
    let gate = app.get(&format!("/api/v1/services/{}/deploy-gate", kubernetes.id), &app.admin_token).await;
    assert_eq!(gate.status, StatusCode::OK, "a proposal does not freeze by itself");
    let checkout = services.iter().find(|s| s.name == "Checkout API").expect("checkout");
    let ops = app.get(&format!("/api/v1/services/{}/ops-mode", checkout.id), &app.admin_token).await.body;
    assert!(ops["proposal"].is_null(), "checkout is within its budgets: {ops}");
}
