//! `/api/v1/alerts` and a service's alert settings, maintenance windows, storm cap and heartbeats.

use jiff::SignedDuration;
use muster_core::user::Role;
use muster_server::{
    config::Config,
    heartbeats::{Checked, check_heartbeats},
    state::AppState,
};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{NowForTests, TestApp};

async fn raise(app: &TestApp, service_id: &str, dedup_key: &str, summary: &str) -> String {
    let body = json!({"service_id": service_id, "summary": summary, "dedup_key": dedup_key});
    let reply = app.post("/api/v1/alerts", &app.admin_token, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    reply.body["alert_id"].as_str().expect("alert id").to_owned()
}

#[tokio::test]
async fn alert_lists_filter_by_service_status_time_and_text_and_page_by_cursor() {
    let app = TestApp::spawn().await;
    let payments =
        app.create_service(&app.admin_token, "Payments", None).await["id"].as_str().unwrap().to_owned();
    let search =
        app.create_service(&app.admin_token, "Search", None).await["id"].as_str().unwrap().to_owned();
    for i in 0..5 {
        raise(&app, &payments, &format!("pay-{i}"), &format!("Card declines {i}")).await;
        app.advance(SignedDuration::from_secs(30));
        raise(&app, &search, &format!("search-{i}"), &format!("Index lag {i}")).await;
        app.advance(SignedDuration::from_secs(30));
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/alerts?limit=4&cursor={c}"),
            None => "/api/v1/alerts?limit=4".to_owned(),
        };
        let reply = app.get(&path, &app.admin_token).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        seen.extend(
            reply.body["alerts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["dedup_key"].as_str().unwrap().to_owned()),
        );
        match reply.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 10, "every alert once: {seen:?}");
    assert_eq!(seen[0], "search-4", "newest first");

    let only = |query: &str| {
        let app = &app;
        let query = query.to_owned();
        async move {
            let reply = app.get(&format!("/api/v1/alerts?{query}"), &app.admin_token).await;
            assert_eq!(reply.status, StatusCode::OK, "{query}: {reply:?}");
            reply.body["alerts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["dedup_key"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(only(&format!("service={payments}&q=declines 3")).await, ["pay-3"]);
    assert_eq!(only("since=2026-11-23T09:03:00Z&until=2026-11-23T09:04:00Z").await, ["search-3", "pay-3"]);
    assert!(only("status=resolved").await.is_empty());

    let bad = app.get("/api/v1/alerts?status=open&since=yesterday&cursor=forged", &app.admin_token).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.fields(), ["status", "since"]);
    let bad_cursor = app.get("/api/v1/alerts?cursor=forged", &app.admin_token).await;
    assert_eq!(bad_cursor.fields(), ["cursor"]);
}

#[tokio::test]
async fn responders_acknowledge_resolve_and_annotate_while_stakeholders_only_read() {
    let app = TestApp::spawn().await;
    let service =
        app.create_service(&app.admin_token, "Checkout", None).await["id"].as_str().unwrap().to_owned();
    let id = raise(&app, &service, "5xx", "Checkout returns 500s").await;
    let ada = app.person("Ada", Role::Responder).await;
    let sam = app.person("Sam", Role::Stakeholder).await;

    assert_eq!(app.get(&format!("/api/v1/alerts/{id}"), &sam.token).await.status, StatusCode::OK);
    let denied = app.post(&format!("/api/v1/alerts/{id}/acknowledge"), &sam.token, json!({})).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.api(reqwest::Method::GET, "/api/v1/alerts", None, None).await.status,
        StatusCode::UNAUTHORIZED
    );

    let acked = app.post(&format!("/api/v1/alerts/{id}/acknowledge"), &ada.token, json!({})).await;
    assert_eq!((acked.status, acked.body["status"].as_str()), (StatusCode::OK, Some("acknowledged")));
    assert_eq!(acked.body["acknowledged_by"]["name"], "Ada");
    let note =
        app.post(&format!("/api/v1/alerts/{id}/notes"), &ada.token, json!({"text": "rolled back 4.2"})).await;
    assert_eq!(note.status, StatusCode::CREATED, "{note:?}");
    let empty = app.post(&format!("/api/v1/alerts/{id}/notes"), &ada.token, json!({"text": "  "})).await;
    assert_eq!(empty.fields(), ["text"]);
    let resolved = app.post(&format!("/api/v1/alerts/{id}/resolve"), &ada.token, json!({})).await;
    assert_eq!(resolved.body["status"], "resolved");
    let again = app.post(&format!("/api/v1/alerts/{id}/resolve"), &ada.token, json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(
        app.post("/api/v1/alerts/nope/resolve", &ada.token, json!({})).await.status,
        StatusCode::NOT_FOUND
    );

    let alert = app.get(&format!("/api/v1/alerts/{id}"), &ada.token).await.body;
    assert_eq!(alert["service_name"], "Checkout");
    let log: Vec<(&str, &str)> = alert["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["by"]["name"].as_str().unwrap()))
        .collect();
    assert_eq!(log, [("triggered", "Admin"), ("acknowledged", "Ada"), ("note", "Ada"), ("resolved", "Ada")]);
}

#[tokio::test]
async fn maintenance_keeps_alerts_without_paging_and_a_storm_is_grouped_not_dropped() {
    let app = TestApp::spawn().await;
    let am = app.monitored_service("Fleet", "alertmanager").await;
    let path = format!("/api/v1/ingest/alertmanager/{}", am.key);
    let windows = format!("/api/v1/services/{}/maintenance-windows", am.service_id);
    let bad = app.post(&windows, &app.admin_token, json!({"ends_at": "2026-11-23T08:00:00Z"})).await;
    assert_eq!(bad.fields(), ["ends_at"]);
    let window = app
        .post(
            &windows,
            &app.admin_token,
            json!({"ends_at": "2026-11-23T10:00:00Z", "reason": "kernel upgrade"}),
        )
        .await;
    assert_eq!(window.status, StatusCode::CREATED, "{window:?}");
    let group = crate::ingest::alertmanager_group(json!([crate::ingest::am_alert("m1", "firing")]));
    app.send_json(&path, &[], group).await;
    let alerts = app.alerts_of(&am.service_id).await;
    assert_eq!(alerts[0]["suppressed"], true, "kept and shown, paging no one");
    let window_id = window.body["id"].as_str().unwrap();
    let ended = app
        .api(reqwest::Method::DELETE, &format!("{windows}/{window_id}"), Some(&app.admin_token), None)
        .await;
    assert_eq!(ended.status, StatusCode::NO_CONTENT);

    let settings = format!("/api/v1/services/{}/alert-settings", am.service_id);
    let capped = app
        .patch(&settings, &app.admin_token, json!({"open_alert_cap": 3, "priorities": {"warning": "urgent"}}))
        .await;
    assert_eq!(capped.body["open_alert_cap"], 3);
    assert_eq!(capped.body["priorities"]["warning"], "urgent");
    let invalid = app
        .patch(&settings, &app.admin_token, json!({"open_alert_cap": 0, "priorities": {"info": "soon"}}))
        .await;
    assert_eq!(invalid.fields(), ["priorities.info"]);
    let storm: Vec<_> = (0..20).map(|i| crate::ingest::am_alert(&format!("s{i}"), "firing")).collect();
    let reply = app.send_json(&path, &[], crate::ingest::alertmanager_group(json!(storm))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        (reply.body["alerts"].as_u64(), reply.body["opened"].as_u64()),
        (Some(20), Some(2)),
        "{reply:?}"
    );
    let alerts = app.alerts_of(&am.service_id).await;
    assert_eq!(alerts.len(), 4, "one suppressed, two more under the cap, and the storm alert");
    let storm_alert = alerts.iter().find(|a| a["origin"] == "storm").expect("a storm alert");
    assert_eq!(storm_alert["grouped"], 18);
    let log = app
        .get(&format!("/api/v1/alerts/{}", storm_alert["id"].as_str().unwrap()), &app.admin_token)
        .await
        .body["log"]
        .clone();
    assert_eq!(
        log.as_array().unwrap().iter().filter(|e| e["kind"] == "grouped").count(),
        18,
        "every grouped alert is listed"
    );
}

/// The state a heartbeat watcher runs with on the app's database and clock, leading the engine
/// (as on SQLite, or holding the lease on PostgreSQL) or standing by.
fn watcher(app: &TestApp, leads_the_engine: bool) -> AppState {
    let state = AppState::new(
        app.store.clone(),
        app.clock.clone(),
        Config::new(String::new(), "127.0.0.1:0".parse().expect("an address")),
    );
    state.set_engine_leader(leads_the_engine);
    state
}

/// A service with a heartbeat of an hour that was last heard from at the start of the test.
async fn service_with_hourly_heartbeat(app: &TestApp) -> String {
    let service = app.create_service(&app.admin_token, "Backups", None).await["id"]
        .as_str()
        .expect("service id")
        .to_owned();
    let heartbeats = format!("/api/v1/services/{service}/heartbeats");
    let created =
        app.post(&heartbeats, &app.admin_token, json!({"name": "nightly", "interval_seconds": 3600})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    service
}

#[tokio::test]
async fn only_the_instance_leading_the_engine_raises_a_missed_heartbeat() {
    let app = TestApp::spawn().await;
    let service = service_with_hourly_heartbeat(&app).await;
    app.advance(SignedDuration::from_mins(61));
    let standby = watcher(&app, false);
    assert_eq!(check_heartbeats(&standby, app.clock.now_for_tests()).await.unwrap(), Checked::StoodBy);
    assert!(app.alerts_of(&service).await.is_empty(), "a standby raised an alert");

    // The watcher job of the standby sleeps; taking the lead wakes it, and it raises the alert once.
    tokio::spawn(muster_server::heartbeats::run(standby.clone()));
    tokio::task::yield_now().await;
    standby.set_engine_leader(true);
    let alerts = app.wait_for_alerts(&service, "the new leader's alert", |a| !a.is_empty()).await;
    assert_eq!(alerts.len(), 1, "the new leader raised one alert: {alerts:?}");
    assert_eq!(
        (alerts[0]["origin"].as_str(), alerts[0]["occurrences"].as_i64()),
        (Some("heartbeat"), Some(1))
    );
}

#[tokio::test]
async fn a_silent_heartbeat_raises_an_alert_and_the_next_check_in_resolves_it() {
    let app = TestApp::spawn().await;
    let service =
        app.create_service(&app.admin_token, "Backups", None).await["id"].as_str().unwrap().to_owned();
    let heartbeats = format!("/api/v1/services/{service}/heartbeats");
    let bad =
        app.post(&heartbeats, &app.admin_token, json!({"name": "nightly", "interval_seconds": 5})).await;
    assert_eq!(bad.fields(), ["interval_seconds"]);
    let created =
        app.post(&heartbeats, &app.admin_token, json!({"name": "nightly", "interval_seconds": 3600})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let url = created.body["check_in_url"].as_str().unwrap().to_owned();
    let check_in = url.trim_start_matches(&app.address).to_owned();

    let state = watcher(&app, true);
    app.advance(SignedDuration::from_mins(59));
    assert_eq!(
        check_heartbeats(&state, app.clock.now_for_tests()).await.unwrap(),
        Checked::Raised(0),
        "not yet overdue"
    );
    app.advance(SignedDuration::from_mins(1));
    assert_eq!(check_heartbeats(&state, app.clock.now_for_tests()).await.unwrap(), Checked::Raised(1));
    assert_eq!(
        check_heartbeats(&state, app.clock.now_for_tests()).await.unwrap(),
        Checked::Raised(0),
        "raised once"
    );
    let alerts = app.alerts_of(&service).await;
    assert_eq!(
        (alerts.len(), alerts[0]["status"].as_str(), alerts[0]["origin"].as_str()),
        (1, Some("triggered"), Some("heartbeat"))
    );
    assert!(alerts[0]["summary"].as_str().unwrap().contains("nightly"));

    let reply = app.get(&check_in, "").await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.body["recovered"], true);
    assert_eq!(app.alerts_of(&service).await[0]["status"], "resolved");
    let reply = app.send(&check_in, &[], "").await;
    assert_eq!((reply.status, reply.body["recovered"].as_bool()), (StatusCode::OK, Some(false)));
    assert_eq!(app.send("/api/v1/heartbeats/nope", &[], "").await.status, StatusCode::NOT_FOUND);
}
