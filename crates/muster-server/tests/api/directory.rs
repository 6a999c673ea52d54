//! Users, teams, services and keys through the API: what is written, and what is refused and why.

use muster_core::user::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn a_service_gets_an_owner_and_keys_with_the_urls_to_paste() {
    let app = TestApp::spawn().await;
    let team = app.create_team(&app.admin_token, "Payments SRE").await;
    let team_id = team["id"].as_str().expect("team id");
    let service = app.create_service(&app.admin_token, "Checkout API", Some(team_id)).await;
    assert_eq!(service["team_name"], "Payments SRE");
    let id = service["id"].as_str().expect("service id");

    let key = app
        .post(&format!("/api/v1/services/{id}/keys"), &app.admin_token, json!({ "kind": "alertmanager" }))
        .await;
    assert_eq!(key.status, StatusCode::CREATED);
    let secret = key.body["key"].as_str().expect("key");
    assert_eq!(secret.len(), 32);
    assert_eq!(key.body["ingestion"]["url"], format!("{}/api/v1/ingest/alertmanager/{secret}", app.address));
    let pd = app
        .post(
            &format!("/api/v1/services/{id}/keys"),
            &app.admin_token,
            json!({ "kind": "pagerduty", "name": "legacy" }),
        )
        .await;
    assert_eq!(pd.body["ingestion"]["url"], format!("{}/v2/enqueue", app.address));

    let key_id = key.body["id"].as_str().expect("key id");
    let revoked = app
        .api(Method::DELETE, &format!("/api/v1/services/{id}/keys/{key_id}"), Some(&app.admin_token), None)
        .await;
    assert!(revoked.body["revoked_at"].is_string());
    let keys = app.get(&format!("/api/v1/services/{id}/keys"), &app.admin_token).await;
    assert_eq!(keys.body.as_array().map(Vec::len), Some(2));

    let orphaned =
        app.patch(&format!("/api/v1/services/{id}"), &app.admin_token, json!({ "team_id": null })).await;
    assert_eq!((orphaned.status, orphaned.body["team_id"].is_null()), (StatusCode::OK, true));
    let deleted =
        app.api(Method::DELETE, &format!("/api/v1/services/{id}"), Some(&app.admin_token), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/api/v1/services/{id}"), &app.admin_token).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn bad_input_is_refused_with_the_field_named_and_nothing_written() {
    let app = TestApp::spawn().await;
    let cases = [
        (json!({}), StatusCode::BAD_REQUEST, "invalid_body", "name"),
        (json!({ "name": "" }), StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", "name"),
        (json!({ "name": "x".repeat(101) }), StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", "name"),
        (
            json!({ "name": "API", "description": "d".repeat(2001) }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "description",
        ),
        (json!({ "name": "API", "owner": "me" }), StatusCode::BAD_REQUEST, "invalid_body", "owner"),
        (json!({ "name": 42 }), StatusCode::BAD_REQUEST, "invalid_body", "name"),
        (
            json!({ "name": "API", "team_id": "no-such-team" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "team_id",
        ),
    ];
    for (body, status, code, field) in cases {
        let reply = app.post("/api/v1/services", &app.admin_token, body.clone()).await;
        assert_eq!((reply.status, reply.error()), (status, code), "{body}");
        assert_eq!(reply.fields(), [field], "{body}");
        assert!(reply.body["message"].as_str().is_some_and(|m| m.starts_with(field)), "{body}: {reply:?}");
    }
    let bad_zone =
        json!({ "name": "Eve", "email": "eve@example.com", "role": "responder", "time_zone": "Mars/Base" });
    let reply = app.post("/api/v1/users", &app.admin_token, bad_zone).await;
    assert_eq!((reply.status, reply.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["time_zone"]));
    let bad_role = json!({ "name": "Eve", "email": "eve@example.com", "role": "owner" });
    assert_eq!(app.post("/api/v1/users", &app.admin_token, bad_role).await.fields(), ["role"]);
    let short =
        json!({ "name": "Eve", "email": "eve@example.com", "role": "responder", "password": "short" });
    assert_eq!(app.post("/api/v1/users", &app.admin_token, short).await.fields(), ["password"]);

    assert!(app.service_names().await.is_empty());
    let people = app.get("/api/v1/users", &app.admin_token).await;
    assert_eq!(people.body["items"].as_array().map(Vec::len), Some(1), "only the admin exists");
}

#[tokio::test]
async fn oversized_and_non_json_bodies_are_refused() {
    let app = TestApp::spawn().await;
    let huge = json!({ "name": "API", "description": "x".repeat(70 * 1024) });
    let reply = app.post("/api/v1/services", &app.admin_token, huge).await;
    assert_eq!(
        (reply.status, reply.error(), reply.fields()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", vec!["body"])
    );

    let form = reqwest::Client::new()
        .post(format!("{}/api/v1/services", app.address))
        .bearer_auth(&app.admin_token)
        .form(&[("name", "API")])
        .send()
        .await
        .expect("reply");
    assert_eq!(form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(app.service_names().await.is_empty());
}

#[tokio::test]
async fn names_are_unique_ignoring_case_and_conflicts_say_so() {
    let app = TestApp::spawn().await;
    app.create_service(&app.admin_token, "Checkout", None).await;
    let clash = app.post("/api/v1/services", &app.admin_token, json!({ "name": "CHECKOUT" })).await;
    assert_eq!(
        (clash.status, clash.error(), clash.fields()),
        (StatusCode::CONFLICT, "conflict", vec!["name"])
    );
    let email = json!({ "name": "Twin", "email": "ADMIN@example.com", "role": "responder" });
    assert_eq!(app.post("/api/v1/users", &app.admin_token, email).await.fields(), ["email"]);
}

#[tokio::test]
async fn lists_come_in_pages() {
    let app = TestApp::spawn().await;
    for name in ["a", "b", "c"] {
        app.create_service(&app.admin_token, name, None).await;
    }
    let first = app.get("/api/v1/services?limit=2", &app.admin_token).await;
    assert_eq!(first.body["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(first.body["next_offset"], 2);
    let last = app.get("/api/v1/services?limit=2&offset=2", &app.admin_token).await;
    assert_eq!(
        (last.body["items"][0]["name"].as_str(), last.body["next_offset"].is_null()),
        (Some("c"), true)
    );
    let too_many = app.get("/api/v1/services?limit=500", &app.admin_token).await;
    assert_eq!((too_many.status, too_many.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["limit"]));
}

#[tokio::test]
async fn teams_gain_and_lose_members_and_keep_services_owned() {
    let app = TestApp::spawn().await;
    let grace = app.person("Grace", Role::Responder).await;
    let team = app.create_team(&app.admin_token, "Platform").await;
    let id = team["id"].as_str().expect("id");
    let path = format!("/api/v1/teams/{id}/members/{}", grace.id);
    let joined = app.api(Method::PUT, &path, Some(&app.admin_token), None).await;
    assert_eq!(joined.body["members"][0]["email"], "grace@example.com");
    let unknown = app
        .api(Method::PUT, &format!("/api/v1/teams/{id}/members/nobody"), Some(&app.admin_token), None)
        .await;
    assert_eq!((unknown.status, unknown.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["user_id"]));

    app.create_service(&app.admin_token, "Kubernetes", Some(id)).await;
    let refused = app.api(Method::DELETE, &format!("/api/v1/teams/{id}"), Some(&app.admin_token), None).await;
    assert_eq!((refused.status, refused.fields()), (StatusCode::CONFLICT, vec!["team"]));

    let left = app.api(Method::DELETE, &path, Some(&app.admin_token), None).await;
    assert_eq!(left.body["members"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn people_change_their_own_profile_and_prove_their_password() {
    let app = TestApp::spawn().await;
    let grace = app.person("Grace", Role::Responder).await;
    let me = format!("/api/v1/users/{}", grace.id);
    let moved = app.patch(&me, &grace.token, json!({ "time_zone": "Asia/Kolkata" })).await;
    assert_eq!((moved.status, moved.body["time_zone"].as_str()), (StatusCode::OK, Some("Asia/Kolkata")));
    let other = app.patch("/api/v1/users/someone-else", &grace.token, json!({ "name": "X" })).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);

    let no_proof = app.patch(&me, &grace.token, json!({ "password": "a brand new secret" })).await;
    assert_eq!(no_proof.fields(), ["current_password"]);
    let wrong = json!({ "password": "a brand new secret", "current_password": "guess guess" });
    assert_eq!(app.patch(&me, &grace.token, wrong).await.fields(), ["current_password"]);
    let right = json!({ "password": "a brand new secret", "current_password": crate::helpers::PASSWORD });
    assert_eq!(app.patch(&me, &grace.token, right).await.status, StatusCode::OK);
    let browser = crate::helpers::Browser::new(&app.address);
    assert_eq!(
        browser.try_sign_in("grace@example.com", "a brand new secret").await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn deactivated_people_lose_access_but_keep_their_history() {
    let app = TestApp::spawn().await;
    let leaver = app.person("Leaver", Role::Responder).await;
    let gone =
        app.api(Method::DELETE, &format!("/api/v1/users/{}", leaver.id), Some(&app.admin_token), None).await;
    assert!(gone.body["deactivated_at"].is_string());
    assert_eq!(app.get("/api/v1/users/me", &leaver.token).await.status, StatusCode::UNAUTHORIZED);
    let browser = crate::helpers::Browser::new(&app.address);
    assert_eq!(
        browser.try_sign_in("leaver@example.com", crate::helpers::PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get(&format!("/api/v1/users/{}", leaver.id), &app.admin_token).await.body["name"],
        "Leaver"
    );
}

#[tokio::test]
async fn the_audit_log_names_who_did_each_write() {
    let app = TestApp::spawn().await;
    app.create_service(&app.admin_token, "Checkout", None).await;
    let log = app.get("/api/v1/audit", &app.admin_token).await;
    let newest = &log.body["items"][0];
    assert_eq!(
        (newest["action"].as_str(), newest["actor"].as_str()),
        (Some("service.create"), Some("Admin"))
    );
    assert_eq!(newest["at"], "2026-11-23T09:00:00Z", "the manual clock stamps writes");
}
