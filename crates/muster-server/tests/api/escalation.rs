//! Escalation policies and how services page, through the API: what is stored, what is refused
//! and why, and who may change them.

use muster_core::user::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn a_policy_is_written_read_replaced_and_attached_to_a_service() {
    let app = TestApp::spawn().await;
    let ada = app.person("Ada", Role::Responder).await;
    let team = app.create_team(&app.admin_token, "Payments SRE").await;
    let policy = json!({
        "name": "Payments",
        "description": "Primary, then Ada and the whole team",
        "steps": [
            { "escalate_after_minutes": 5, "targets": [{ "kind": "tier", "tier": "primary" }] },
            { "escalate_after_minutes": 10, "targets": [
                { "kind": "user", "id": ada.id },
                { "kind": "team", "id": team["id"] },
            ] },
        ],
        "repeat": 2,
    });
    let created = app.post("/api/v1/escalation-policies", &ada.token, policy.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    assert_eq!(created.body["version"], 1);
    assert_eq!(created.body["rules"]["repeat"], 2);
    assert_eq!(created.body["rules"]["steps"][0]["targets"][0], json!({ "kind": "tier", "tier": "primary" }));
    assert_eq!(created.body["rules"]["steps"][1]["targets"][0], json!({ "kind": "user", "id": ada.id }));
    let id = created.body["id"].as_str().expect("policy id");

    let listed = app.get("/api/v1/escalation-policies", &ada.token).await;
    assert_eq!(listed.body["items"][0]["name"], "Payments");

    // What was read back can be sent again: the same shape in and out.
    let mut changed = json!({ "name": "Payments", "steps": created.body["rules"]["steps"], "repeat": 2 });
    changed["steps"][0]["escalate_after_minutes"] = json!(3);
    let replaced = app
        .api(Method::PUT, &format!("/api/v1/escalation-policies/{id}"), Some(&ada.token), Some(changed))
        .await;
    assert_eq!((replaced.status, replaced.body["version"].clone()), (StatusCode::OK, json!(2)));
    assert_eq!(replaced.body["rules"]["steps"][0]["escalate_after_minutes"], 3);

    let service = app.create_service(&ada.token, "Checkout", None).await;
    let path = format!("/api/v1/services/{}/escalation", service["id"].as_str().expect("service id"));
    let before = app.get(&path, &ada.token).await;
    assert_eq!(before.body["policy_id"], json!(null));
    assert_eq!(
        before.body["response_targets"],
        json!({ "business_critical_minutes": 5, "urgent_minutes": 30, "acknowledgement_timeout_minutes": null })
    );
    let set = app
        .api(
            Method::PUT,
            &path,
            Some(&ada.token),
            Some(json!({ "escalation_policy_id": id, "business_critical_minutes": 2 })),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{set:?}");
    assert_eq!(set.body["policy_name"], "Payments");
    assert_eq!(
        set.body["response_targets"],
        json!({ "business_critical_minutes": 2, "urgent_minutes": 30, "acknowledgement_timeout_minutes": null })
    );
    assert_eq!(app.get(&path, &ada.token).await.body, set.body);

    let in_use =
        app.api(Method::DELETE, &format!("/api/v1/escalation-policies/{id}"), Some(&ada.token), None).await;
    assert_eq!((in_use.status, in_use.fields()), (StatusCode::CONFLICT, vec!["escalation_policy"]));
    app.api(Method::PUT, &path, Some(&ada.token), Some(json!({ "escalation_policy_id": null }))).await;
    let deleted =
        app.api(Method::DELETE, &format!("/api/v1/escalation-policies/{id}"), Some(&ada.token), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = app.get(&format!("/api/v1/escalation-policies/{id}"), &ada.token).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_policies_are_refused_with_every_field_named() {
    let app = TestApp::spawn().await;
    let cases = [
        (json!({ "name": "P" }), StatusCode::BAD_REQUEST, vec!["steps"]),
        (json!({ "name": "P", "steps": [] }), StatusCode::UNPROCESSABLE_ENTITY, vec!["steps"]),
        (
            json!({ "name": "P", "steps": [{ "escalate_after_minutes": 5, "targets": [] }] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["steps[0].targets"],
        ),
        (
            json!({ "name": "", "repeat": 12, "steps": [
                { "escalate_after_minutes": 0, "targets": [{ "kind": "pager", "id": "x" }] },
                { "targets": [{ "kind": "tier", "tier": "tertiary" }] },
            ] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![
                "name",
                "repeat",
                "steps[0].escalate_after_minutes",
                "steps[0].targets[0].kind",
                "steps[1].escalate_after_minutes",
                "steps[1].targets[0].tier",
            ],
        ),
        (
            json!({ "name": "P", "steps": [{ "escalate_after_minutes": 5, "targets": [
                { "kind": "user", "id": "nobody" }, { "kind": "schedule", "id": "no-schedule" },
            ] }] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["steps[0].targets[0].id", "steps[0].targets[1].id"],
        ),
    ];
    for (body, status, fields) in cases {
        let reply = app.post("/api/v1/escalation-policies", &app.admin_token, body.clone()).await;
        assert_eq!(reply.status, status, "{body}: {reply:?}");
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            assert_eq!(reply.fields(), fields, "{body}");
        } else {
            assert!(reply.body["message"].as_str().unwrap_or("").contains(fields[0]), "{reply:?}");
        }
    }
    let listed = app.get("/api/v1/escalation-policies", &app.admin_token).await;
    assert_eq!(listed.body["items"], json!([]), "nothing refused was written");

    let service = app.create_service(&app.admin_token, "Search", None).await;
    let path = format!("/api/v1/services/{}/escalation", service["id"].as_str().expect("id"));
    let refused = app
        .api(
            Method::PUT,
            &path,
            Some(&app.admin_token),
            Some(json!({ "escalation_policy_id": "nope", "urgent_minutes": 1441 })),
        )
        .await;
    assert_eq!(
        (refused.status, refused.fields()),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["urgent_minutes"])
    );
    let unknown = app
        .api(Method::PUT, &path, Some(&app.admin_token), Some(json!({ "escalation_policy_id": "nope" })))
        .await;
    assert_eq!(
        (unknown.status, unknown.fields()),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["escalation_policy_id"])
    );
}

#[tokio::test]
async fn stakeholders_read_policies_but_cannot_change_them() {
    let app = TestApp::spawn().await;
    let viewer = app.person("Vic", Role::Stakeholder).await;
    let body = json!({ "name": "P", "steps": [{ "escalate_after_minutes": 5, "targets": [{ "kind": "tier", "tier": "primary" }] }] });
    let refused = app.post("/api/v1/escalation-policies", &viewer.token, body.clone()).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let created = app.post("/api/v1/escalation-policies", &app.admin_token, body).await;
    let id = created.body["id"].as_str().expect("id");
    assert_eq!(
        app.get(&format!("/api/v1/escalation-policies/{id}"), &viewer.token).await.status,
        StatusCode::OK
    );
    let anonymous = app.api(Method::GET, "/api/v1/escalation-policies", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let delete = app
        .api(Method::DELETE, &format!("/api/v1/escalation-policies/{id}"), Some(&viewer.token), None)
        .await;
    assert_eq!(delete.status, StatusCode::FORBIDDEN);
}
