//! Postmortems over the API: drafted when a required incident resolves, the blameless check
//! before review, review and publish, read-only after, search and export.

use muster_core::user::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{NowForTests, Person, TestApp};

/// A customer-facing incident run by Ada through every stage and resolved.
async fn resolved_incident(app: &TestApp, ada: &Person) {
    app.incident_ready_to_resolve(ada).await;
    let resolved = app.post("/api/v1/incidents/1/state", &ada.token, json!({"state": "resolved"})).await;
    assert_eq!(resolved.status, StatusCode::OK, "{resolved:?}");
}

#[tokio::test]
async fn a_required_postmortem_is_drafted_checked_reviewed_published_and_found() {
    let app = TestApp::spawn().await;
    let ada = app.person("Ada", Role::Responder).await;
    let cy = app.person("Cy", Role::Responder).await;
    resolved_incident(&app, &ada).await;

    let view = app.get("/api/v1/postmortems/1", &ada.token).await;
    assert_eq!(view.status, StatusCode::OK, "the draft exists as soon as the incident resolved: {view:?}");
    let pm = view.body;
    assert_eq!(pm["status"], "draft");
    assert_eq!(pm["requirement"]["required"], true);
    assert_eq!(pm["requirement"]["reasons"][0]["reason"], "customer_facing");
    assert!(pm["requirement"]["due_at"].is_string());
    assert_eq!(pm["document"]["trigger"], "The 10:02 deploy halved the connection pool");
    assert!(pm["document"]["root_cause"].as_str().unwrap_or("").contains("Pool size set to 25"));
    let id = pm["id"].as_str().expect("an id").to_owned();
    let room = app.sign_in(&ada.email).await.get("/incidents/1").await.text;
    assert!(
        room.contains("Required because it was customer-facing"),
        "the room shows the postmortem: {room}"
    );

    let mut document = pm["document"].clone();
    document["went_wrong"] = json!(["Ada forgot to run the config check."]);
    let edited = app
        .api(
            Method::PUT,
            &format!("/api/v1/postmortems/{id}/document"),
            Some(&ada.token),
            Some(document.clone()),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{edited:?}");
    let mut untitled = document.clone();
    untitled["title"] = json!("");
    let refused = app
        .api(Method::PUT, &format!("/api/v1/postmortems/{id}/document"), Some(&ada.token), Some(untitled))
        .await;
    assert_eq!((refused.status, refused.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["title"]));
    let reviewers = json!({"user_ids": [cy.id]});
    app.api(Method::PUT, &format!("/api/v1/postmortems/{id}/reviewers"), Some(&ada.token), Some(reviewers))
        .await;
    let flagged = app.get(&format!("/api/v1/postmortems/{id}"), &ada.token).await.body;
    assert_eq!(flagged["flags"][0]["rule"], "person_failed", "{flagged}");
    let refused = app.post(&format!("/api/v1/postmortems/{id}/submit"), &ada.token, json!({})).await;
    assert_eq!((refused.status, refused.fields()), (StatusCode::CONFLICT, vec!["blameless"]));
    assert!(refused.body["message"].as_str().unwrap_or("").contains("Ada forgot to run the config check."));

    document["went_wrong"] = json!(["The deploy ran without the config check."]);
    document["reviewers"] = flagged["document"]["reviewers"].clone();
    app.api(Method::PUT, &format!("/api/v1/postmortems/{id}/document"), Some(&ada.token), Some(document))
        .await;
    let submitted = app.post(&format!("/api/v1/postmortems/{id}/submit"), &ada.token, json!({})).await;
    assert_eq!(submitted.body["status"], "in_review", "{submitted:?}");
    let early = app.post(&format!("/api/v1/postmortems/{id}/publish"), &ada.token, json!({})).await;
    assert_eq!(early.fields(), ["approvals"]);
    let stranger = app.post(&format!("/api/v1/postmortems/{id}/approve"), &ada.token, json!({})).await;
    assert_eq!(stranger.status, StatusCode::FORBIDDEN, "an author is not a reviewer");
    app.post(&format!("/api/v1/postmortems/{id}/approve"), &cy.token, json!({})).await;
    let published = app.post(&format!("/api/v1/postmortems/{id}/publish"), &ada.token, json!({})).await;
    assert_eq!(published.body["status"], "published", "{published:?}");

    let late = app
        .api(
            Method::PUT,
            &format!("/api/v1/postmortems/{id}/document"),
            Some(&ada.token),
            Some(published.body["document"].clone()),
        )
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT, "published is read-only");
    let mut corrected = published.body["document"].clone();
    corrected["resolution"] = json!("Pool back to 50; the deploy check now refuses a smaller pool.");
    let no_reason = json!({"document": corrected.clone(), "reason": " "});
    let refused = app.post(&format!("/api/v1/postmortems/{id}/corrections"), &ada.token, no_reason).await;
    assert_eq!(refused.fields(), ["reason"], "a correction says what it fixes");
    let correction = json!({"document": corrected, "reason": "The fix went further"});
    let v2 = app.post(&format!("/api/v1/postmortems/{id}/corrections"), &ada.token, correction).await;
    assert_eq!((v2.body["version"].clone(), v2.body["status"].clone()), (json!(2), json!("published")));
    let diff = app.get(&format!("/api/v1/postmortems/{id}/diff"), &cy.token).await.body;
    assert_eq!((diff["from"].clone(), diff["to"].clone()), (json!(1), json!(2)), "{diff}");
    assert_eq!(diff["sections"][0]["section"], "resolution", "only the changed section: {diff}");
    let missing = app.get(&format!("/api/v1/postmortems/{id}/diff?from=7"), &cy.token).await;
    assert_eq!(missing.fields(), ["from"]);
    let hits = app.get("/api/v1/postmortems/search?q=connection%20pool", &cy.token).await.body;
    assert_eq!(hits[0]["title"], "Postmortem: Checkout failing", "{hits}");

    let again = json!({"title": "Checkout errors again", "severity": "sev3", "problem_report": {"expected": "ok", "actual": "502"}});
    app.post("/api/v1/incidents", &cy.token, again).await;
    let new_incident = app.get("/api/v1/incidents/2", &cy.token).await.body;
    assert_eq!(
        new_incident["similar"][0]["incident_number"], 1,
        "past incidents are suggested: {}",
        new_incident["similar"]
    );
    let room = app.sign_in(&cy.email).await.get("/incidents/2").await.text;
    assert!(room.contains("Similar past incidents"), "{room}");
    let own = app.get("/api/v1/incidents/1", &cy.token).await.body;
    assert_eq!(own["similar"], json!([]), "an incident is not similar to itself");
    let item = json!({"title": "Check the pool size in CI", "owner_id": cy.id, "due_on": "2026-12-04", "priority": "high"});
    let added = app.post(&format!("/api/v1/postmortems/{id}/action-items"), &ada.token, item).await;
    assert_eq!(added.status, StatusCode::CREATED, "{added:?}");
    let bad = app
        .post(
            &format!("/api/v1/postmortems/{id}/action-items"),
            &ada.token,
            json!({"title": "x", "owner_id": cy.id, "due_on": "soon"}),
        )
        .await;
    assert_eq!(bad.fields(), ["due_on"]);
    let markdown = app
        .api(Method::GET, &format!("/api/v1/postmortems/{id}/export?format=markdown"), Some(&cy.token), None)
        .await;
    let markdown = markdown.body.as_str().unwrap_or("").to_owned();
    for heading in [
        "# Postmortem: Checkout failing",
        "## Executive summary",
        "## Timeline",
        "## Action items",
        "- [ ] Check the pool size in CI (Cy, high, due 2026-12-04, open)",
        "### Where we got lucky",
    ] {
        assert!(markdown.contains(heading), "{heading}:\n{markdown}");
    }
    let html = app
        .api(Method::GET, &format!("/api/v1/postmortems/{id}/export?format=html"), Some(&cy.token), None)
        .await;
    let html = html.body.as_str().unwrap_or("").to_owned();
    assert!(html.contains("<h2>Executive summary</h2>") && html.contains("<li>"), "{html}");
    let open = app.get("/api/v1/action-items", &cy.token).await.body;
    assert_eq!(open.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn an_html_export_shows_raw_html_as_text() {
    let app = TestApp::spawn().await;
    let ada = app.person("Ada", Role::Responder).await;
    resolved_incident(&app, &ada).await;
    let pm = app.get("/api/v1/postmortems/1", &ada.token).await.body;
    let mut document = pm["document"].clone();
    document["executive_summary"] = json!("<script>alert(1)</script> and <b>bold</b>");
    app.api(Method::PUT, "/api/v1/postmortems/1/document", Some(&ada.token), Some(document)).await;
    let html = app.api(Method::GET, "/api/v1/postmortems/1/export?format=html", Some(&ada.token), None).await;
    let html = html.body.as_str().unwrap_or("").to_owned();
    assert!(!html.contains("<script>alert(1)</script>") && html.contains("&lt;script&gt;"), "{html}");
    let wrong = app.api(Method::GET, "/api/v1/postmortems/1/export?format=pdf", Some(&ada.token), None).await;
    assert_eq!(wrong.fields(), ["format"]);
}

#[tokio::test]
async fn authors_of_an_overdue_postmortem_and_owners_of_overdue_items_are_reminded_daily() {
    let app = TestApp::spawn().await;
    let ada = app.person("Ada", Role::Responder).await;
    let cy = app.person("Cy", Role::Responder).await;
    let receiver = crate::receiver::Receiver::start(0).await;
    app.reachable_by_webhook(&ada, &receiver, "/ada").await;
    app.reachable_by_webhook(&cy, &receiver, "/cy").await;
    resolved_incident(&app, &ada).await;
    let pm = app.get("/api/v1/postmortems/1", &ada.token).await.body;
    let due: jiff::Timestamp =
        pm["requirement"]["due_at"].as_str().expect("a due date").parse().expect("a time");
    let item = json!({"title": "Check the pool size in CI", "owner_id": cy.id, "due_on": "2026-11-24"});
    app.post("/api/v1/postmortems/1/action-items", &ada.token, item).await;

    assert_eq!(app.remind().await, 0, "nothing is overdue on the day of the incident");
    app.advance(jiff::SignedDuration::from_hours(24 * 2));
    assert_eq!(app.remind().await, 1, "the item was due yesterday");
    assert_eq!(app.remind().await, 0, "once a day");
    let now = app.clock.now_for_tests();
    app.advance(due.duration_since(now));
    assert_eq!(app.remind().await, 2, "the postmortem is due now, and a day has passed for the item");
    app.deliver().await;
    let bodies =
        |path: &str| receiver.received(path).iter().map(|r| r.body.clone()).collect::<Vec<_>>().join("\n");
    assert!(bodies("/ada").contains("Postmortem: Checkout failing was due"), "{}", bodies("/ada"));
    assert!(bodies("/cy").contains("Overdue action item: Check the pool size in CI"), "{}", bodies("/cy"));
    let history = app.get("/api/v1/postmortems/1", &ada.token).await.body["history"].to_string();
    assert!(history.contains("Muster reminded Ada that the postmortem is overdue"), "{history}");
}

#[tokio::test]
async fn the_postmortem_pages_edit_review_and_track_follow_ups_without_javascript() {
    let app = TestApp::spawn().await;
    let root = app.person("Root", Role::Admin).await;
    let ada = app.person("Ada", Role::Responder).await;
    let cy = app.person("Cy", Role::Responder).await;
    resolved_incident(&app, &ada).await;
    let id = app.get("/api/v1/postmortems/1", &ada.token).await.body["id"].as_str().unwrap_or("").to_owned();
    let page = format!("/postmortems/{id}");
    let browser = app.sign_in(&ada.email).await;

    let listed = browser.get("/postmortems?status=draft").await.text;
    assert!(listed.contains("Postmortem: Checkout failing") && listed.contains("it was customer-facing"));
    assert!(browser.get("/postmortems?status=published").await.text.contains("No postmortems match."));

    let editor = |timeline: &'static str| {
        vec![
            ("title", "Postmortem: Checkout failing"),
            ("author_id", ada.id.as_str()),
            ("executive_summary", "Checkout failed for 40 minutes."),
            ("timeline", timeline),
            ("went_wrong", "- The deploy ran without the config check.\n\n"),
        ]
    };
    let refused = browser.submit(&page, &format!("{page}/document"), &editor("yesterday | it broke")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("line 1 must be a time"), "{}", refused.text);
    assert!(refused.text.contains("yesterday | it broke"), "what was typed is kept");
    let saved = browser
        .submit(&page, &format!("{page}/document"), &editor("2026-11-23 09:00 | Deploy went out"))
        .await;
    assert_eq!(
        saved.location.as_deref(),
        Some(format!("{page}?done=postmortem-saved").as_str()),
        "{saved:?}"
    );
    let stored = app.get(&format!("/api/v1/postmortems/{id}"), &ada.token).await.body;
    assert_eq!(
        stored["document"]["timeline"],
        json!([{"at": "2026-11-23T09:00:00Z", "text": "Deploy went out"}])
    );
    assert_eq!(stored["document"]["went_wrong"], json!(["The deploy ran without the config check."]));

    let mut blaming = editor("");
    blaming[4] = ("went_wrong", "Ada forgot the config check.");
    let preview = browser.submit(&page, &format!("{page}/preview"), &blaming).await;
    assert!(preview.text.contains("preview-flags") && preview.text.contains("Ada forgot the config check."));
    assert!(preview.text.contains("<h2>Executive summary</h2>"), "{}", preview.text);

    let item = [
        ("title", "Check the pool size in CI"),
        ("owner_id", cy.id.as_str()),
        ("due_on", "2026-11-20"),
        ("priority", "high"),
    ];
    let added = browser.submit(&page, &format!("{page}/action-items"), &item).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text);
    let team = app.create_team(&root.token, "Payments").await;
    let team = team["id"].as_str().unwrap_or("").to_owned();
    app.api(Method::PUT, &format!("/api/v1/teams/{team}/members/{}", cy.id), Some(&root.token), None).await;
    let team_page = browser.get(&format!("/teams/{team}")).await.text;
    let overdue = team_page.split("id=\"overdue-action-items\"").nth(1).unwrap_or("");
    assert!(overdue.contains("Check the pool size in CI") && overdue.contains("2026-11-20"), "{team_page}");
    let all = browser.get("/action-items").await.text;
    assert!(all.contains("Check the pool size in CI") && all.contains("overdue"), "{all}");
    let item_id =
        app.get("/api/v1/action-items", &ada.token).await.body[0]["id"].as_str().unwrap_or("").to_owned();
    let status = format!("/action-items/{item_id}/status");
    let no_reason = browser.submit(&page, &status, &[("status", "wont_do"), ("back", &id)]).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY, "won't do needs a reason");
    let done = browser.submit(&page, &status, &[("status", "done"), ("back", &id)]).await;
    assert_eq!(done.location.as_deref(), Some(format!("{page}?done=action-item-updated").as_str()));
    let team_page = browser.get(&format!("/teams/{team}")).await.text;
    assert!(team_page.contains("None: every postmortem follow-up"), "a done item is no longer overdue");

    browser.submit(&page, &format!("{page}/reviewers"), &[("reviewer_id", cy.id.as_str())]).await;
    browser.submit(&page, &format!("{page}/submit"), &[]).await;
    app.post(&format!("/api/v1/postmortems/{id}/approve"), &cy.token, json!({})).await;
    let published = browser.submit(&page, &format!("{page}/publish"), &[]).await;
    assert_eq!(published.location.as_deref(), Some(format!("{page}?done=postmortem-published").as_str()));
    let read_only = browser.get(&page).await.text;
    assert!(read_only.contains("Published and read-only") && !read_only.contains("id=\"editor\""));
    let correcting = browser.get(&format!("{page}?correct=1")).await.text;
    assert!(correcting.contains("Publish the correction"));
    let mut correction = editor("2026-11-23 09:00 | Deploy went out");
    correction[2] = ("executive_summary", "Checkout failed for 42 minutes.");
    correction.push(("reason", "The duration was off by two minutes"));
    let corrected = browser.submit(&page, &format!("{page}/corrections"), &correction).await;
    assert_eq!(corrected.location.as_deref(), Some(format!("{page}?done=postmortem-corrected").as_str()));
    let diff = browser.get(&format!("{page}/diff")).await.text;
    assert!(diff.contains("Version 1 → 2") && diff.contains("+ Checkout failed for 42 minutes."), "{diff}");
    let found = browser.get("/postmortems?q=42+minutes").await.text;
    assert!(
        found.contains("search-results") && found.contains(&format!("href=\"/postmortems/{id}\"")),
        "{found}"
    );
}

#[tokio::test]
async fn the_reading_club_votes_for_the_postmortem_of_the_month_lists_and_meets() {
    let app = TestApp::spawn().await;
    let root = app.person("Root", Role::Admin).await;
    let ada = app.person("Ada", Role::Responder).await;
    let cy = app.person("Cy", Role::Responder).await;
    resolved_incident(&app, &ada).await;
    let id = app.get("/api/v1/postmortems/1", &ada.token).await.body["id"].as_str().unwrap_or("").to_owned();
    let draft_vote = app.post(&format!("/api/v1/postmortems/{id}/vote"), &cy.token, json!({})).await;
    assert_eq!((draft_vote.status, draft_vote.fields()), (StatusCode::CONFLICT, vec!["postmortem_id"]));
    app.api(
        Method::PUT,
        &format!("/api/v1/postmortems/{id}/reviewers"),
        Some(&ada.token),
        Some(json!({"user_ids": [cy.id]})),
    )
    .await;
    app.post(&format!("/api/v1/postmortems/{id}/submit"), &ada.token, json!({})).await;
    app.post(&format!("/api/v1/postmortems/{id}/approve"), &cy.token, json!({})).await;
    app.post(&format!("/api/v1/postmortems/{id}/publish"), &ada.token, json!({})).await;

    let voted = app.post(&format!("/api/v1/postmortems/{id}/vote"), &cy.token, json!({})).await;
    assert_eq!(voted.status, StatusCode::OK, "{voted:?}");
    assert_eq!(voted.body["month"], "2026-11", "the caller's month, in their zone");
    assert_eq!(voted.body["standings"][0]["votes"], 1);
    assert_eq!(voted.body["winner"]["title"], "Postmortem: Checkout failing");
    let bad = app.get("/api/v1/postmortems/of-the-month?month=2026-13", &cy.token).await;
    assert_eq!(bad.fields(), ["month"]);
    let choice = json!({"postmortem_id": id});
    let refused =
        app.api(Method::PUT, "/api/v1/postmortems/of-the-month", Some(&cy.token), Some(choice.clone())).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "only admins choose");
    let chosen =
        app.api(Method::PUT, "/api/v1/postmortems/of-the-month", Some(&root.token), Some(choice)).await;
    assert_eq!(chosen.body["chosen_by"]["name"], "Root", "{chosen:?}");

    let browser = app.sign_in(&ada.email).await;
    let listed = browser
        .submit(
            "/postmortems/club",
            "/postmortems/club/reading-list",
            &[("postmortem_id", &id), ("note", "Read before your first shift")],
        )
        .await;
    assert_eq!(listed.location.as_deref(), Some("/postmortems/club?done=reading-listed"));
    let no_attendees =
        [("held_on", "2026-12-03"), ("title", "December reading club"), ("postmortem_id", id.as_str())];
    let refused = browser.submit("/postmortems/club", "/postmortems/club/sessions", &no_attendees).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("name at least one attendee"), "{}", refused.text);
    let mut session = no_attendees.to_vec();
    session.extend([("attendee_id", ada.id.as_str()), ("attendee_id", cy.id.as_str())]);
    let recorded = browser.submit("/postmortems/club", "/postmortems/club/sessions", &session).await;
    assert_eq!(
        recorded.location.as_deref(),
        Some("/postmortems/club?done=session-recorded"),
        "{}",
        recorded.text
    );
    let club = browser.get("/postmortems/club").await.text;
    let of_the_month = club.split("id=\"of-the-month\"").nth(1).unwrap_or("");
    assert!(
        of_the_month.contains("Postmortem: Checkout failing") && of_the_month.contains("chosen by Root"),
        "{club}"
    );
    assert!(club.contains("Read before your first shift"));
    assert!(club.contains("December reading club") && club.contains("Attended: Ada, Cy"), "{club}");
    let sessions = app.get("/api/v1/review-sessions", &cy.token).await.body;
    assert_eq!(sessions[0]["postmortems"][0]["incident_number"], 1);
    let reading = app.get("/api/v1/reading-list", &cy.token).await.body;
    assert_eq!(reading[0]["note"], "Read before your first shift");
}

#[tokio::test]
async fn a_required_draft_missed_at_the_resolve_is_written_by_the_next_reminder_pass() {
    let app = TestApp::spawn().await;
    let ada = app.person("Ada", Role::Responder).await;
    app.incident_ready_to_resolve(&ada).await;
    // Resolve through the store alone, as if the process stopped before writing the draft.
    let incident = app.store.incident_by_number(1).await.expect("incident 1");
    let who = app.store.participant(&muster_core::ids::UserId(ada.id.clone())).await.expect("Ada");
    let resolve =
        muster_core::incident::Change::SetState { state: muster_core::incident::IncidentState::Resolved };
    app.store
        .change_incident(&incident.id, &who, resolve, &Default::default(), app.clock.now_for_tests())
        .await
        .expect("resolved");
    assert_eq!(app.get("/api/v1/postmortems/1", &ada.token).await.status, StatusCode::NOT_FOUND);
    app.remind().await;
    let drafted = app.get("/api/v1/postmortems/1", &ada.token).await;
    assert_eq!(drafted.status, StatusCode::OK, "{drafted:?}");
    assert_eq!(drafted.body["requirement"]["required"], true);
    assert_eq!(drafted.body["document"]["trigger"], "The 10:02 deploy halved the connection pool");
}
