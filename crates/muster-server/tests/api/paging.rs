//! Paging end to end over real HTTP, with a manual clock: an alert pages the primary, escalates
//! to the secondary when nobody acknowledges, stops when a signed link acknowledges it, and is
//! judged against its response target; notifications reach real receivers, at least once.

use jiff::SignedDuration;
use muster_core::user::Role;
use muster_store::testing::TestDatabase;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{
    helpers::{Monitor, Person, TestApp},
    receiver::{Received, Receiver},
};

/// Adds a webhook contact method at `url`, verifies it with the code it receives and adds a rule
/// to use it at once; returns the method's id.
/// Checkout with Grace as primary and Tomás as secondary (weekdays 09:00–17:00, London), paging
/// through "primary, then secondary after ten minutes".
async fn checkout(app: &TestApp, grace: &Person, tomas: &Person) -> Monitor {
    let monitor = app.monitored_service("Checkout", "generic").await;
    let tiers = json!({
        "template": "tiers", "name": "Checkout", "time_zone": "Europe/London", "start": "2026-11-23",
        "participants": [grace.id], "secondary": [tomas.id], "tickets": [tomas.id], "service_id": monitor.service_id,
    });
    let created = app.post("/api/v1/schedules/from-template", &app.admin_token, tiers).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let policy = json!({"name": "Checkout", "steps": [
        {"escalate_after_minutes": 10, "targets": [{"kind": "tier", "tier": "primary"}]},
        {"escalate_after_minutes": 10, "targets": [{"kind": "tier", "tier": "secondary"}]},
    ]});
    let policy = app.post("/api/v1/escalation-policies", &app.admin_token, policy).await;
    assert_eq!(policy.status, StatusCode::CREATED, "{policy:?}");
    let path = format!("/api/v1/services/{}/escalation", monitor.service_id);
    let set = app
        .api(
            Method::PUT,
            &path,
            Some(&app.admin_token),
            Some(json!({"escalation_policy_id": policy.body["id"]})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{set:?}");
    monitor
}

/// Checkout's rota on a fresh server: Grace primary, Tomás secondary, each reachable by a verified
/// webhook at the receiver's path given (`/grace`, `/tomas`) when it is in `reachable`.
struct OnCall {
    app: TestApp,
    receiver: Receiver,
    grace: Person,
    tomas: Person,
    monitor: Monitor,
}

async fn on_call(reachable: &[&str]) -> OnCall {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start(0).await;
    let grace = app.person("Grace", Role::Responder).await;
    let tomas = app.person("Tomas", Role::Responder).await;
    for (person, path) in [(&grace, "/grace"), (&tomas, "/tomas")] {
        if reachable.contains(&path) {
            app.reachable_by_webhook(person, &receiver, path).await;
        }
    }
    let monitor = checkout(&app, &grace, &tomas).await;
    OnCall { app, receiver, grace, tomas, monitor }
}

/// The path and query of a link, to follow on the test server.
fn local(link: &str, app: &TestApp) -> String {
    link.strip_prefix(&app.address).expect("links use the public URL").to_owned()
}

fn page_messages(received: Vec<Received>) -> Vec<Value> {
    received.iter().map(Received::json).filter(|m| m["links"].is_object()).collect()
}

#[tokio::test]
async fn an_unacknowledged_page_escalates_until_a_signed_link_acknowledges_it() {
    let OnCall { app, receiver, tomas, monitor, .. } = on_call(&["/grace", "/tomas"]).await;

    let alert = app.trigger(&monitor, "Checkout error rate 12%").await;
    assert_eq!(app.escalate().await, 1, "the first step at once");
    assert_eq!(app.deliver().await.notifications, 1);
    let to_grace = page_messages(receiver.received("/grace"));
    assert_eq!(to_grace.len(), 1);
    assert_eq!(to_grace[0]["title"], "[Business critical] Checkout error rate 12%");
    assert!(page_messages(receiver.received("/tomas")).is_empty(), "the secondary waits");
    assert_eq!(app.escalate().await, 0, "nothing more is due yet");

    // Business critical: five minutes to acknowledge, so the secondary is paged at five, not ten.
    app.advance(SignedDuration::from_secs(4 * 60 + 59));
    assert_eq!(app.escalate().await, 0);
    app.advance(SignedDuration::from_secs(1));
    assert_eq!(app.escalate().await, 1);
    app.deliver().await;
    let to_tomas = page_messages(receiver.received("/tomas"));
    assert_eq!(to_tomas.len(), 1);
    assert!(to_tomas[0]["text"].as_str().unwrap().contains("Escalated: step 2"), "{}", to_tomas[0]);

    // Tomás opens the acknowledge link: a confirmation page, then one press of the button.
    let link = local(to_tomas[0]["links"]["acknowledge"].as_str().unwrap(), &app);
    let browser = crate::helpers::Browser::new(&app.address);
    let shown = browser.get(&link).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.text.contains("Checkout error rate 12%") && shown.text.contains("Tomas"), "{}", shown.text);
    assert_eq!(
        app.get(&format!("/api/v1/alerts/{alert}"), &app.admin_token).await.body["status"],
        "triggered"
    );
    app.advance(SignedDuration::from_secs(30));
    let acted = browser.post_form(&link, &[]).await;
    assert_eq!(acted.status, StatusCode::OK, "{}", acted.text);
    assert!(acted.text.contains("escalation stopped"));
    let read = app.get(&format!("/api/v1/alerts/{alert}"), &app.admin_token).await;
    assert_eq!(read.body["status"], "acknowledged");
    assert_eq!(read.body["acknowledged_by"]["user_id"], tomas.id.as_str());
    assert_eq!(browser.post_form(&link, &[]).await.status, StatusCode::CONFLICT, "a link works once");
    let forged = link.replace("sig=", "sig=0");
    assert_eq!(browser.get(&forged).await.status, StatusCode::NOT_FOUND);

    // Escalation stops: no third message, however long nobody resolves it.
    app.advance(SignedDuration::from_hours(2));
    assert_eq!(app.escalate().await, 0);
    app.deliver().await;
    assert_eq!(
        page_messages(receiver.received("/grace")).len() + page_messages(receiver.received("/tomas")).len(),
        2
    );

    let page = app.get(&format!("/api/v1/alerts/{alert}/page"), &app.admin_token).await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    assert_eq!(
        (page.body["status"].as_str(), page.body["response"].as_str()),
        (Some("acknowledged"), Some("missed"))
    );
    assert_eq!(page.body["policy_version"], 1);
    let delivered: Vec<_> =
        page.body["notifications"].as_array().unwrap().iter().map(|n| n["status"].clone()).collect();
    assert_eq!(delivered, [json!("delivered"), json!("delivered")]);
    let log = app.get(&format!("/api/v1/alerts/{alert}"), &app.admin_token).await;
    let paged: Vec<&str> = log.body["log"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "paged")
        .filter_map(|e| e["message"].as_str())
        .collect();
    assert_eq!(
        paged,
        ["Step 1 (round 1) notified Grace (Webhook)", "Step 2 (round 1) notified Tomas (Webhook)"]
    );
}

#[tokio::test]
async fn acknowledging_in_time_meets_the_target_and_no_one_else_is_paged() {
    let OnCall { app, receiver, grace, monitor, .. } = on_call(&["/grace", "/tomas"]).await;
    let alert = app.trigger(&monitor, "Disk 95% full").await;
    app.escalate().await;
    app.deliver().await;
    app.advance(SignedDuration::from_mins(3));
    let acked = app.post(&format!("/api/v1/alerts/{alert}/acknowledge"), &grace.token, json!({})).await;
    assert_eq!(acked.status, StatusCode::OK, "{acked:?}");
    app.advance(SignedDuration::from_mins(30));
    assert_eq!(app.escalate().await, 0, "an acknowledged page escalates no further");
    assert!(page_messages(receiver.received("/tomas")).is_empty());
    let page = app.get(&format!("/api/v1/alerts/{alert}/page"), &app.admin_token).await;
    assert_eq!(page.body["response"], "met");

    // The same alert again while open is a repeat: it pages nobody anew.
    app.trigger(&monitor, "Disk 95% full").await;
    assert_eq!(app.escalate().await, 0);
}

#[tokio::test]
async fn a_failing_receiver_gets_every_message_on_retry_with_one_idempotency_key() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start(0).await;
    let ada = app.person("Ada", Role::Responder).await;
    let method = app.reachable_by_webhook(&ada, &receiver, "/ada").await;
    let flaky = Receiver::start(2).await;
    // Point a second, signed method at the flaky receiver.
    let created = app
        .post(
            "/api/v1/users/me/contact-methods",
            &ada.token,
            json!({"kind": "webhook", "address": flaky.url("/hook"), "signed": true, "label": "Pager bridge"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let secret =
        created.body["signing_secret"].as_str().expect("a signed method shows its secret once").to_owned();
    assert_eq!(app.deliver().await.failed, 1, "the first attempt fails");
    app.advance(SignedDuration::from_secs(9));
    assert_eq!(app.deliver().await, Default::default(), "nothing before the backoff ends");
    app.advance(SignedDuration::from_secs(1));
    assert_eq!(app.deliver().await.failed, 1, "the second attempt fails too");
    app.advance(SignedDuration::from_secs(20));
    assert_eq!(app.deliver().await.notifications, 1, "the third gets through");
    app.advance(SignedDuration::from_hours(1));
    assert_eq!(app.deliver().await, Default::default(), "and nothing is sent again");
    let attempts = flaky.received("/hook");
    assert_eq!(attempts.len(), 3);
    let keys: Vec<&str> = attempts.iter().map(|a| a.header("idempotency-key")).collect();
    assert!(!keys[0].is_empty() && keys.iter().all(|k| *k == keys[0]), "{keys:?}");
    let signature =
        attempts[2].header("x-muster-signature").strip_prefix("sha256=").expect("signed").to_owned();
    assert_eq!(signature, hmac_hex(&secret, &attempts[2].body), "the signature is the HMAC of the body");

    // "Send me a test" through the verified method.
    let test =
        app.post(&format!("/api/v1/users/me/contact-methods/{method}/test"), &ada.token, json!({})).await;
    assert_eq!(test.status, StatusCode::ACCEPTED, "{test:?}");
    app.deliver().await;
    assert_eq!(receiver.received("/ada").last().unwrap().json()["title"], "Test notification from Muster");
    let unverified = created.body["id"].as_str().unwrap();
    let refused =
        app.post(&format!("/api/v1/users/me/contact-methods/{unverified}/test"), &ada.token, json!({})).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_receiver_that_never_answers_ends_in_the_dead_letters() {
    let app = TestApp::spawn().await;
    let down = Receiver::start(usize::MAX).await;
    let ada = app.person("Ada", Role::Responder).await;
    let created = app
        .post(
            "/api/v1/users/me/contact-methods",
            &ada.token,
            json!({"kind": "slack", "address": down.url("/slack")}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    for _ in 0..10 {
        app.deliver().await;
        app.advance(SignedDuration::from_mins(10));
    }
    assert_eq!(down.received("/slack").len(), 10, "ten attempts in all");
    let dead = app.get("/api/v1/notifications/dead-letters", &app.admin_token).await;
    assert_eq!(dead.body.as_array().map(Vec::len), Some(1), "{dead:?}");
    assert_eq!(dead.body[0]["last_error"], "the receiver answered 503 Service Unavailable");
    assert!(
        down.received("/slack")[0].json()["text"]
            .as_str()
            .unwrap()
            .starts_with("*Your Muster verification code")
    );
    assert_eq!(app.get("/api/v1/notifications/dead-letters", &ada.token).await.status, StatusCode::FORBIDDEN);
    let shown = app.sign_in("admin@example.com").await.get("/notifications/undelivered").await;
    assert!(shown.text.contains("Ada") && shown.text.contains("the receiver answered 503"), "{}", shown.text);
}

#[tokio::test]
async fn e_mail_on_a_server_without_smtp_is_a_dead_letter_at_once() {
    let app = TestApp::spawn_with(TestDatabase::sqlite(), |config| {
        config.smtp_url = Some("smtp://127.0.0.1:9".to_owned());
    })
    .await;
    let ada = app.person("Ada", Role::Responder).await;
    let path = "/api/v1/users/me/contact-methods";
    let created = app.post(path, &ada.token, json!({"kind": "email", "address": "ada@example.com"})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    // The admin takes smtp_url out of the configuration; the verification e-mail is still queued.
    let app = app.restart_with(|_| {}).await;

    let first = app.deliver().await;
    assert_eq!((first.messages, first.failed), (0, 1));
    let dead = app.get("/api/v1/notifications/dead-letters", &app.admin_token).await;
    assert_eq!(dead.body.as_array().map(Vec::len), Some(1), "not retried: {dead:?}");
    assert_eq!(dead.body[0]["last_error"], "e-mail is not set up on this server (smtp_url)");
    app.advance(SignedDuration::from_mins(10));
    assert_eq!(app.deliver().await.failed, 0, "a dead letter is not tried again");
}

#[tokio::test]
async fn contact_methods_are_checked_and_belong_to_their_owner() {
    let app = TestApp::spawn().await;
    let ada = app.person("Ada", Role::Responder).await;
    let sam = app.person("Sam", Role::Stakeholder).await;
    let path = "/api/v1/users/me/contact-methods";
    let bad = app.post(path, &ada.token, json!({"kind": "pager", "address": "x"})).await;
    assert_eq!((bad.status, bad.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["kind"]));
    let bad = app.post(path, &ada.token, json!({"kind": "ntfy", "address": "ntfy.sh/ada"})).await;
    assert_eq!(bad.fields(), ["address"]);
    let no_mail = app.post(path, &ada.token, json!({"kind": "email", "address": "ada@example.com"})).await;
    assert_eq!(no_mail.fields(), ["kind"], "e-mail needs smtp_url: {no_mail:?}");
    let unknown = app
        .post(path, &ada.token, json!({"kind": "ntfy", "address": "https://ntfy.example/a", "extra": 1}))
        .await;
    assert_eq!((unknown.status, unknown.error()), (StatusCode::BAD_REQUEST, "invalid_body"));
    let mine =
        app.post(path, &sam.token, json!({"kind": "ntfy", "address": "https://ntfy.example/sam"})).await;
    assert_eq!(mine.status, StatusCode::CREATED, "stakeholders are notified too");
    let id = mine.body["id"].as_str().unwrap();
    let foreign = app.post(&format!("{path}/{id}/verify"), &ada.token, json!({"code": "123456"})).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND, "only the owner sees a method");
    let rule =
        app.post("/api/v1/users/me/notification-rules", &ada.token, json!({"contact_method_id": id})).await;
    assert_eq!(rule.fields(), ["contact_method_id"]);
    assert_eq!(app.get(path, &ada.token).await.body, json!([]));
    assert_eq!(app.api(Method::GET, path, None, None).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_restarted_server_delivers_overdue_pages_at_once() {
    let OnCall { app, receiver, monitor, .. } = on_call(&["/grace", "/tomas"]).await;
    app.trigger(&monitor, "Payments down").await;
    // The server goes down before its engine ran, and stays down past the secondary's deadline.
    app.advance(SignedDuration::from_mins(7));
    let app = app.restart_with_background_jobs().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while page_messages(receiver.received("/tomas")).is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(page_messages(receiver.received("/grace")).len(), 1, "the missed first step");
    assert_eq!(page_messages(receiver.received("/tomas")).len(), 1, "and the overdue second, at once");
    drop(app);
}

fn hmac_hex(secret: &str, body: &str) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[tokio::test]
async fn the_web_ui_edits_policies_and_contact_methods_and_shows_the_delivery_log() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start(0).await;
    let grace = app.person("Grace", Role::Responder).await;
    let admin = app.sign_in("admin@example.com").await;
    let monitor = app.monitored_service("Checkout", "generic").await;

    let refused = admin
        .submit("/escalation-policies", "/escalation-policies", &[("name", "Broken"), ("step0_minutes", "5")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("steps[0].targets"), "the error names the step");
    let user_target = format!("user:{}", grace.id);
    let created = admin
        .submit(
            "/escalation-policies",
            "/escalation-policies",
            &[
                ("name", "Checkout"),
                ("step0_minutes", "5"),
                ("step0_targets", "tier:primary"),
                ("step0_targets", &user_target),
                ("repeat", "1"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text);
    let policy_path =
        created.location.expect("redirect to the policy").split('?').next().unwrap_or_default().to_owned();
    let shown = admin.get(&policy_path).await;
    assert!(shown.text.contains("Whoever is on call as primary for the service, Grace"), "{}", shown.text);
    assert!(shown.text.contains("Then 1 more round"));
    let policy_id = policy_path.rsplit('/').next().unwrap_or_default().to_owned();

    let service_page = format!("/services/{}", monitor.service_id);
    let set = admin
        .submit(
            &service_page,
            &format!("{service_page}/escalation"),
            &[
                ("escalation_policy_id", &policy_id),
                ("business_critical_minutes", "3"),
                ("urgent_minutes", "20"),
            ],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.text);
    let escalation =
        app.get(&format!("/api/v1/services/{}/escalation", monitor.service_id), &app.admin_token).await;
    assert_eq!(escalation.body["policy_name"], "Checkout");
    assert_eq!(escalation.body["response_targets"]["business_critical_minutes"], 3);

    let browser = app.sign_in(&grace.email).await;
    let page = "/settings/notifications";
    let added = browser
        .submit(
            page,
            "/settings/notifications/methods",
            &[("kind", "ntfy"), ("address", &receiver.url("/ntfy/grace")), ("label", "Phone")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text);
    app.deliver().await;
    let code = receiver.received("/ntfy/grace").last().expect("the code arrived by ntfy").code();
    let listed = browser.get(page).await.text;
    let method_id = listed
        .split("/settings/notifications/methods/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("method id")
        .to_owned();
    let wrong = browser
        .submit(page, &format!("/settings/notifications/methods/{method_id}/verify"), &[("code", "12345")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let verified = browser
        .submit(page, &format!("/settings/notifications/methods/{method_id}/verify"), &[("code", &code)])
        .await;
    assert_eq!(verified.status, StatusCode::SEE_OTHER, "{}", verified.text);
    let rule = browser
        .submit(
            page,
            "/settings/notifications/rules",
            &[("contact_method_id", &method_id), ("delay_minutes", "0")],
        )
        .await;
    assert_eq!(rule.status, StatusCode::SEE_OTHER, "{}", rule.text);
    let tested =
        browser.submit(page, &format!("/settings/notifications/methods/{method_id}/test"), &[]).await;
    assert_eq!(tested.status, StatusCode::SEE_OTHER);
    app.deliver().await;
    assert_eq!(
        receiver.received("/ntfy/grace").last().expect("the test").header("title"),
        "Test notification from Muster"
    );
    assert!(browser.get(page).await.text.contains("verified"));

    let alert = app.trigger(&monitor, "Checkout latency 4s").await;
    app.escalate().await;
    app.deliver().await;
    let push = receiver.received("/ntfy/grace").last().expect("the page").clone();
    assert_eq!(push.header("title"), "[Business critical] Checkout latency 4s");
    assert!(
        push.header("actions").contains("view, Acknowledge, http"),
        "ntfy action buttons: {}",
        push.header("actions")
    );
    let alert_page = browser.get(&format!("/alerts/{alert}")).await.text;
    assert!(
        alert_page.contains("Delivery log")
            && alert_page.contains("delivered")
            && alert_page.contains("ntfy"),
        "{alert_page}"
    );
    assert!(alert_page.contains("policy version 1"), "{alert_page}");
}

#[tokio::test]
async fn an_acknowledgement_that_times_out_pages_again_from_the_first_step() {
    let OnCall { app, receiver, grace, monitor, .. } = on_call(&["/grace"]).await;
    let path = format!("/api/v1/services/{}/escalation", monitor.service_id);
    let policy = app.get(&path, &app.admin_token).await.body["policy_id"].clone();
    let body = json!({"escalation_policy_id": policy, "acknowledgement_timeout_minutes": 30});
    let set = app.api(Method::PUT, &path, Some(&app.admin_token), Some(body)).await;
    assert_eq!(set.body["response_targets"]["acknowledgement_timeout_minutes"], 30, "{set:?}");
    let bad = app
        .api(
            Method::PUT,
            &path,
            Some(&app.admin_token),
            Some(json!({"escalation_policy_id": policy, "acknowledgement_timeout_minutes": 2000})),
        )
        .await;
    assert_eq!(bad.fields(), ["acknowledgement_timeout_minutes"]);

    let alert = app.trigger(&monitor, "Queue backlog growing").await;
    app.escalate().await;
    app.deliver().await;
    app.advance(SignedDuration::from_mins(2));
    app.post(&format!("/api/v1/alerts/{alert}/acknowledge"), &grace.token, json!({})).await;
    app.advance(SignedDuration::from_secs(30 * 60 - 1));
    assert_eq!(app.escalate().await, 0, "the acknowledgement holds for thirty minutes");
    app.advance(SignedDuration::from_secs(1));
    assert_eq!(app.escalate().await, 1, "then the first step is paged again");
    app.deliver().await;
    assert_eq!(page_messages(receiver.received("/grace")).len(), 2);
    let read = app.get(&format!("/api/v1/alerts/{alert}"), &app.admin_token).await;
    assert_eq!(read.body["status"], "triggered");
    let kinds: Vec<&str> =
        read.body["log"].as_array().unwrap().iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds, ["triggered", "paged", "acknowledged", "unacknowledged", "paged"]);
    let page = app.get(&format!("/api/v1/alerts/{alert}/page"), &app.admin_token).await;
    assert_eq!(
        (page.body["status"].as_str(), page.body["response"].as_str()),
        (Some("escalating"), Some("met"))
    );
}

#[tokio::test]
async fn a_storm_reaches_a_person_as_one_bundle_per_throttle_window_and_nothing_is_dropped() {
    let OnCall { app, receiver, monitor, .. } = on_call(&["/grace"]).await;
    app.trigger(&monitor, "db-1 down").await;
    app.escalate().await;
    assert_eq!(app.deliver().await.messages, 1, "the first page goes out at once");

    app.advance(SignedDuration::from_secs(10));
    let storm = ["db-2 down", "db-3 down", "db-4 down"];
    for summary in storm {
        app.trigger(&monitor, summary).await;
    }
    assert_eq!(app.escalate().await, 3);
    assert_eq!(app.deliver().await, Default::default(), "held back: Grace had a page ten seconds ago");
    app.advance(SignedDuration::from_secs(19));
    assert_eq!(app.deliver().await, Default::default());
    app.advance(SignedDuration::from_secs(1));
    let delivered = app.deliver().await;
    assert_eq!((delivered.messages, delivered.notifications), (1, 3), "one message carries all three");
    let messages = receiver.received("/grace");
    let bundle = messages.last().expect("the bundle").json();
    assert_eq!(bundle["title"], "3 alerts need you");
    for summary in storm {
        assert!(bundle["text"].as_str().unwrap_or_default().contains(summary), "{bundle}");
    }
    let alerts = app.alerts_of(&monitor.service_id).await;
    for alert in &alerts {
        let page = app
            .get(&format!("/api/v1/alerts/{}/page", alert["id"].as_str().unwrap()), &app.admin_token)
            .await;
        assert_eq!(page.body["notifications"][0]["status"], "delivered", "{page:?}");
        assert_eq!(page.body["notifications"][0]["attempts"], 1, "holding back is not an attempt");
    }
}

#[tokio::test]
async fn teams_and_mattermost_receive_their_own_message_shapes() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start(0).await;
    let ada = app.person("Ada", Role::Responder).await;
    for (kind, path) in [("teams", "/teams"), ("mattermost", "/mattermost")] {
        let body = json!({"kind": kind, "address": receiver.url(path)});
        let created = app.post("/api/v1/users/me/contact-methods", &ada.token, body).await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    }
    assert_eq!(app.deliver().await.messages, 2);
    let card = receiver.received("/teams")[0].json();
    assert_eq!(card["@type"], "MessageCard");
    assert!(
        card["title"].as_str().unwrap_or_default().starts_with("Your Muster verification code: "),
        "{card}"
    );
    let post = receiver.received("/mattermost")[0].json();
    assert!(
        post["text"].as_str().unwrap_or_default().starts_with("**Your Muster verification code: "),
        "{post}"
    );
    assert_eq!(receiver.received("/teams")[0].code().len(), 6);
}
