//! Schedules and on-call questions through the API.

use muster_core::user::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{NowForTests, Person, TestApp};

fn names(on_call: &Value) -> Vec<&str> {
    on_call.as_array().map(|a| a.iter().filter_map(|o| o["name"].as_str()).collect()).unwrap_or_default()
}

async fn people(app: &TestApp, names: &[&str]) -> Vec<Person> {
    let mut people = Vec::new();
    for name in names {
        people.push(app.person(name, Role::Responder).await);
    }
    people
}

fn ids(people: &[Person]) -> Vec<&str> {
    people.iter().map(|p| p.id.as_str()).collect()
}

#[tokio::test]
async fn the_tiers_template_serves_a_service_hour_by_hour() {
    let app = TestApp::spawn().await;
    let crew = people(&app, &["Ada", "Bo", "Sam", "Kay"]).await;
    let service = app.create_service(&app.admin_token, "Checkout", None).await;
    let service_id = service["id"].as_str().expect("id");
    let body = json!({
        "template": "tiers", "name": "Checkout", "time_zone": "Europe/London", "start": "2026-11-23",
        "participants": ids(&crew[..2]), "secondary": [crew[2].id], "tickets": [crew[3].id], "service_id": service_id,
    });
    let created = app.post("/api/v1/schedules/from-template", &app.admin_token, body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let schedule_names: Vec<_> =
        created.body.as_array().expect("list").iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(schedule_names, ["Checkout primary", "Checkout secondary", "Checkout tickets"]);

    let tuesday_office = app
        .get(&format!("/api/v1/services/{service_id}/oncall?at=2026-11-24T10:00:00Z"), &app.admin_token)
        .await;
    let tiers: Vec<_> = tuesday_office.body["schedules"]
        .as_array()
        .expect("tiers")
        .iter()
        .map(|s| (s["tier"].as_str().unwrap_or(""), names(&s["on_call"])))
        .collect();
    assert_eq!(tiers, [("primary", vec!["Ada"]), ("secondary", vec!["Sam"]), ("tickets", vec!["Kay"])]);
    let evening = app
        .get(&format!("/api/v1/services/{service_id}/oncall?at=2026-11-24T20:00:00Z"), &app.admin_token)
        .await;
    let on_call: Vec<_> = evening.body["schedules"]
        .as_array()
        .expect("tiers")
        .iter()
        .map(|s| names(&s["on_call"]).len())
        .collect();
    assert_eq!(on_call, [1, 0, 0], "only the primary is on call outside office hours");
    let next_week = app
        .get(&format!("/api/v1/services/{service_id}/oncall?at=2026-11-30T10:00:00Z"), &app.admin_token)
        .await;
    assert_eq!(
        names(&next_week.body["schedules"][0]["on_call"]),
        ["Bo"],
        "the primary hands over on Monday at 09:00"
    );
}

async fn follow_the_sun(app: &TestApp, crew: &[Person]) -> String {
    let body = json!({
        "name": "Split primary", "time_zone": "Europe/London",
        "rotations": [
            {"name": "London", "start": "2026-11-23T09:00", "shift_length": {"unit": "weeks", "count": 1}, "participants": ids(&crew[..2])},
            {"name": "Los Angeles", "time_zone": "America/Los_Angeles", "start": "2026-11-23T09:00",
             "shift_length": {"unit": "weeks", "count": 1}, "participants": ids(&crew[2..])},
        ],
        "rules": [
            {"rotation": 0, "start": "06:00", "end": "18:00"},
            {"rotation": 1, "start": "18:00", "end": "06:00"},
        ],
    });
    let created = app.post("/api/v1/schedules", &app.admin_token, body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    created.body["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn a_custom_schedule_answers_who_is_on_call_and_lists_shifts() {
    let app = TestApp::spawn().await;
    let crew = people(&app, &["Lou", "Liz", "Pat", "Pia"]).await;
    let id = follow_the_sun(&app, &crew).await;
    let day =
        app.get(&format!("/api/v1/schedules/{id}/oncall?at=2026-11-24T12:00:00Z"), &app.admin_token).await;
    let on_call = &day.body["schedules"][0]["on_call"][0];
    assert_eq!(
        (on_call["name"].as_str(), on_call["source"]["kind"].as_str(), on_call["source"]["rule"].as_u64()),
        (Some("Lou"), Some("rotation"), Some(0))
    );
    let night =
        app.get(&format!("/api/v1/schedules/{id}/oncall?at=2026-11-24T22:00:00Z"), &app.admin_token).await;
    assert_eq!(names(&night.body["schedules"][0]["on_call"]), ["Pat"]);

    let shifts = app
        .get(
            &format!("/api/v1/schedules/{id}/shifts?from=2026-11-24T00:00:00Z&until=2026-11-25T00:00:00Z"),
            &app.admin_token,
        )
        .await;
    let summary: Vec<_> = shifts
        .body
        .as_array()
        .expect("shifts")
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap_or(""),
                s["start"].as_str().unwrap_or(""),
                s["end"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("Pat", "2026-11-24T00:00:00Z", "2026-11-24T06:00:00Z"),
            ("Lou", "2026-11-24T06:00:00Z", "2026-11-24T18:00:00Z"),
            ("Pat", "2026-11-24T18:00:00Z", "2026-11-25T00:00:00Z"),
        ]
    );
    let everyone = app.get("/api/v1/oncall?at=2026-11-24T12:00:00Z", &app.admin_token).await;
    assert_eq!(everyone.body["schedules"].as_array().map(Vec::len), Some(1));
    let mine = app
        .get("/api/v1/users/me/shifts?from=2026-11-24T00:00:00Z&until=2026-11-26T00:00:00Z", &crew[0].token)
        .await;
    assert_eq!(mine.body.as_array().map(Vec::len), Some(2), "Lou's two day shifts: {:?}", mine.body);
}

#[tokio::test]
async fn bad_schedules_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let crew = people(&app, &["Ann"]).await;
    let rotation = |start: &str, participants: Vec<&str>| json!({"name": "r", "start": start, "shift_length": {"unit": "days", "count": 1}, "participants": participants});
    let cases = [
        (
            json!({"name": "S", "time_zone": "Mars/Base", "rotations": [], "rules": [{"user_id": crew[0].id}]}),
            "time_zone",
        ),
        (
            json!({"name": "S", "time_zone": "UTC", "rotations": [rotation("tomorrow", vec![&crew[0].id])], "rules": []}),
            "rotations[0].start",
        ),
        (
            json!({"name": "S", "time_zone": "UTC", "rotations": [rotation("2026-11-23T09:00", vec![])], "rules": []}),
            "rotations[0].participants",
        ),
        (
            json!({"name": "S", "time_zone": "UTC", "rotations": [], "rules": [{"user_id": crew[0].id, "start": "09:00", "end": "09:00"}]}),
            "rules[0].end",
        ),
        (
            json!({"name": "S", "time_zone": "UTC", "rotations": [], "rules": [{"rotation": 3}]}),
            "rules[0].rotation",
        ),
        (
            json!({"name": "S", "time_zone": "UTC", "rotations": [], "rules": [{"user_id": crew[0].id, "weekdays": ["funday"]}]}),
            "rules[0].weekdays",
        ),
        (
            json!({"name": "S", "time_zone": "UTC", "rotations": [rotation("2026-11-23T09:00", vec!["nobody"])], "rules": []}),
            "participants",
        ),
        (json!({"name": "S", "time_zone": "UTC", "rotations": [], "rules": []}), "rules"),
    ];
    for (body, field) in cases {
        let reply = app.post("/api/v1/schedules", &app.admin_token, body.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {reply:?}");
        assert_eq!(reply.fields(), [field], "{body}");
    }
    let empty = app.get("/api/v1/schedules", &app.admin_token).await;
    assert_eq!(empty.body["items"].as_array().map(Vec::len), Some(0), "nothing was written");
    let bad_at = app.get("/api/v1/oncall?at=yesterday", &app.admin_token).await;
    assert_eq!((bad_at.status, bad_at.fields()), (StatusCode::BAD_REQUEST, vec!["at"]));
    let backwards = app
        .get("/api/v1/users/me/shifts?from=2026-11-24T00:00:00Z&until=2026-11-23T00:00:00Z", &app.admin_token)
        .await;
    assert_eq!(backwards.fields(), ["until"]);
    let too_long = app
        .get("/api/v1/users/me/shifts?from=2026-01-01T00:00:00Z&until=2028-01-01T00:00:00Z", &app.admin_token)
        .await;
    assert_eq!(too_long.fields(), ["until"]);
}

#[tokio::test]
async fn overrides_cover_a_shift_and_are_refused_when_they_make_no_sense() {
    let app = TestApp::spawn().await;
    let crew = people(&app, &["Lou", "Liz", "Pat", "Pia", "Cy"]).await;
    let id = follow_the_sun(&app, &crew[..4]).await;
    let path = format!("/api/v1/schedules/{id}/overrides");
    let cover = json!({"kind": "replace", "person_id": crew[0].id, "cover_id": crew[4].id,
                       "start": "2026-11-24T10:00:00Z", "end": "2026-11-24T14:00:00Z"});
    let created = app.post(&path, &app.admin_token, cover.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let at_noon =
        app.get(&format!("/api/v1/schedules/{id}/oncall?at=2026-11-24T12:00:00Z"), &app.admin_token).await;
    let on_call = &at_noon.body["schedules"][0]["on_call"][0];
    assert_eq!(
        (on_call["name"].as_str(), on_call["source"]["kind"].as_str()),
        (Some("Cy"), Some("override"))
    );

    assert_eq!(
        app.post(&path, &app.admin_token, cover).await.fields(),
        ["start"],
        "overlaps the same person"
    );
    let off_duty = json!({"kind": "remove", "person_id": crew[0].id, "start": "2026-11-24T20:00:00Z", "end": "2026-11-24T21:00:00Z"});
    assert_eq!(
        app.post(&path, &app.admin_token, off_duty).await.fields(),
        ["start"],
        "Lou is not on call at night"
    );
    let no_cover = json!({"kind": "replace", "person_id": crew[0].id, "start": "2026-11-25T10:00:00Z", "end": "2026-11-25T11:00:00Z"});
    assert_eq!(app.post(&path, &app.admin_token, no_cover).await.fields(), ["cover_id"]);

    let override_id = created.body["id"].as_str().expect("id");
    let removed =
        app.api(Method::DELETE, &format!("{path}/{override_id}"), Some(&app.admin_token), None).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let back =
        app.get(&format!("/api/v1/schedules/{id}/oncall?at=2026-11-24T12:00:00Z"), &app.admin_token).await;
    assert_eq!(names(&back.body["schedules"][0]["on_call"]), ["Lou"]);
}

#[tokio::test]
async fn a_rotation_is_reordered_from_its_next_shift() {
    let app = TestApp::spawn().await;
    let crew = people(&app, &["Lou", "Liz", "Pat", "Pia"]).await;
    let id = follow_the_sun(&app, &crew).await;
    let schedule = app.get(&format!("/api/v1/schedules/{id}"), &app.admin_token).await;
    let london = schedule.body["rotations"][0]["id"].as_str().expect("rotation id");
    let path = format!("/api/v1/schedules/{id}/rotations/{london}/participants");
    // Monday 2026-11-23 10:00 UTC: Lou's first shift began an hour ago.
    app.advance(jiff::SignedDuration::from_hours(1));
    let reply = app
        .api(
            Method::PUT,
            &path,
            Some(&app.admin_token),
            Some(json!({"participants": [crew[1].id, crew[0].id]})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let this_week =
        app.get(&format!("/api/v1/schedules/{id}/oncall?at=2026-11-24T12:00:00Z"), &app.admin_token).await;
    assert_eq!(
        names(&this_week.body["schedules"][0]["on_call"]),
        ["Lou"],
        "the shift under way keeps its person"
    );
    let next_week =
        app.get(&format!("/api/v1/schedules/{id}/oncall?at=2026-12-01T12:00:00Z"), &app.admin_token).await;
    assert_eq!(names(&next_week.body["schedules"][0]["on_call"]), ["Liz"]);
    let empty = app.api(Method::PUT, &path, Some(&app.admin_token), Some(json!({"participants": []}))).await;
    assert_eq!(empty.fields(), ["participants"]);
}

#[tokio::test]
async fn stakeholders_read_schedules_but_do_not_change_them() {
    let app = TestApp::spawn().await;
    let crew = people(&app, &["Lou", "Liz", "Pat", "Pia"]).await;
    let id = follow_the_sun(&app, &crew).await;
    let morgan = app.person("Morgan", Role::Stakeholder).await;
    assert_eq!(
        app.get(&format!("/api/v1/schedules/{id}/oncall"), &morgan.token).await.status,
        StatusCode::OK
    );
    let body = json!({"template": "weekly", "name": "Mine", "time_zone": "UTC", "start": "2026-11-23", "participants": [morgan.id]});
    assert_eq!(
        app.post("/api/v1/schedules/from-template", &morgan.token, body).await.status,
        StatusCode::FORBIDDEN
    );
    let override_body = json!({"kind": "add", "person_id": morgan.id, "start": "2026-11-24T10:00:00Z", "end": "2026-11-24T11:00:00Z"});
    assert_eq!(
        app.post(&format!("/api/v1/schedules/{id}/overrides"), &morgan.token, override_body).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.api(Method::DELETE, &format!("/api/v1/schedules/{id}"), Some(&morgan.token), None).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_responder_takes_the_pager_until_the_shift_ends() {
    let app = TestApp::spawn().await;
    let crew = people(&app, &["Lou", "Liz", "Pat", "Pia", "Cy"]).await;
    let id = follow_the_sun(&app, &crew[..4]).await;
    app.advance(jiff::SignedDuration::from_hours(1));
    let taken = app.post(&format!("/api/v1/schedules/{id}/take"), &crew[4].token, json!({})).await;
    assert_eq!(taken.status, StatusCode::CREATED, "{taken:?}");
    assert_eq!(
        (taken.body["kind"].as_str(), taken.body["person_id"].as_str()),
        (Some("replace"), Some(crew[0].id.as_str()))
    );
    assert_eq!(taken.body["end"], "2026-11-23T18:00:00Z", "until Lou's day shift ends");
    let now = app.get(&format!("/api/v1/schedules/{id}/oncall"), &app.admin_token).await;
    assert_eq!(names(&now.body["schedules"][0]["on_call"]), ["Cy"]);
    let again = app.post(&format!("/api/v1/schedules/{id}/take"), &crew[4].token, json!({})).await;
    assert_eq!(
        (again.status, again.fields()),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["schedule"]),
        "Cy already holds it"
    );
}

#[tokio::test]
async fn a_request_for_cover_is_taken_by_a_colleague() {
    let app = TestApp::spawn().await;
    let crew = people(&app, &["Lou", "Liz", "Pat", "Pia"]).await;
    let id = follow_the_sun(&app, &crew).await;
    let path = format!("/api/v1/schedules/{id}/cover-requests");
    let ask = json!({"start": "2026-11-24T10:00:00Z", "end": "2026-11-24T13:00:00Z", "note": "dentist"});
    let asked = app.post(&path, &crew[0].token, ask.clone()).await;
    assert_eq!(asked.status, StatusCode::CREATED, "{asked:?}");
    assert_eq!(
        (asked.body["requester"].as_str(), asked.body["status"].as_str()),
        (Some("Lou"), Some("open"))
    );
    assert_eq!(app.post(&path, &crew[1].token, ask).await.fields(), ["start"], "Liz is not on call then");

    let request = asked.body["id"].as_str().expect("id");
    let taken = app.post(&format!("{path}/{request}/accept"), &crew[2].token, json!({})).await;
    assert_eq!((taken.status, taken.body["status"].as_str()), (StatusCode::OK, Some("accepted")));
    let at =
        app.get(&format!("/api/v1/schedules/{id}/oncall?at=2026-11-24T11:00:00Z"), &app.admin_token).await;
    assert_eq!(names(&at.body["schedules"][0]["on_call"]), ["Pat"]);
    let again = app.post(&format!("{path}/{request}/accept"), &crew[3].token, json!({})).await;
    assert_eq!((again.status, again.fields()), (StatusCode::CONFLICT, vec!["status"]));

    let other = app
        .post(&path, &crew[0].token, json!({"start": "2026-11-25T10:00:00Z", "end": "2026-11-25T11:00:00Z"}))
        .await;
    let other_id = other.body["id"].as_str().expect("id");
    let not_mine = app.post(&format!("{path}/{other_id}/withdraw"), &crew[1].token, json!({})).await;
    assert_eq!(not_mine.status, StatusCode::FORBIDDEN);
    let withdrawn = app.post(&format!("{path}/{other_id}/withdraw"), &crew[0].token, json!({})).await;
    assert_eq!(withdrawn.body["status"], "withdrawn");
    let listed = app.get(&path, &app.admin_token).await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn handoffs_are_recorded_once_each_as_time_passes() {
    let app = TestApp::spawn().await;
    let crew = people(&app, &["Lou", "Liz", "Pat", "Pia"]).await;
    let id = follow_the_sun(&app, &crew).await;
    let now = || app.clock.now_for_tests();
    app.advance(jiff::SignedDuration::from_hours(24));
    let found = muster_server::handoffs::record_handoffs(&app.store, now()).await.expect("recorded");
    assert_eq!(found, 2, "18:00 Monday and 06:00 Tuesday, London");
    assert_eq!(
        muster_server::handoffs::record_handoffs(&app.store, now()).await.expect("again"),
        0,
        "nothing twice"
    );
    let listed = app.get(&format!("/api/v1/schedules/{id}/handoffs"), &app.admin_token).await;
    let handoffs: Vec<_> = listed
        .body
        .as_array()
        .expect("list")
        .iter()
        .map(|h| {
            (
                h["at"].as_str().unwrap_or(""),
                h["outgoing"][0].as_str().unwrap_or(""),
                h["incoming"][0].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(handoffs, [("2026-11-24T06:00:00Z", "Pat", "Lou"), ("2026-11-23T18:00:00Z", "Lou", "Pat")]);
}
