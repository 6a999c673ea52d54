//! Incidents over the API: declaring from an alert or a problem report, the accepted hand-off,
//! the investigation's outputs, resolving, the document's revision check, what stakeholders may
//! do, and the public status page.

use muster_core::user::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Person, Reply, TestApp};

/// A responder's incident, declared from a fresh alert on "Checkout".
struct Declared {
    app: TestApp,
    ada: Person,
    bo: Person,
    incident: Value,
    alert_id: String,
}

async fn declared() -> Declared {
    let app = TestApp::spawn().await;
    let ada = app.person("Ada", Role::Responder).await;
    let bo = app.person("Bo", Role::Responder).await;
    let monitor = app.monitored_service("Checkout", "generic").await;
    let alert_id = app.trigger(&monitor, "Checkout 5xx at 12%").await;
    let reply = app
        .post(
            "/api/v1/incidents",
            &ada.token,
            json!({"title": "Checkout failing", "severity": "sev2", "customer_facing": true, "alert_ids": [alert_id]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    Declared { app, ada, bo, incident: reply.body, alert_id }
}

impl Declared {
    fn path(&self, rest: &str) -> String {
        format!("/api/v1/incidents/{}{rest}", self.incident["id"].as_str().expect("incident id"))
    }

    async fn post(&self, who: &Person, rest: &str, body: Value) -> Reply {
        self.app.post(&self.path(rest), &who.token, body).await
    }

    async fn put(&self, who: &Person, rest: &str, body: Value) -> Reply {
        self.app.api(Method::PUT, &self.path(rest), Some(&who.token), Some(body)).await
    }

    async fn read(&self, who: &Person) -> Value {
        let reply = self.app.get(&self.path(""), &who.token).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        reply.body
    }

    async fn timeline(&self, who: &Person) -> Vec<String> {
        let reply = self.app.get(&self.path("/timeline"), &who.token).await;
        let entries = reply.body.as_array().expect("a timeline");
        entries.iter().map(|e| e["message"].as_str().expect("a message").to_owned()).collect()
    }

    async fn write_output(&self, who: &Person, output: &str, outcome: Option<&str>) {
        let reply = self.put(who, "/stage/output", json!({"output": output, "outcome": outcome})).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    }

    async fn move_to(&self, who: &Person, stage: &str) -> Reply {
        self.post(who, "/stage", json!({"stage": stage})).await
    }
}

#[tokio::test]
async fn declaring_from_an_alert_links_it_and_makes_the_declarer_commander() {
    let d = declared().await;
    assert_eq!(d.incident["number"], 1);
    assert_eq!(d.incident["command"]["commander"]["name"], "Ada");
    assert_eq!(d.incident["alerts"], json!([d.alert_id]));
    let view = d.read(&d.bo).await;
    assert_eq!(view["document"]["revision"], 1);
    assert!(view["document"]["sections"]["impact"].as_str().unwrap().contains("Customer-facing: yes"));
    assert_eq!(view["stages"][0]["current"], true);
    assert_eq!(view["stages"][0]["tactics"][1]["name"], "Re-route traffic");
    let by_number = d.app.get("/api/v1/incidents/1", &d.bo.token).await;
    assert_eq!(by_number.body["id"], d.incident["id"]);
    let open = d.app.get("/api/v1/incidents", &d.bo.token).await;
    assert_eq!(open.body["incidents"].as_array().unwrap().len(), 1);
    let resolved = d.app.get("/api/v1/incidents?state=resolved", &d.bo.token).await;
    assert_eq!(resolved.body["incidents"], json!([]));
}

#[tokio::test]
async fn bad_declarations_name_their_fields() {
    let app = TestApp::spawn().await;
    let ada = app.person("Ada", Role::Responder).await;
    let reply = app.post("/api/v1/incidents", &ada.token, json!({"title": "", "severity": "sev9"})).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.fields(), ["title", "severity", "alert_ids"]);
    let report = json!({"title": "Search slow", "severity": "sev3", "problem_report": {"expected": "", "actual": "8 s"}});
    let reply = app.post("/api/v1/incidents", &ada.token, report).await;
    assert_eq!(reply.fields(), ["expected"]);
    let report = json!({"title": "Search slow", "severity": "SEV3",
        "problem_report": {"expected": "results in 200 ms", "actual": "8 s", "reproduce": "search for 'shoes'"}});
    let reply = app.post("/api/v1/incidents", &ada.token, report).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    assert!(reply.body["problem_report"]["reproduce"].as_str().unwrap().contains("shoes"));
    let unknown = app
        .post(
            "/api/v1/incidents",
            &ada.token,
            json!({"title": "x", "severity": "sev1", "alert_ids": ["nope"]}),
        )
        .await;
    assert_eq!((unknown.status, unknown.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["alert_ids"]));
    let role = app.post("/api/v1/incidents/1/roles/boss/offer", &ada.token, json!({"user_id": "x"})).await;
    assert_eq!(role.fields(), ["role"]);
}

#[tokio::test]
async fn command_changes_hands_only_when_the_offer_is_accepted() {
    let d = declared().await;
    let cy = d.app.person("Cy", Role::Responder).await;
    let offer = d.post(&d.ada, "/roles/commander/offer", json!({"user_id": d.bo.id})).await;
    assert_eq!(offer.status, StatusCode::OK, "{offer:?}");
    assert_eq!(offer.body["command"]["commander"]["name"], "Ada");
    let early = d.post(&d.bo, "/severity", json!({"severity": "sev1"})).await;
    assert_eq!(early.status, StatusCode::FORBIDDEN, "Ada is in command until Bo accepts");
    let stranger = d.post(&cy, "/roles/commander/accept", json!({})).await;
    assert_eq!(stranger.status, StatusCode::FORBIDDEN);
    let accepted = d.post(&d.bo, "/roles/commander/accept", json!({})).await;
    assert_eq!(accepted.body["command"]["commander"]["name"], "Bo");
    let former = d.post(&d.ada, "/severity", json!({"severity": "sev1"})).await;
    assert_eq!(former.status, StatusCode::FORBIDDEN);
    assert!(former.body["message"].as_str().unwrap().contains("Incident Commander"));

    d.post(&d.bo, "/roles/ops_lead/offer", json!({"user_id": d.ada.id})).await;
    let declined = d.post(&d.ada, "/roles/ops_lead/decline", json!({})).await;
    assert_eq!(declined.body["command"]["ops_lead"], Value::Null);
    d.post(&d.bo, "/roles/ops_lead/offer", json!({"user_id": d.ada.id})).await;
    let ol = d.post(&d.ada, "/roles/ops_lead/accept", json!({})).await;
    assert_eq!(ol.body["command"]["ops_lead"]["name"], "Ada");
    let added = d.post(&d.ada, "/investigators", json!({"user_id": cy.id})).await;
    assert_eq!(added.body["command"]["investigators"][0]["name"], "Cy");

    let timeline = d.timeline(&cy).await;
    assert_eq!(
        timeline[1..],
        [
            "Ada offered Incident Commander to Bo",
            "Bo accepted Incident Commander from Ada: \"I confirm I am now the IC\"",
            "Bo offered Ops Lead to Ada",
            "Ada declined Ops Lead offered by Bo",
            "Bo offered Ops Lead to Ada",
            "Ada accepted Ops Lead: \"I confirm I am now the OL\"",
            "Ada added Cy as an investigator",
        ]
    );
}

#[tokio::test]
async fn the_investigation_moves_on_only_with_each_output_and_resolving_needs_the_cure() {
    let d = declared().await;
    let ada = &d.ada;
    let stuck = d.move_to(ada, "examine").await;
    assert_eq!((stuck.status, stuck.fields()), (StatusCode::CONFLICT, vec!["output"]));
    assert!(stuck.body["message"].as_str().unwrap().contains("Stable system"));
    let early_resolve = d.post(ada, "/state", json!({"state": "resolved"})).await;
    assert_eq!((early_resolve.status, early_resolve.fields()), (StatusCode::CONFLICT, vec!["state"]));

    d.write_output(ada, "Failed over to the second region; errors under 1%", None).await;
    assert_eq!(d.move_to(ada, "examine").await.status, StatusCode::OK);
    d.write_output(ada, "Pool exhausted since the 10:02 deploy", None).await;
    d.move_to(ada, "diagnose").await;
    let too_early =
        d.post(ada, "/hypotheses/1/verdict", json!({"verdict": "confirmed", "evidence": "x"})).await;
    assert_eq!(too_early.status, StatusCode::CONFLICT);
    d.post(ada, "/hypotheses", json!({"statement": "The deploy halved the pool size"})).await;
    d.post(ada, "/hypotheses", json!({"statement": "A slow query holds connections"})).await;
    d.move_to(ada, "test").await;
    let judged = d
        .post(
            ada,
            "/hypotheses/1/verdict",
            json!({"verdict": "confirmed", "evidence": "config diff: 50 → 25"}),
        )
        .await;
    assert_eq!(judged.body["hypotheses"][0]["verdict"], "confirmed", "{judged:?}");
    d.post(ada, "/hypotheses/2/verdict", json!({"verdict": "refuted", "evidence": "no slow queries logged"}))
        .await;
    d.write_output(ada, "Confident: the pool size change matches the start time", None).await;
    d.move_to(ada, "cure").await;
    let no_outcome = d.put(ada, "/stage/output", json!({"output": "Pool back to 50"})).await;
    assert_eq!(no_outcome.fields(), ["outcome"]);
    d.write_output(ada, "Pool back to 50; config check added to CI", Some("fully_working")).await;
    d.post(ada, "/state", json!({"state": "monitoring"})).await;
    d.app.advance(jiff::SignedDuration::from_mins(30));
    let resolved = d.post(ada, "/state", json!({"state": "resolved"})).await;
    assert_eq!(resolved.status, StatusCode::OK, "{resolved:?}");
    let view = d.read(ada).await;
    assert_eq!(view["state"], "resolved");
    assert_eq!(view["times"]["to_resolve_seconds"], 1800);
    assert_eq!(view["stages"][4]["output_written"], true);
    let timeline = d.timeline(ada).await;
    assert!(timeline.contains(&"Ada moved the investigation from Test to Cure".to_owned()), "{timeline:?}");
    assert!(timeline.contains(&"Ada changed the state from monitoring to resolved".to_owned()));
}

#[tokio::test]
async fn an_edit_on_a_stale_revision_is_refused_and_names_who_changed_it() {
    let d = declared().await;
    let first = d.app.get(&d.path("/document"), &d.ada.token).await.body;
    let mut sections = first["sections"].clone();
    sections["current_status"] = json!("Identified: the pool size.");
    let mut edit = sections.clone();
    edit["base_revision"] = json!(1);
    let saved = d.put(&d.ada, "/document", edit.clone()).await;
    assert_eq!(saved.body["revision"], 2, "{saved:?}");
    edit["actions"] = json!("Bo: roll back the config");
    let stale = d.put(&d.ada, "/document", edit).await;
    assert_eq!((stale.status, stale.fields()), (StatusCode::CONFLICT, vec!["base_revision"]));
    assert!(stale.body["message"].as_str().unwrap().contains("Ada saved revision 2"), "{stale:?}");
    let mut outsider_edit = sections.clone();
    outsider_edit["base_revision"] = json!(2);
    outsider_edit["summary"] = json!("mine");
    let outsider = d.put(&d.bo, "/document", outsider_edit).await;
    assert_eq!(outsider.status, StatusCode::FORBIDDEN, "Bo has no part in the incident yet");
    let diff = d.app.get(&d.path("/document/diff"), &d.bo.token).await.body;
    assert_eq!(diff["from"], 1);
    assert_eq!(diff["sections"][0]["heading"], "Current status");
    assert_eq!(
        diff["sections"][0]["lines"][1],
        json!({"change": "added", "text": "Identified: the pool size."})
    );
    let revisions = d.app.get(&d.path("/document/revisions"), &d.bo.token).await.body;
    assert_eq!(revisions.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn stakeholders_read_everything_but_command_nothing() {
    let d = declared().await;
    let sam = d.app.person("Sam", Role::Stakeholder).await;
    assert_eq!(d.app.get(&d.path(""), &sam.token).await.status, StatusCode::OK);
    assert_eq!(d.app.get(&d.path("/timeline"), &sam.token).await.status, StatusCode::OK);
    assert_eq!(d.app.get(&d.path("/updates"), &sam.token).await.status, StatusCode::OK);
    for (path, body) in [
        ("/notes", json!({"text": "any news?"})),
        ("/state", json!({"state": "identified"})),
        ("/updates", json!({"audience": "public", "body": "All fine"})),
        ("/roles/commander/accept", json!({})),
    ] {
        let reply = d.post(&sam, path, body).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}: {reply:?}");
    }
    let declare = d
        .app
        .post(
            "/api/v1/incidents",
            &sam.token,
            json!({"title": "x", "severity": "sev4", "alert_ids": [d.alert_id]}),
        )
        .await;
    assert_eq!(declare.status, StatusCode::FORBIDDEN);
    let offer = d.post(&d.ada, "/roles/comms_lead/offer", json!({"user_id": sam.id})).await;
    assert_eq!((offer.status, offer.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["user_id"]));
}

#[tokio::test]
async fn the_public_status_page_shows_only_public_updates_without_sign_in() {
    let d = declared().await;
    let internal = d
        .post(&d.ada, "/updates", json!({"audience": "internal", "body": "Pool exhausted after deploy 4411"}))
        .await;
    assert_eq!(internal.status, StatusCode::CREATED, "{internal:?}");
    let status = d.app.api(Method::GET, "/api/v1/status", None, None).await;
    assert_eq!(status.body, json!([]), "no public update yet, so nothing public to show");
    d.post(&d.ada, "/updates", json!({"audience": "public", "body": "Some payments fail; we are fixing it"}))
        .await;
    let status = d.app.api(Method::GET, "/api/v1/status", None, None).await;
    assert_eq!(status.status, StatusCode::OK);
    let shown = status.body.to_string();
    assert!(shown.contains("Some payments fail"));
    assert!(!shown.contains("deploy 4411"), "internal updates stay internal: {shown}");
    assert!(!shown.contains("Ada"), "no names on the public page");
    let page = d.app.api(Method::GET, "/status", None, None).await;
    let html = page.body.as_str().expect("an HTML page").to_owned();
    assert!(html.contains("Some payments fail") && html.contains("Checkout failing"), "{html}");
    assert!(!html.contains("deploy 4411") && !html.contains("Ada"), "the HTML page is as public as the JSON");
    let sam = d.app.person("Sam", Role::Stakeholder).await;
    let browser = d.app.sign_in(&sam.email).await;
    let internal = browser.get("/status/internal").await;
    assert!(internal.text.contains("deploy 4411"), "stakeholders read the internal updates too");
    let view = d.read(&d.bo).await;
    assert_eq!(view["update_overdue"], false);
    d.app.advance(jiff::SignedDuration::from_mins(61));
    assert_eq!(d.read(&d.bo).await["update_overdue"], true, "SEV2: an update every hour");
    let notes = d.post(&d.bo, "/notes", json!({"text": "Seeing it in EU too"})).await;
    assert_eq!(notes.status, StatusCode::CREATED, "any responder may add a note");
}

#[tokio::test]
async fn the_status_page_lists_each_incident_with_its_own_updates_newest_first() {
    let d = declared().await;
    let monitor = d.app.monitored_service("Search", "generic").await;
    let alert_id = d.app.trigger(&monitor, "Search latency p99 4 s").await;
    let second = d
        .app
        .post(
            "/api/v1/incidents",
            &d.bo.token,
            json!({"title": "Search slow", "severity": "sev3", "alert_ids": [alert_id]}),
        )
        .await;
    assert_eq!(second.status, StatusCode::CREATED, "{second:?}");
    let second_updates = format!("/api/v1/incidents/{}/updates", second.body["id"].as_str().expect("id"));
    for (who, path, audience, body) in [
        (&d.ada, d.path("/updates"), "public", "Checkout: investigating"),
        (&d.bo, second_updates.clone(), "public", "Search: investigating"),
        (&d.bo, second_updates.clone(), "internal", "Search: index node 3 is swapping"),
        (&d.ada, d.path("/updates"), "public", "Checkout: fix deployed"),
        (&d.bo, second_updates, "public", "Search: recovering"),
    ] {
        d.app.advance(jiff::SignedDuration::from_mins(1));
        let posted = d.app.post(&path, &who.token, json!({"audience": audience, "body": body})).await;
        assert_eq!(posted.status, StatusCode::CREATED, "{posted:?}");
    }
    let status = d.app.api(Method::GET, "/api/v1/status", None, None).await;
    assert_eq!(status.status, StatusCode::OK);
    let listed: Vec<(String, Vec<String>)> = status
        .body
        .as_array()
        .expect("incidents")
        .iter()
        .map(|incident| {
            let bodies = incident["updates"].as_array().expect("updates").iter();
            let bodies = bodies.map(|u| u["body"].as_str().expect("body").to_owned()).collect();
            (incident["title"].as_str().expect("title").to_owned(), bodies)
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            (
                "Search slow".to_owned(),
                vec!["Search: recovering".to_owned(), "Search: investigating".to_owned()]
            ),
            (
                "Checkout failing".to_owned(),
                vec!["Checkout: fix deployed".to_owned(), "Checkout: investigating".to_owned()]
            ),
        ],
        "newest incident first, each with only its own public updates, newest first"
    );
    let sam = d.app.person("Sam", Role::Stakeholder).await;
    let internal = d.app.sign_in(&sam.email).await.get("/status/internal").await;
    let (search, checkout) = internal.text.split_once("Checkout failing").expect("both incidents");
    assert!(search.contains("index node 3 is swapping"), "the internal update under its incident");
    assert!(!checkout.contains("index node 3"), "and not under the other one");
}

#[tokio::test]
async fn subscribers_get_updates_for_their_audience_and_people_hear_of_offers_and_overdue_updates() {
    let d = declared().await;
    let receiver = crate::receiver::Receiver::start(0).await;
    let sam = d.app.person("Sam", Role::Stakeholder).await;
    let sam_method = d.app.reachable_by_webhook(&sam, &receiver, "/sam").await;
    let eve = d.app.person("Eve", Role::Stakeholder).await;
    let eve_method = d.app.reachable_by_webhook(&eve, &receiver, "/eve").await;
    d.app.reachable_by_webhook(&d.bo, &receiver, "/bo").await;
    let service_id = d.incident["services"][0].as_str().expect("a service").to_owned();
    let follow = |token: String, body: Value| {
        let app = &d.app;
        async move { app.post("/api/v1/users/me/subscriptions", &token, body).await }
    };
    let internal =
        follow(sam.token.clone(), json!({"contact_method_id": sam_method, "service_id": service_id})).await;
    assert_eq!(internal.status, StatusCode::CREATED, "{internal:?}");
    let public = follow(
        eve.token.clone(),
        json!({"contact_method_id": eve_method, "incident_id": "1", "audience": "public"}),
    )
    .await;
    assert_eq!(public.status, StatusCode::CREATED, "{public:?}");
    let twice = follow(
        eve.token.clone(),
        json!({"contact_method_id": eve_method, "incident_id": "1", "audience": "public"}),
    )
    .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    let not_mine =
        follow(eve.token.clone(), json!({"contact_method_id": sam_method, "incident_id": "1"})).await;
    assert_eq!(not_mine.fields(), ["contact_method_id"]);

    d.post(&d.ada, "/updates", json!({"audience": "internal", "body": "Pool exhausted after deploy 4411"}))
        .await;
    d.post(&d.ada, "/updates", json!({"audience": "public", "body": "Some payments fail; we are fixing it"}))
        .await;
    d.post(&d.ada, "/roles/commander/offer", json!({"user_id": d.bo.id})).await;
    d.app.deliver().await;
    let texts =
        |path: &str| -> Vec<String> { receiver.received(path).iter().map(|r| r.body.clone()).collect() };
    let sam_got = texts("/sam").join("\n");
    assert!(
        sam_got.contains("deploy 4411") && sam_got.contains("Some payments fail"),
        "internal gets both: {sam_got}"
    );
    let eve_got = texts("/eve").join("\n");
    assert!(
        eve_got.contains("Some payments fail") && !eve_got.contains("deploy 4411"),
        "public gets public only: {eve_got}"
    );
    assert!(eve_got.contains("/incidents/1"), "the message links to the incident: {eve_got}");
    let bo_got = texts("/bo").join("\n");
    assert!(bo_got.contains("Ada offers you Incident Commander"), "{bo_got}");

    // The next update is due an hour after the last; the reminder goes to the IC (no CL yet).
    d.app.reachable_by_webhook(&d.ada, &receiver, "/ada").await;
    d.app.advance(jiff::SignedDuration::from_mins(59));
    assert_eq!(d.app.remind().await, 0, "not due yet");
    d.app.advance(jiff::SignedDuration::from_mins(1));
    assert_eq!(d.app.remind().await, 1);
    assert_eq!(d.app.remind().await, 0, "once per interval");
    d.app.deliver().await;
    let ada_got = texts("/ada").join("\n");
    assert!(ada_got.contains("a stakeholder update is overdue"), "{ada_got}");
    d.app.advance(jiff::SignedDuration::from_mins(60));
    assert_eq!(d.app.remind().await, 1, "and again an interval later while it stays overdue");
    let timeline = d.timeline(&d.bo).await;
    assert_eq!(
        timeline.iter().filter(|m| m.starts_with("Reminded Ada that a stakeholder update was due")).count(),
        2
    );
    d.post(&d.ada, "/updates", json!({"audience": "internal", "body": "Fix deploying"})).await;
    d.app.advance(jiff::SignedDuration::from_mins(59));
    assert_eq!(d.app.remind().await, 0, "an update resets the clock");
}

#[tokio::test]
async fn playbooks_and_criteria_set_on_the_service_page_answer_is_it_an_incident() {
    let app = TestApp::spawn().await;
    let ada = app.person("Ada", Role::Responder).await;
    let monitor = app.monitored_service("Checkout", "generic").await;
    let service_page = format!("/services/{}", monitor.service_id);
    let admin = app.sign_in("admin@example.com").await;
    let added = admin
        .submit(
            &service_page,
            &format!("{service_page}/playbooks"),
            &[("name", "Disk full"), ("matches", "DISK"), ("steps", "Rotate the logs\nResolve the alert")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text);
    let bad = admin
        .submit(
            &service_page,
            &format!("{service_page}/declaration-criteria"),
            &[("investigation_minutes", "0"), ("services_affected", "2")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("investigation_minutes"), "{}", bad.text);
    admin
        .submit(
            &service_page,
            &format!("{service_page}/declaration-criteria"),
            &[("investigation_minutes", "10"), ("services_affected", "2")],
        )
        .await;

    let ada_browser = app.sign_in(&ada.email).await;
    let disk = app.trigger(&monitor, "Disk 95% full on db-1").await;
    let page = ada_browser.get(&format!("/alerts/{disk}")).await.text;
    assert!(page.contains("Standard response: Disk full") && page.contains("Rotate the logs"), "{page}");
    let cpu = app.trigger(&monitor, "CPU high on web-3").await;
    let page = ada_browser.get(&format!("/alerts/{cpu}")).await.text;
    assert!(!page.contains("Standard response") && page.contains("Declare incident"), "{page}");
    app.post(&format!("/api/v1/alerts/{cpu}/acknowledge"), &ada.token, json!({})).await;
    app.advance(jiff::SignedDuration::from_mins(10));
    let assessment = app.get(&format!("/api/v1/alerts/{cpu}/assessment"), &ada.token).await.body;
    assert_eq!(assessment["prompt_to_declare"], true, "{assessment}");
    assert_eq!(assessment["checks"][0]["met"], true);
    let page = ada_browser.get(&format!("/alerts/{cpu}")).await.text;
    assert!(page.contains("under investigation for longer than 10 minutes"), "{page}");

    // Declared from the alert, then another alert is linked from its page.
    let form = ada_browser.get(&format!("/incidents/new?alert={cpu}")).await.text;
    assert!(form.contains("CPU high on web-3"), "the form names the alert it declares from");
    let declared = ada_browser
        .submit(
            &format!("/incidents/new?alert={cpu}"),
            "/incidents",
            &[("title", "Web tier saturated"), ("severity", "sev3"), ("alert_ids", &cpu)],
        )
        .await;
    assert_eq!(
        declared.location.as_deref(),
        Some("/incidents/1?done=incident-declared"),
        "{}",
        declared.text
    );
    let linked = ada_browser
        .submit(&format!("/alerts/{disk}"), &format!("/alerts/{disk}/incident"), &[("incident", "1")])
        .await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER, "{}", linked.text);
    let room = ada_browser.get("/incidents/1").await.text;
    assert!(room.contains("Ada linked alert &#34;Disk 95% full on db-1&#34;"), "{room}");
}

#[tokio::test]
async fn a_stakeholder_follows_an_incident_from_its_page_and_unfollows_in_settings() {
    let d = declared().await;
    let receiver = crate::receiver::Receiver::start(0).await;
    let sam = d.app.person("Sam", Role::Stakeholder).await;
    let method = d.app.reachable_by_webhook(&sam, &receiver, "/sam").await;
    let browser = d.app.sign_in(&sam.email).await;
    let room = browser.get("/incidents/1").await;
    assert!(room.text.contains("Follow these updates through"), "{}", room.text);
    assert!(!room.text.contains("Post update"), "a stakeholder cannot post updates");
    let followed = browser
        .submit(
            "/incidents/1",
            "/settings/notifications/subscriptions",
            &[("contact_method_id", &method), ("incident_id", "1"), ("audience", "public")],
        )
        .await;
    assert_eq!(followed.location.as_deref(), Some("/incidents/1?done=subscribed"), "{}", followed.text);
    let settings = browser.get("/settings/notifications").await.text;
    assert!(settings.contains("an incident") && settings.contains("Unfollow"), "{settings}");
    let mine = d.app.get("/api/v1/users/me/subscriptions", &sam.token).await.body;
    let id = mine[0]["id"].as_str().expect("a subscription").to_owned();
    let unfollowed = browser
        .submit("/settings/notifications", &format!("/settings/notifications/subscriptions/{id}/delete"), &[])
        .await;
    assert_eq!(unfollowed.status, StatusCode::SEE_OTHER);
    assert_eq!(d.app.get("/api/v1/users/me/subscriptions", &sam.token).await.body, json!([]));
}
