//! The load report over the API: pages, interruptions, tickets and incidents counted in the shift
//! of the person on call, against the budget, as JSON and CSV.

use jiff::SignedDuration;
use muster_core::user::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::{
    helpers::{Monitor, Person, TestApp},
    receiver::Receiver,
};

/// Grace, reachable by webhook, alone on Checkout's tiers (weekdays 09:00–17:00 London for the
/// primary), which page the primary; the Checkout SRE team owns the service and the schedules.
/// Returns her, the monitor, the primary schedule's id and the team's.
async fn grace_on_call(app: &TestApp, receiver: &Receiver) -> (Person, Monitor, String, String) {
    let grace = app.person("Grace", Role::Responder).await;
    app.reachable_by_webhook(&grace, receiver, "/grace").await;
    let team = app.create_team(&app.admin_token, "Checkout SRE").await;
    let team = team["id"].as_str().expect("team id").to_owned();
    let monitor = app.monitored_service("Checkout", "generic").await;
    let owned = app
        .api(
            Method::PATCH,
            &format!("/api/v1/services/{}", monitor.service_id),
            Some(&app.admin_token),
            Some(json!({"team_id": team})),
        )
        .await;
    assert_eq!(owned.status, StatusCode::OK, "{owned:?}");
    let tiers = json!({"template": "tiers", "name": "Checkout", "time_zone": "Europe/London", "start": "2026-11-23",
        "participants": [grace.id], "secondary": [grace.id], "tickets": [grace.id], "service_id": monitor.service_id,
        "team_id": team});
    let created = app.post("/api/v1/schedules/from-template", &app.admin_token, tiers).await;
    let primary = created.body[0]["id"].as_str().expect("the primary schedule").to_owned();
    let policy = json!({"name": "Checkout", "steps": [{"escalate_after_minutes": 10, "targets": [{"kind": "tier", "tier": "primary"}]}]});
    let policy = app.post("/api/v1/escalation-policies", &app.admin_token, policy).await;
    let escalation = json!({"escalation_policy_id": policy.body["id"]});
    let path = format!("/api/v1/services/{}/escalation", monitor.service_id);
    app.api(Method::PUT, &path, Some(&app.admin_token), Some(escalation)).await;
    (grace, monitor, primary, team)
}

async fn declare(app: &TestApp, who: &Person, title: &str) {
    let report =
        json!({"title": title, "severity": "sev3", "problem_report": {"expected": "ok", "actual": "not"}});
    assert_eq!(app.post("/api/v1/incidents", &who.token, report).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_shift_counts_its_pages_interruptions_tickets_and_incidents_against_the_budget() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start(0).await;
    let (grace, monitor, primary, _) = grace_on_call(&app, &receiver).await;

    // 09:00 two pages half a minute apart: one interruption.
    app.trigger(&monitor, "Checkout 5xx").await;
    app.escalate().await;
    app.advance(SignedDuration::from_secs(30));
    let disk = app.trigger(&monitor, "Disk 91% full").await;
    app.escalate().await;
    // 10:00 the disk alert is handled as a ticket; three incidents follow.
    app.advance(SignedDuration::from_mins(59) + SignedDuration::from_secs(30));
    let marked = app.post(&format!("/api/v1/alerts/{disk}/ticket-work"), &grace.token, json!({})).await;
    assert_eq!(marked.status, StatusCode::NO_CONTENT, "{marked:?}");
    for title in ["Checkout failing", "Search slow", "Login loop"] {
        declare(&app, &grace, title).await;
        app.advance(SignedDuration::from_hours(1));
    }
    let query = format!(
        "/api/v1/reports/load?schedule={primary}&from=2026-11-23T00:00:00Z&until=2026-11-24T00:00:00Z"
    );
    let report = app.get(&query, &app.admin_token).await;
    assert_eq!(report.status, StatusCode::OK, "{report:?}");
    let shift = &report.body["shifts"][0];
    assert_eq!(shift["name"], "Grace");
    assert_eq!(
        (shift["pages"].clone(), shift["interruptions"].clone(), shift["tickets"].clone()),
        (json!(2), json!(1), json!(1))
    );
    assert_eq!(shift["incidents"], json!([1, 2, 3]));
    // The office-hours shift began at 09:00 and is cut at now, 13:00: four hours absorb 0.67
    // incidents; each open incident counts its six hours.
    assert_eq!(
        (shift["start"].clone(), shift["end"].clone()),
        (json!("2026-11-23T09:00:00Z"), json!("2026-11-23T13:00:00Z"))
    );
    assert_eq!(
        (shift["incident_budget"].clone(), shift["incident_minutes"].clone()),
        (json!(0.67), json!(1080))
    );
    assert_eq!(shift["over_budget"], true, "{shift}");
    let person = &report.body["people"][0];
    assert_eq!((person["name"].clone(), person["shifts_over_budget"].clone()), (json!("Grace"), json!(1)));

    assert_eq!(report.body["advice"], json!([]), "one day says nothing about a service");
    let by_hour: Vec<u64> = report.body["pages_by_hour"]
        .as_array()
        .expect("24 hours")
        .iter()
        .filter_map(|n| n.as_u64())
        .collect();
    assert_eq!(
        (by_hour.len(), by_hour[9], by_hour.iter().sum::<u64>()),
        (24, 2, 2),
        "both pages at 09:00 London: {by_hour:?}"
    );
    let month = format!(
        "/api/v1/reports/load?schedule={primary}&from=2026-10-27T00:00:00Z&until=2026-11-24T00:00:00Z"
    );
    let month = app.get(&month, &app.admin_token).await.body;
    assert_eq!(month["advice"][0]["kind"], "product_team", "{month}");
    assert_eq!(month["advice"][0]["because"], "0 incident(s) and 2 page(s) in 28 days.");
    let csv = app.get_csv(&format!("{query}&format=csv"), &app.admin_token).await;
    assert!(csv.starts_with("person,start,end,pages,interruptions") && csv.contains("Grace,"), "{csv}");
    assert!(csv.contains(",2,1,") && csv.contains(",1 2 3,") && csv.trim_end().ends_with("true"), "{csv}");
    let people = app.get_csv(&format!("{query}&format=csv&table=people"), &app.admin_token).await;
    assert!(
        people.starts_with("person,shifts,on_call_hours,pages") && people.contains("\nGrace,1,"),
        "{people}"
    );
    let hours = app.get_csv(&format!("{query}&format=csv&table=pages_by_hour"), &app.admin_token).await;
    assert!(hours.contains("\n09:00,2,"), "{hours}");
    let wrong = app.get(&format!("{query}&format=xml"), &app.admin_token).await;
    assert_eq!(wrong.fields(), ["format"]);
    let wrong = app.get(&format!("{query}&format=csv&table=everything"), &app.admin_token).await;
    assert_eq!((wrong.status, wrong.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["table"]));
    let browser = app.sign_in(&grace.email).await;
    let page =
        browser.get(&format!("/reports/load?schedule={primary}&from=2026-11-23&until=2026-11-23")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Checkout primary: 1 shifts, 1 over budget"), "{}", page.text);
    assert!(
        page.text.contains("<svg") && page.text.contains("#c0392b"),
        "the over-budget shift is drawn red"
    );
    assert!(page.text.contains("format=csv"), "the CSV is linked");
    assert!(
        page.text.contains("Pages by hour of the day") && page.text.contains("09:00: 2 page(s)"),
        "{}",
        page.text
    );
    let bad_day = browser.get(&format!("/reports/load?schedule={primary}&from=someday")).await;
    assert_eq!(bad_day.status, StatusCode::UNPROCESSABLE_ENTITY);
    let alert_page = browser.get(&format!("/alerts/{disk}")).await.text;
    assert!(alert_page.contains("Handled as ticket work") && alert_page.contains("Was this page useful?"));
    let judged = browser
        .submit(&format!("/alerts/{disk}"), &format!("/alerts/{disk}/useful"), &[("useful", "no")])
        .await;
    assert_eq!(judged.location.as_deref(), Some(format!("/alerts/{disk}?done=page-judged").as_str()));
    let backwards = app
        .get(
            &format!(
                "/api/v1/reports/load?schedule={primary}&from=2026-11-24T00:00:00Z&until=2026-11-23T00:00:00Z"
            ),
            &app.admin_token,
        )
        .await;
    assert_eq!(backwards.fields(), ["from"]);
}

#[tokio::test]
async fn the_toil_report_ranks_noisy_alerts_and_counts_the_response() {
    let app = TestApp::spawn().await;
    let grace = app.person("Grace", Role::Responder).await;
    let monitor = app.monitored_service("Checkout", "generic").await;
    // The disk alert opens three times, each acknowledged and resolved; one of them gets a note.
    for round in 0..3 {
        let disk = app.trigger(&monitor, "Disk 91% full").await;
        app.advance(SignedDuration::from_mins(4));
        app.post(&format!("/api/v1/alerts/{disk}/acknowledge"), &grace.token, json!({})).await;
        if round == 2 {
            app.post(
                &format!("/api/v1/alerts/{disk}/notes"),
                &grace.token,
                json!({"text": "grew the volume"}),
            )
            .await;
        }
        app.advance(SignedDuration::from_mins(26));
        app.post(&format!("/api/v1/alerts/{disk}/resolve"), &grace.token, json!({})).await;
    }
    let five_xx = app.trigger(&monitor, "Checkout 5xx").await;
    for (who, useful) in [(&grace, false), (&grace, true)] {
        let voted = app
            .post(&format!("/api/v1/alerts/{five_xx}/useful"), &who.token, json!({"useful": useful}))
            .await;
        assert_eq!(voted.status, StatusCode::NO_CONTENT, "{voted:?}");
    }
    let nobody = app.post("/api/v1/alerts/no-such-alert/useful", &grace.token, json!({"useful": true})).await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
    let toil = app
        .get("/api/v1/reports/toil?from=2026-11-23T00:00:00Z&until=2026-11-24T00:00:00Z", &grace.token)
        .await;
    assert_eq!(toil.status, StatusCode::OK, "{toil:?}");
    let top = &toil.body["noisiest"][0];
    assert_eq!(
        (top["summary"].clone(), top["opened"].clone(), top["without_action"].clone()),
        (json!("Disk 91% full"), json!(3), json!(2))
    );
    assert_eq!(toil.body["without_action"], 2);
    let five_xx = toil.body["noisiest"]
        .as_array()
        .and_then(|n| n.iter().find(|k| k["summary"] == "Checkout 5xx"))
        .expect("5xx");
    assert_eq!(
        (five_xx["useful_votes"].clone(), five_xx["useless_votes"].clone()),
        (json!(1), json!(0)),
        "answering again changes it"
    );
    let responses = toil.body["responses"].as_array().expect("responses");
    assert_eq!(responses.len(), 1, "one service, one priority: {responses:?}");
    let checkout = &responses[0];
    // Four alerts: the disk alert's three, acknowledged after 4 minutes and resolved after 30,
    // and the open 5xx alert, which counts in neither mean.
    assert_eq!(checkout["alerts"], 4);
    assert_eq!(
        (checkout["mtta_minutes"].clone(), checkout["mttr_minutes"].clone()),
        (json!(4.0), json!(30.0)),
        "{checkout}"
    );
    let csv = app.get_csv("/api/v1/reports/toil?format=csv", &grace.token).await;
    assert!(
        csv.starts_with(
            "service,dedup_key,summary,opened,pages,off_hours_pages,without_action,useful,not_useful"
        ) && csv.contains("Disk 91% full,3,"),
        "{csv}"
    );
    let weekly = app.get_csv(
            "/api/v1/reports/toil?format=csv&table=weekly&from=2026-11-23T00:00:00Z&until=2026-11-24T00:00:00Z",
            &grace.token,
        ).await;
    assert!(weekly.starts_with("week,alerts,mtta_minutes,mttr_minutes\n2026-11-23,4,4.0,30.0"), "{weekly}");
    let page =
        app.sign_in(&grace.email).await.get("/reports/toil?from=2026-11-23&until=2026-11-23").await.text;
    assert!(
        page.contains("Noisiest alerts") && page.contains("Disk 91% full") && page.contains("30.0"),
        "{page}"
    );

    // A week later one more alert, acknowledged after ten minutes: a second point on the trend.
    app.advance(SignedDuration::from_hours(24 * 7));
    let cache = app.trigger(&monitor, "Cache hit ratio low").await;
    app.advance(SignedDuration::from_mins(10));
    app.post(&format!("/api/v1/alerts/{cache}/acknowledge"), &grace.token, json!({})).await;
    let two_weeks = app
        .get("/api/v1/reports/toil?from=2026-11-23T00:00:00Z&until=2026-12-07T00:00:00Z", &grace.token)
        .await
        .body;
    let weeks: Vec<(String, u64, f64)> = two_weeks["weekly"]
        .as_array()
        .expect("weeks")
        .iter()
        .map(|w| {
            (
                w["week"].as_str().unwrap_or("").to_owned(),
                w["alerts"].as_u64().unwrap_or(0),
                w["mtta_minutes"].as_f64().unwrap_or(0.0),
            )
        })
        .collect();
    assert_eq!(weeks, [("2026-11-23".to_owned(), 4, 4.0), ("2026-11-30".to_owned(), 1, 10.0)]);
    let page =
        app.sign_in(&grace.email).await.get("/reports/toil?from=2026-11-23&until=2026-12-06").await.text;
    assert!(page.contains("<polyline") && page.contains("Week by week"), "{page}");
}

#[tokio::test]
async fn a_rotation_consistently_over_its_load_budget_proposes_ops_mode_for_its_service() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start(0).await;
    let (grace, monitor, _, _) = grace_on_call(&app, &receiver).await;
    let ops_mode = format!("/api/v1/services/{}/ops-mode", monitor.service_id);
    // Monday to Thursday, two incidents in each of the secondary's 09:00–17:00 shifts, whose
    // budget is 1.33. Grace alone on the round-the-clock primary has one long shift, which is
    // not enough shifts to call it consistent.
    for day in 0..4 {
        declare(&app, &grace, &format!("Day {day}: checkout failing")).await;
        app.advance(SignedDuration::from_hours(1));
        if day < 3 {
            assert_eq!(
                app.get(&ops_mode, &grace.token).await.body["proposal"],
                serde_json::Value::Null,
                "day {day}"
            );
        }
        declare(&app, &grace, &format!("Day {day}: search slow")).await;
        app.advance(SignedDuration::from_hours(23));
    }
    let proposal = app.get(&ops_mode, &grace.token).await.body;
    let proposal = proposal["proposal"].as_str().unwrap_or("").to_owned();
    let secondary = "the load budget of Checkout secondary is exhausted: 4 of 4 shifts were over budget: 8 incidents against a budget of 5.3";
    assert!(proposal.contains(secondary), "{proposal}");
    assert!(!proposal.contains("Checkout primary"), "{proposal}");
}

/// Rotation sizing for a team from its schedule's load: a calm month fits a primary alone (four
/// people, three more than Grace), and a frantic half-day fits no design.
#[tokio::test]
async fn rotation_sizing_counts_the_people_each_design_needs_for_the_teams_load() {
    let app = TestApp::spawn().await;
    let grace = app.person("Grace", Role::Responder).await;
    let cy = app.person("Cy", Role::Responder).await;
    let team = app.create_team(&app.admin_token, "Checkout SRE").await;
    let team = team["id"].as_str().expect("team id").to_owned();
    let weekly = json!({"template": "weekly", "name": "Checkout weekly", "time_zone": "Europe/London",
        "start": "2026-11-23", "participants": [grace.id, cy.id]});
    let created = app.post("/api/v1/schedules/from-template", &app.admin_token, weekly).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let schedule = created.body[0]["id"].as_str().expect("the schedule").to_owned();
    let unowned = app.get(&format!("/api/v1/reports/sizing?team={team}"), &grace.token).await.body;
    assert_eq!(unowned["rotations"], json!([]), "the team owns no schedule yet");
    // Giving the schedule to the team: refused to a stakeholder and for an unknown team.
    let give = format!("/api/v1/schedules/{schedule}/team");
    let viewer = app.person("Morgan", Role::Stakeholder).await;
    let refused = app.api(Method::PUT, &give, Some(&viewer.token), Some(json!({"team_id": team}))).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let unknown = app.api(Method::PUT, &give, Some(&app.admin_token), Some(json!({"team_id": "nope"}))).await;
    assert_eq!((unknown.status, unknown.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["team_id"]));
    let given = app.api(Method::PUT, &give, Some(&app.admin_token), Some(json!({"team_id": team}))).await;
    assert_eq!((given.status, given.body["team_id"].as_str()), (StatusCode::OK, Some(team.as_str())));
    // From 15:00 Grace declares an incident an hour for four hours; each costs six hours.
    app.advance(SignedDuration::from_hours(6));
    for n in 0..4 {
        declare(&app, &grace, &format!("Incident {n}")).await;
        app.advance(SignedDuration::from_hours(1));
    }
    app.advance(SignedDuration::from_hours(2));
    let month = format!("/api/v1/reports/sizing?team={team}&from=2026-10-26T21:00:00Z");
    let month = app.get(&month, &grace.token).await;
    assert_eq!(month.status, StatusCode::OK, "{month:?}");
    let rotation = &month.body["rotations"][0];
    assert_eq!(rotation["schedule_name"], "Checkout weekly");
    assert_eq!(rotation["people_now"], json!(["Grace"]));
    assert_eq!(
        rotation["demand"],
        json!({"days": 28.0, "incidents": 4, "incident_hours": 24.0, "tickets": 0}),
        "{rotation}"
    );
    let designs: Vec<(String, bool, u64)> = rotation["designs"]
        .as_array()
        .expect("designs")
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap_or("").to_owned(),
                d["absorbs"] == true,
                d["people"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(designs[0], ("Primary".to_owned(), true, 4), "{designs:?}");
    assert_eq!(
        (rotation["recommended"].clone(), rotation["more_people_needed"].clone()),
        (json!("Primary"), json!(3))
    );
    // Four incidents in the twelve hours since 09:00: 48 hours of work a day.
    let frantic = format!("/api/v1/reports/sizing?team={team}&from=2026-11-23T09:00:00Z");
    let frantic = app.get(&frantic, &grace.token).await.body;
    assert_eq!(frantic["rotations"][0]["demand"]["days"], 0.5);
    assert_eq!(frantic["rotations"][0]["recommended"], serde_json::Value::Null, "{frantic}");
    assert!(
        frantic["rotations"][0]["designs"].as_array().expect("designs").iter().all(|d| d["absorbs"] == false)
    );

    let csv = format!("/api/v1/reports/sizing?team={team}&from=2026-10-26T21:00:00Z&format=csv");
    let csv = app.get_csv(&csv, &grace.token).await;
    assert!(csv.starts_with("schedule,people_now,design,absorbs,people,ops_share"), "{csv}");
    assert!(csv.contains("\nCheckout weekly,1,Primary,true,4,0.25,12,0.86,true\n"), "{csv}");
    let nobody = app.get("/api/v1/reports/sizing?team=no-such-team", &grace.token).await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
    let anonymous = app.api(Method::GET, &format!("/api/v1/reports/sizing?team={team}"), None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let page =
        app.sign_in(&grace.email).await.get(&format!("/reports/sizing?team={team}&from=2026-10-27")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("Checkout weekly")
            && page.text.contains("the rotation needs <strong>3 more</strong>"),
        "{}",
        page.text
    );
}

/// The weekly hand-off report of a team: the week's shifts with their load, who is on call next,
/// the week's incidents, what is still open on the team's services and the noisiest alerts.
#[tokio::test]
async fn the_weekly_handoff_report_tells_the_next_person_what_the_week_held_and_what_is_open() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start(0).await;
    let (grace, monitor, _, team) = grace_on_call(&app, &receiver).await;
    // Monday 09:00: a page Grace acknowledges and resolves, and one left open; an incident.
    let disk = app.trigger(&monitor, "Disk 91% full").await;
    app.escalate().await;
    app.post(&format!("/api/v1/alerts/{disk}/acknowledge"), &grace.token, json!({})).await;
    app.post(&format!("/api/v1/alerts/{disk}/resolve"), &grace.token, json!({})).await;
    app.advance(SignedDuration::from_mins(5));
    app.trigger(&monitor, "Checkout 5xx").await;
    app.escalate().await;
    declare(&app, &grace, "Checkout failing").await;
    app.advance(SignedDuration::from_hours(24 * 3));
    let report = app.get(&format!("/api/v1/reports/handoff?team={team}"), &grace.token).await;
    assert_eq!(report.status, StatusCode::OK, "{report:?}");
    let r = &report.body;
    assert_eq!(r["team_name"], "Checkout SRE");
    let primary = r["rotations"]
        .as_array()
        .and_then(|all| all.iter().find(|x| x["schedule_name"] == "Checkout primary"))
        .expect("the primary rotation");
    assert_eq!(primary["shifts"][0]["pages"], 2, "{primary}");
    assert_eq!(primary["shifts"][0]["incidents"], json!([1]));
    assert_eq!(primary["next"][0]["name"], "Grace", "Grace is on call in the week ahead too");
    assert_eq!(r["incidents"][0]["title"], "Checkout failing");
    assert_eq!(r["open_incidents"][0]["number"], 1);
    let open: Vec<&str> =
        r["open_alerts"].as_array().expect("open").iter().filter_map(|a| a["summary"].as_str()).collect();
    assert_eq!(open, ["Checkout 5xx"], "the resolved disk alert is not open");
    assert_eq!(r["noisiest"].as_array().map(Vec::len), Some(2));
    let last_week =
        format!("/api/v1/reports/handoff?team={team}&from=2026-11-16T00:00:00Z&until=2026-11-23T00:00:00Z");
    let last_week = app.get(&last_week, &grace.token).await.body;
    assert_eq!(last_week["incidents"], json!([]), "the window is the report's");
    assert_eq!(last_week["open_alerts"].as_array().map(Vec::len), Some(1), "what is open is open now");

    let csv = format!("/api/v1/reports/handoff?team={team}&format=csv&table=open_alerts");
    let csv = app.get_csv(&csv, &grace.token).await;
    assert!(
        csv.starts_with("id,service,summary,status,first_seen_at\n")
            && csv.contains(",Checkout,Checkout 5xx,triggered,"),
        "{csv}"
    );
    let shifts = app.get_csv(&format!("/api/v1/reports/handoff?team={team}&format=csv"), &grace.token).await;
    assert!(shifts.contains("\nCheckout primary,Grace,"), "{shifts}");
    let nobody = app.get("/api/v1/reports/handoff?team=nope", &grace.token).await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
    let anonymous = app.api(Method::GET, &format!("/api/v1/reports/handoff?team={team}"), None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let browser = app.sign_in(&grace.email).await;
    let page = browser.get(&format!("/reports/handoff?team={team}")).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in
        ["Checkout primary: 1 shifts", "On call next:", "Still open", "Checkout 5xx", "1: Checkout failing"]
    {
        assert!(page.text.contains(text), "{text} missing: {}", page.text);
    }
    let team_page = browser.get(&format!("/teams/{team}")).await.text;
    assert!(
        team_page.contains(&format!("/reports/handoff?team={team}")),
        "the team page links its hand-off report"
    );
}
