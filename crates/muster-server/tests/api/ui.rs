//! The web UI as a browser without JavaScript sees it: forms, CSRF, redirects, escaping, time zones.

use muster_core::user::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Browser, TestApp};

#[tokio::test]
async fn pages_send_anonymous_visitors_to_sign_in_and_back() {
    let app = TestApp::spawn().await;
    let anonymous = Browser::new(&app.address);
    let page = anonymous.get("/teams?offset=0").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/login?next=%2Fteams%3Foffset%3D0"));
    let form = anonymous.get("/login?next=/teams").await;
    assert!(form.text.contains(r#"name="next" value="/teams""#));
    let offsite = anonymous.get("/login?next=//evil.example").await;
    assert!(offsite.text.contains(r#"name="next" value="/services""#), "no open redirect");
}

#[tokio::test]
async fn a_form_post_without_the_csrf_token_is_refused() {
    let app = TestApp::spawn().await;
    let browser = app.sign_in("admin@example.com").await;
    let forged = browser.post_form("/services", &[("name", "Forged")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.text.contains("security token"));
    let wrong = browser.post_form("/services", &[("csrf_token", "guess"), ("name", "Forged")]).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let login_forged = Browser::new(&app.address)
        .post_form("/login", &[("csrf_token", "x"), ("email", "admin@example.com"), ("password", "y")])
        .await;
    assert_eq!(login_forged.status, StatusCode::FORBIDDEN, "the sign-in form is protected too");
    assert!(app.service_names().await.is_empty());
}

#[tokio::test]
async fn an_admin_creates_a_service_and_a_key_through_the_forms() {
    let app = TestApp::spawn().await;
    let browser = app.sign_in("admin@example.com").await;
    let created = browser
        .submit(
            "/services",
            "/services",
            &[("name", "Checkout API"), ("description", "Takes orders"), ("team_id", "")],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let location = created.location.expect("redirect to the new service");
    assert!(location.ends_with("?done=service-created"), "{location}");
    let path = location.split('?').next().unwrap_or_default().to_owned();

    let key = browser
        .submit(&path, &format!("{path}/keys"), &[("kind", "grafana"), ("name", "prod grafana")])
        .await;
    assert_eq!(key.status, StatusCode::SEE_OTHER);
    let page = browser.get(&path).await;
    assert!(page.text.contains("prod grafana"));
    assert!(
        page.text.contains(&format!("{}/api/v1/ingest/grafana/", app.address)),
        "the URL to paste is shown"
    );
    let list = browser.get("/services").await;
    assert!(list.text.contains("Checkout API") && list.text.contains("Takes orders"));
}

#[tokio::test]
async fn a_rejected_form_comes_back_with_the_problem_and_what_was_typed() {
    let app = TestApp::spawn().await;
    let browser = app.sign_in("admin@example.com").await;
    let rejected = browser
        .submit(
            "/users",
            "/users",
            &[
                ("name", "Eve"),
                ("email", "eve@example.com"),
                ("time_zone", "Mars/Base"),
                ("role", "responder"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(rejected.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(rejected.text.contains("<strong>time_zone</strong>"));
    assert!(rejected.text.contains(r#"value="eve@example.com""#), "the form keeps what was typed");
}

#[tokio::test]
async fn html_in_names_is_shown_as_text() {
    let app = TestApp::spawn().await;
    app.create_service(&app.admin_token, "<script>alert(1)</script>", None).await;
    let browser = app.sign_in("admin@example.com").await;
    let page = browser.get("/services").await;
    assert!(!page.text.contains("<script>alert(1)</script>"));
    assert!(
        page.text.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
            || page.text.contains("&lt;script&gt;")
    );
}

#[tokio::test]
async fn times_are_shown_in_the_readers_time_zone() {
    let app = TestApp::spawn().await;
    let priya = app.person("Priya", Role::Responder).await;
    app.patch(&format!("/api/v1/users/{}", priya.id), &priya.token, json!({ "time_zone": "Asia/Kolkata" }))
        .await;
    let service = app.create_service(&app.admin_token, "Checkout", None).await;
    let browser = app.sign_in(&priya.email).await;
    let page = browser.get(&format!("/services/{}", service["id"].as_str().expect("id"))).await;
    assert!(page.text.contains("2026-11-23 14:30 IST"), "09:00 UTC is 14:30 in Kolkata");
}

#[tokio::test]
async fn a_stakeholder_sees_no_forms_and_cannot_post_them() {
    let app = TestApp::spawn().await;
    app.person("Morgan", Role::Stakeholder).await;
    let browser = app.sign_in("morgan@example.com").await;
    let page = browser.get("/services").await;
    assert!(!page.text.contains("New service"));
    let refused = browser.submit("/services", "/services", &[("name", "Sneaky")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(browser.get("/audit").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_new_api_token_is_shown_once_on_the_settings_page() {
    let app = TestApp::spawn().await;
    let browser = app.sign_in("admin@example.com").await;
    let created = browser.submit("/settings", "/settings/tokens", &[("name", "laptop")]).await;
    assert_eq!(created.status, StatusCode::OK);
    let marker = r#"<span class="secret" id="new-token">"#;
    let start = created.text.find(marker).expect("the token is shown") + marker.len();
    let secret = created.text[start..].split('<').next().unwrap_or_default().to_owned();
    assert_eq!(app.get("/api/v1/users/me", &secret).await.body["email"], "admin@example.com");
    assert!(!browser.get("/settings").await.text.contains(&secret), "never shown again");
}

#[tokio::test]
async fn changing_ones_password_keeps_one_signed_in() {
    let app = TestApp::spawn().await;
    let browser = app.sign_in("admin@example.com").await;
    let changed = browser
        .submit(
            "/settings",
            "/settings/password",
            &[("current_password", crate::helpers::PASSWORD), ("password", "another long secret")],
        )
        .await;
    assert_eq!(changed.location.as_deref(), Some("/settings?done=password-changed"));
    assert_eq!(browser.get("/settings").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_schedule_is_made_from_a_template_and_shown_as_a_week_in_the_readers_zone() {
    let app = TestApp::spawn().await;
    for name in ["Lou", "Liz"] {
        app.person(name, Role::Responder).await;
    }
    let browser = app.sign_in("admin@example.com").await;
    let team = app.create_team(&app.admin_token, "Payments").await;
    let team = team["id"].as_str().expect("team id").to_owned();
    let form = [
        ("template", "daily"),
        ("name", "Payments primary"),
        ("time_zone", "America/New_York"),
        ("start", "2026-11-23"),
        ("participants", "lou@example.com, LIZ@example.com"),
        ("team_id", team.as_str()),
    ];
    let created = browser.submit("/schedules", "/schedules", &form).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text);
    let path = created.location.expect("to the schedule").split('?').next().unwrap_or_default().to_owned();
    let page = browser.get(&path).await;
    // Daily hand-off at 09:00 New York is 14:00 in the admin's London.
    assert!(page.text.contains("14:00–24:00 Lou"), "{}", page.text);
    assert!(page.text.contains("00:00–14:00 Lou") && page.text.contains("14:00–24:00 Liz"));
    assert!(page.text.contains("Rules in America/New_York; times on this page in your zone, Europe/London."));
    let schedule = path.trim_start_matches("/schedules/");
    let made = app.get(&format!("/api/v1/schedules/{schedule}"), &app.admin_token).await.body;
    assert_eq!(made["team_id"].as_str(), Some(team.as_str()), "the form's team owns the schedule");
    let list = browser.get("/schedules").await;
    assert!(list.text.contains("Payments primary"));
    let lou = app.get("/api/v1/users?limit=200", &app.admin_token).await.body["items"]
        .as_array()
        .and_then(|all| {
            all.iter().find(|u| u["name"] == "Lou").and_then(|u| u["id"].as_str().map(str::to_owned))
        })
        .expect("Lou");
    let lous_page = browser.get(&format!("/users/{lou}")).await;
    assert!(
        lous_page.text.contains("On call in the next two weeks")
            && lous_page.text.contains("2026-11-23 14:00 GMT"),
        "{}",
        lous_page.text
    );

    let unknown = browser
        .submit(
            "/schedules",
            "/schedules",
            &[
                ("template", "weekly"),
                ("name", "X"),
                ("time_zone", "UTC"),
                ("start", "2026-11-23"),
                ("participants", "nobody@example.com"),
            ],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.text.contains(
        "<strong>participants</strong>: nobody@example.com is not the e-mail address of an active person"
    ));
}

#[tokio::test]
async fn an_override_is_entered_in_the_readers_local_time() {
    let app = TestApp::spawn().await;
    let lou = app.person("Lou", Role::Responder).await;
    let cy = app.person("Cy", Role::Responder).await;
    let body = json!({"template": "weekly", "name": "Primary", "time_zone": "Europe/London", "start": "2026-11-23", "participants": [lou.id]});
    let created = app.post("/api/v1/schedules/from-template", &app.admin_token, body).await;
    let id = created.body[0]["id"].as_str().expect("id").to_owned();
    let browser = app.sign_in("admin@example.com").await;
    let path = format!("/schedules/{id}");
    let form = [
        ("kind", "replace"),
        ("person_id", lou.id.as_str()),
        ("cover_id", cy.id.as_str()),
        ("start", "2026-11-24T10:00"),
        ("end", "2026-11-24T12:30"),
    ];
    let added = browser.submit(&path, &format!("{path}/overrides"), &form).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text);
    let at =
        app.get(&format!("/api/v1/schedules/{id}/oncall?at=2026-11-24T11:00:00Z"), &app.admin_token).await;
    assert_eq!(at.body["schedules"][0]["on_call"][0]["name"], "Cy", "10:00 London is 10:00 UTC in November");
    let page = browser.get(&path).await;
    assert!(page.text.contains("Cy covers for Lou"));
    assert!(page.text.contains("10:00–12:30 Cy"));
    let backwards = browser
        .submit(
            &path,
            &format!("{path}/overrides"),
            &[
                ("kind", "add"),
                ("person_id", cy.id.as_str()),
                ("start", "2026-11-25T12:00"),
                ("end", "2026-11-25T10:00"),
            ],
        )
        .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(backwards.text.contains("<strong>end</strong>: must be after start"));
}

#[tokio::test]
async fn the_calendar_address_is_shown_once_and_revocable_from_settings() {
    let app = TestApp::spawn().await;
    let browser = app.sign_in("admin@example.com").await;
    let made = browser.submit("/settings", "/settings/calendar", &[]).await;
    assert_eq!(made.status, StatusCode::OK);
    let marker = r#"<span class="secret" id="calendar-address">"#;
    let start = made.text.find(marker).expect("the address is shown") + marker.len();
    let address = made.text[start..].split('<').next().unwrap_or_default().to_owned();
    assert!(address.starts_with(&format!("{}/ical/cal_", app.address)), "{address}");
    assert_eq!(reqwest::get(&address).await.expect("feed").status(), StatusCode::OK);
    let settings = browser.get("/settings").await.text;
    assert!(!settings.contains(&address), "never shown again");
    assert!(settings.contains("<title>Your settings · Muster</title>"));
    assert_eq!(settings.matches("<h2>Calendar</h2>").count(), 1);
    let revoked = browser.submit("/settings", "/settings/calendar/revoke", &[]).await;
    assert_eq!(revoked.location.as_deref(), Some("/settings?done=calendar-revoked"));
    assert_eq!(reqwest::get(&address).await.expect("reply").status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn cover_is_asked_for_and_taken_through_the_schedule_page() {
    let app = TestApp::spawn().await;
    let lou = app.person("Lou", Role::Responder).await;
    let liz = app.person("Liz", Role::Responder).await;
    let body = json!({"template": "weekly", "name": "Primary", "time_zone": "Europe/London", "start": "2026-11-23", "participants": [lou.id, liz.id]});
    let created = app.post("/api/v1/schedules/from-template", &app.admin_token, body).await;
    let path = format!("/schedules/{}", created.body[0]["id"].as_str().expect("id"));

    let lous_browser = app.sign_in("lou@example.com").await;
    let asked = lous_browser
        .submit(
            &path,
            &format!("{path}/cover"),
            &[("start", "2026-11-25T18:00"), ("end", "2026-11-25T22:00"), ("note", "a concert")],
        )
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.text);
    let lous_view = lous_browser.get(&path).await;
    assert!(
        lous_view.text.contains("a concert") && lous_view.text.contains("Withdraw"),
        "Lou can withdraw her own request"
    );

    let liz_browser = app.sign_in("liz@example.com").await;
    let page = liz_browser.get(&path).await;
    let marker = "/cover/";
    let start = page.text.find(marker).expect("an open request") + marker.len();
    let request_id = page.text[start..].split('/').next().unwrap_or_default().to_owned();
    let taken = liz_browser.submit(&path, &format!("{path}/cover/{request_id}/accept"), &[]).await;
    assert_eq!(taken.status, StatusCode::SEE_OTHER, "{}", taken.text);
    let after = liz_browser.get(&path).await;
    assert!(after.text.contains("Liz covers for Lou"));
    assert!(after.text.contains("18:00–22:00 Liz"));
}

#[tokio::test]
async fn a_responder_finds_an_alert_acknowledges_annotates_and_resolves_it_through_the_pages() {
    let app = TestApp::spawn().await;
    let pd = app.monitored_service("Checkout", "pagerduty").await;
    let event = json!({"routing_key": pd.key, "event_action": "trigger", "dedup_key": "5xx",
        "payload": {"summary": "Checkout <b>500s</b>", "source": "lb-1", "severity": "critical", "custom_details": {"rate": "12%"}}});
    assert_eq!(app.send_json("/v2/enqueue", &[], event).await.status, StatusCode::ACCEPTED);
    app.person("Ada", Role::Responder).await;
    let browser = app.sign_in("ada@example.com").await;

    let list = browser.get("/alerts").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.text.contains("Checkout &#60;b&#62;500s&#60;/b&#62;"),
        "summaries are escaped: {}",
        list.text
    );
    assert!(
        list.text.contains("business critical") && list.text.contains("2026-11-23 09:00 GMT"),
        "times in the reader's zone"
    );
    let none = browser.get("/alerts?status=resolved").await;
    assert!(none.text.contains("No alerts match"));
    let bad = browser.get("/alerts?q=x&status=open&cursor=forged").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("cursor"));

    let id = app.alerts_of(&pd.service_id).await[0]["id"].as_str().unwrap().to_owned();
    let page_path = format!("/alerts/{id}");
    let page = browser.get(&page_path).await;
    assert!(page.text.contains("&#34;rate&#34;: &#34;12%&#34;"), "details are shown, escaped");
    let acked = browser.submit(&page_path, &format!("{page_path}/acknowledge"), &[]).await;
    assert_eq!(acked.location.as_deref(), Some(format!("{page_path}?done=alert-acknowledged").as_str()));
    let empty_note = browser.submit(&page_path, &format!("{page_path}/notes"), &[("text", " ")]).await;
    assert_eq!(empty_note.status, StatusCode::UNPROCESSABLE_ENTITY);
    browser.submit(&page_path, &format!("{page_path}/notes"), &[("text", "Rolled back release 4.2")]).await;
    browser.submit(&page_path, &format!("{page_path}/resolve"), &[]).await;
    let page = browser.get(&page_path).await;
    assert!(
        page.text.contains("Rolled back release 4.2")
            && page.text.contains("Resolved 2026-11-23 09:00 GMT by Ada"),
        "{}",
        page.text
    );
    assert!(!page.text.contains("/acknowledge\""), "no buttons on a resolved alert");
}

#[tokio::test]
async fn a_service_page_sets_priorities_limits_maintenance_and_heartbeats() {
    let app = TestApp::spawn().await;
    let gf = app.monitored_service("Frontend", "grafana").await;
    let browser = app.sign_in("admin@example.com").await;
    let path = format!("/services/{}", gf.service_id);
    let saved = browser
        .submit(
            &path,
            &format!("{path}/alert-settings"),
            &[
                ("critical", "business_critical"),
                ("error", "urgent"),
                ("warning", "urgent"),
                ("info", "normal"),
                ("rate_limit_per_minute", ""),
                ("open_alert_cap", "50"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let settings =
        app.get(&format!("/api/v1/services/{}/alert-settings", gf.service_id), &app.admin_token).await.body;
    assert_eq!(
        (
            settings["priorities"]["warning"].as_str(),
            settings["rate_limit_per_minute"].as_u64(),
            settings["open_alert_cap"].as_u64()
        ),
        (Some("urgent"), None, Some(50))
    );
    let bad = browser
        .submit(
            &path,
            &format!("{path}/alert-settings"),
            &[
                ("critical", "business_critical"),
                ("error", "urgent"),
                ("warning", "urgent"),
                ("info", "normal"),
                ("rate_limit_per_minute", "lots"),
                ("open_alert_cap", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("rate_limit_per_minute"));

    browser
        .submit(&path, &format!("{path}/maintenance"), &[("minutes", "120"), ("reason", "database upgrade")])
        .await;
    let page = browser.get(&path).await;
    assert!(
        page.text.contains("2026-11-23 09:00 GMT to 2026-11-23 11:00 GMT: database upgrade"),
        "{}",
        page.text
    );
    browser
        .submit(
            &path,
            &format!("{path}/heartbeats"),
            &[("name", "nightly backup"), ("interval_minutes", "1440")],
        )
        .await;
    let page = browser.get(&path).await;
    assert!(
        page.text.contains("nightly backup")
            && page.text.contains("1440 min")
            && page.text.contains("/api/v1/heartbeats/")
    );
    let signing =
        browser.submit(&path, &format!("{path}/keys/{}/signing", gf.key_id), &[("secret", "short")]).await;
    assert_eq!(signing.status, StatusCode::UNPROCESSABLE_ENTITY, "the secret's length is checked");
    let signing = browser
        .submit(&path, &format!("{path}/keys/{}/signing", gf.key_id), &[("secret", "a-long-enough-secret")])
        .await;
    assert_eq!(signing.status, StatusCode::SEE_OTHER);
    let unsigned =
        app.send(&format!("/api/v1/ingest/grafana/{}", gf.key), &[], json!({"alerts": []}).to_string()).await;
    assert_eq!(unsigned.status, StatusCode::UNAUTHORIZED, "the key now requires signatures");
}
