//! Who may call what: anonymous callers, roles, tokens, sessions, CSRF and sign-in limits.

use jiff::SignedDuration;
use muster_core::user::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, csrf_token};

#[tokio::test]
async fn every_api_route_refuses_anonymous_callers_with_the_json_error() {
    let app = TestApp::spawn().await;
    let routes = [
        (Method::GET, "/api/v1/users"),
        (Method::POST, "/api/v1/users"),
        (Method::GET, "/api/v1/users/me"),
        (Method::GET, "/api/v1/users/x"),
        (Method::PATCH, "/api/v1/users/x"),
        (Method::DELETE, "/api/v1/users/x"),
        (Method::GET, "/api/v1/teams"),
        (Method::POST, "/api/v1/teams"),
        (Method::GET, "/api/v1/teams/x"),
        (Method::PATCH, "/api/v1/teams/x"),
        (Method::DELETE, "/api/v1/teams/x"),
        (Method::PUT, "/api/v1/teams/x/members/y"),
        (Method::DELETE, "/api/v1/teams/x/members/y"),
        (Method::GET, "/api/v1/services"),
        (Method::POST, "/api/v1/services"),
        (Method::GET, "/api/v1/services/x"),
        (Method::PATCH, "/api/v1/services/x"),
        (Method::DELETE, "/api/v1/services/x"),
        (Method::GET, "/api/v1/services/x/keys"),
        (Method::POST, "/api/v1/services/x/keys"),
        (Method::DELETE, "/api/v1/services/x/keys/y"),
        (Method::GET, "/api/v1/tokens"),
        (Method::POST, "/api/v1/tokens"),
        (Method::DELETE, "/api/v1/tokens/x"),
        (Method::GET, "/api/v1/audit"),
        (Method::GET, "/api/v1/events"),
        (Method::GET, "/api/v1/openapi.json"),
    ];
    for (method, path) in routes {
        let reply = app.api(method.clone(), path, None, Some(json!({}))).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(reply.error(), "unauthenticated", "{method} {path}");
        assert!(reply.body["message"].as_str().is_some_and(|m| m.contains("Bearer")), "{method} {path}");
        let wrong = app.api(method.clone(), path, Some("mst_not-a-real-token"), Some(json!({}))).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{method} {path} with a wrong token");
    }
}

#[tokio::test]
async fn a_stakeholder_reads_but_cannot_create_a_service() {
    let app = TestApp::spawn().await;
    let morgan = app.person("Morgan", Role::Stakeholder).await;
    let refused = app.post("/api/v1/services", &morgan.token, json!({ "name": "Checkout" })).await;
    assert_eq!((refused.status, refused.error()), (StatusCode::FORBIDDEN, "forbidden"));
    assert!(app.service_names().await.is_empty(), "nothing was written");
    assert_eq!(app.get("/api/v1/services", &morgan.token).await.status, StatusCode::OK);
    assert_eq!(app.get("/api/v1/audit", &morgan.token).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn responders_run_services_and_teams_but_only_admins_manage_people() {
    let app = TestApp::spawn().await;
    let grace = app.person("Grace", Role::Responder).await;
    app.create_service(&grace.token, "Checkout", None).await;
    app.create_team(&grace.token, "Payments").await;
    let body = json!({ "name": "Eve", "email": "eve@example.com", "role": "admin" });
    assert_eq!(app.post("/api/v1/users", &grace.token, body.clone()).await.status, StatusCode::FORBIDDEN);
    let promote =
        app.patch(&format!("/api/v1/users/{}", grace.id), &grace.token, json!({ "role": "admin" })).await;
    assert_eq!(promote.status, StatusCode::FORBIDDEN, "nobody promotes themselves");
    assert_eq!(app.post("/api/v1/users", &app.admin_token, body).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_revoked_token_stops_working_at_once() {
    let app = TestApp::spawn().await;
    let created = app.post("/api/v1/tokens", &app.admin_token, json!({ "name": "deploy bot" })).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let secret = created.body["secret"].as_str().expect("the secret is shown once").to_owned();
    assert!(secret.starts_with("mst_"));
    assert_eq!(app.get("/api/v1/users/me", &secret).await.status, StatusCode::OK);

    let listed = app.get("/api/v1/tokens", &app.admin_token).await;
    assert!(listed.body.to_string().find(&secret).is_none(), "listings never show secrets");

    let id = created.body["id"].as_str().expect("id");
    let revoked =
        app.api(Method::DELETE, &format!("/api/v1/tokens/{id}"), Some(&app.admin_token), None).await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert_eq!(app.get("/api/v1/users/me", &secret).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn cookie_authenticated_api_writes_need_the_csrf_token() {
    let app = TestApp::spawn().await;
    let browser = app.sign_in("admin@example.com").await;
    let csrf = csrf_token(&browser.get("/services").await.text);
    assert_eq!(
        browser.api_post("/api/v1/services", None, json!({ "name": "Forged" })).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        browser.api_post("/api/v1/services", Some("wrong"), json!({ "name": "Forged" })).await,
        StatusCode::FORBIDDEN
    );
    assert!(app.service_names().await.is_empty());
    assert_eq!(
        browser.api_post("/api/v1/services", Some(&csrf), json!({ "name": "Real" })).await,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn sign_in_is_refused_after_five_failures_until_the_window_passes() {
    let app = TestApp::spawn().await;
    let browser = crate::helpers::Browser::new(&app.address);
    for _ in 0..5 {
        let failed = browser.try_sign_in("admin@example.com", "wrong password").await;
        assert_eq!(failed.status, StatusCode::UNAUTHORIZED);
        assert!(failed.text.contains("the e-mail address or the password is not right"));
    }
    let locked = browser.try_sign_in("admin@example.com", PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    app.advance(SignedDuration::from_mins(15));
    assert_eq!(browser.try_sign_in("admin@example.com", PASSWORD).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sessions_end_when_they_expire_or_on_sign_out() {
    let app = TestApp::spawn().await;
    let browser = app.sign_in("admin@example.com").await;
    assert_eq!(browser.get("/services").await.status, StatusCode::OK);
    app.advance(SignedDuration::from_hours(12));
    let expired = browser.get("/services").await;
    assert_eq!(expired.status, StatusCode::SEE_OTHER);
    assert_eq!(expired.location.as_deref(), Some("/login?next=%2Fservices"));

    let browser = app.sign_in("admin@example.com").await;
    let signed_out = browser.submit("/services", "/logout", &[]).await;
    assert_eq!(signed_out.location.as_deref(), Some("/login"));
    assert_eq!(browser.get("/services").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn session_cookies_are_http_only_and_same_site() {
    let app = TestApp::spawn().await;
    let form =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let login = form.get(format!("{}/login", app.address)).send().await.expect("login page");
    let login_cookie =
        login.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let token = csrf_token(&login.text().await.expect("html"));
    let cookie_value = login_cookie.split(';').next().unwrap_or("").to_owned();
    let signed_in = form
        .post(format!("{}/login", app.address))
        .header("cookie", cookie_value)
        .form(&[("csrf_token", token.as_str()), ("email", "admin@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .expect("sign in");
    let cookies: Vec<String> = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect();
    let session = cookies.iter().find(|c| c.starts_with("muster_session=")).expect("a session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax") && session.contains("Path=/"),
        "{session}"
    );
    assert!(!session.contains("Secure"), "plain http in tests; https public URLs add Secure");
}
