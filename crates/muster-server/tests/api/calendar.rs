//! iCalendar feeds, read back by an independent RFC 5545 parser.

use std::io::BufReader;

use jiff::{SignedDuration, Timestamp};
use muster_core::user::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, start_of_test};

/// (UID, start, end, summary) of every event, parsed by the `ical` crate.
fn parse(text: &str) -> Vec<(String, Timestamp, Timestamp, String)> {
    let mut calendars = ical::IcalParser::new(BufReader::new(text.as_bytes()));
    let calendar = calendars.next().expect("one calendar").expect("a valid calendar");
    assert!(calendars.next().is_none());
    let utc = |value: &str| -> Timestamp {
        let civil: jiff::civil::DateTime = jiff::fmt::strtime::parse("%Y%m%dT%H%M%SZ", value)
            .and_then(|parsed| parsed.to_datetime())
            .expect("a UTC date-time");
        jiff::tz::TimeZone::UTC.to_timestamp(civil).expect("in range")
    };
    calendar
        .events
        .iter()
        .map(|event| {
            let property = |name: &str| {
                event.properties.iter().find(|p| p.name == name).and_then(|p| p.value.clone()).expect(name)
            };
            (property("UID"), utc(&property("DTSTART")), utc(&property("DTEND")), property("SUMMARY"))
        })
        .collect()
}

#[tokio::test]
async fn feeds_match_the_api_shifts_exactly_and_can_be_revoked() {
    let app = TestApp::spawn().await;
    let mut crew = Vec::new();
    for name in ["Lou", "Liz", "Pat", "Pia"] {
        crew.push(app.person(name, Role::Responder).await);
    }
    let body = json!({
        "name": "Split, primary", "time_zone": "Europe/London",
        "rotations": [
            {"name": "London", "start": "2026-10-19T09:00", "shift_length": {"unit": "weeks", "count": 1}, "participants": [crew[0].id, crew[1].id]},
            {"name": "Los Angeles", "time_zone": "America/Los_Angeles", "start": "2026-10-19T09:00",
             "shift_length": {"unit": "days", "count": 1}, "participants": [crew[2].id, crew[3].id]},
        ],
        "rules": [{"rotation": 0, "start": "06:00", "end": "18:00"}, {"rotation": 1, "start": "18:00", "end": "06:00"}],
    });
    let schedule = app.post("/api/v1/schedules", &app.admin_token, body).await;
    let schedule_id = schedule.body["id"].as_str().expect("id").to_owned();
    let addresses = app.post("/api/v1/users/me/calendar", &crew[0].token, json!({})).await;
    assert_eq!(addresses.status, StatusCode::CREATED);
    let person_feed = addresses.body["person_feed"].as_str().expect("address").to_owned();
    assert!(person_feed.starts_with(&format!("{}/ical/cal_", app.address)));

    let response = reqwest::get(&person_feed).await.expect("feed");
    assert_eq!(response.headers()["content-type"], "text/calendar; charset=utf-8");
    let events = parse(&response.text().await.expect("text"));

    // The feed spans the past 30 days and the next 180, which includes the autumn DST changes.
    let from = start_of_test() - SignedDuration::from_hours(24 * 30);
    let until = start_of_test() + SignedDuration::from_hours(24 * 180);
    let shifts = app
        .get(&format!("/api/v1/users/{}/shifts?from={from}&until={until}", crew[0].id), &crew[0].token)
        .await;
    let expected: Vec<(Timestamp, Timestamp)> = shifts
        .body
        .as_array()
        .expect("shifts")
        .iter()
        .map(|s| {
            (
                s["start"].as_str().expect("start").parse().expect("ts"),
                s["end"].as_str().expect("end").parse().expect("ts"),
            )
        })
        .collect();
    let got: Vec<(Timestamp, Timestamp)> = events.iter().map(|(_, start, end, _)| (*start, *end)).collect();
    assert!(expected.len() > 50, "months of day shifts");
    assert_eq!(got, expected, "the feed's events are the API's shifts");
    // The `ical` crate hands TEXT values over as written, escapes included (RFC 5545 § 3.3.11).
    assert!(
        events.iter().all(|(_, _, _, summary)| summary == r"On call: Split\, primary"),
        "{:?}",
        events[0].3
    );

    let schedule_feed =
        format!("{}{schedule_id}.ics", addresses.body["schedule_feed_prefix"].as_str().expect("prefix"));
    let whole = parse(&reqwest::get(&schedule_feed).await.expect("feed").text().await.expect("text"));
    let again = parse(&reqwest::get(&schedule_feed).await.expect("feed").text().await.expect("text"));
    let uids = |events: &[(String, Timestamp, Timestamp, String)]| {
        events.iter().map(|e| e.0.clone()).collect::<Vec<_>>()
    };
    assert_eq!(uids(&whole), uids(&again), "UIDs are stable between refreshes");
    let unique: std::collections::HashSet<_> = uids(&whole).into_iter().collect();
    assert_eq!(unique.len(), whole.len(), "UIDs are unique");
    assert!(whole.iter().any(|e| e.3 == "Pat on call") && whole.iter().any(|e| e.3 == "Lou on call"));

    let revoked = app.api(Method::DELETE, "/api/v1/users/me/calendar", Some(&crew[0].token), None).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(reqwest::get(&person_feed).await.expect("reply").status(), StatusCode::NOT_FOUND);
    assert_eq!(
        reqwest::get(format!("{}/ical/cal_guess/me.ics", app.address)).await.expect("reply").status(),
        StatusCode::NOT_FOUND
    );
}
