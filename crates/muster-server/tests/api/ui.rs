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
