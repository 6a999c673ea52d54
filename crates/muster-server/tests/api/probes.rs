//! Health, readiness, metrics and the API's own documentation.

use reqwest::StatusCode;

use crate::helpers::TestApp;

async fn fetch(app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = reqwest::get(format!("{}{path}", app.address)).await.expect("reply");
    (response.status(), response.text().await.expect("body"))
}

#[tokio::test]
async fn probes_report_health_and_readiness() {
    let app = TestApp::spawn().await;
    assert_eq!(fetch(&app, "/healthz").await, (StatusCode::OK, r#"{"status":"ok"}"#.to_owned()));
    let (status, body) = fetch(&app, "/readyz").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(r#""status":"ready""#) && body.contains(r#""database":"sqlite""#));
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = TestApp::spawn().await;
    let service = app.create_service(&app.admin_token, "Checkout", None).await;
    let id = service["id"].as_str().expect("id");
    app.get(&format!("/api/v1/services/{id}"), &app.admin_token).await;
    let (status, text) = fetch(&app, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.contains(
            r#"muster_http_requests_total{method="GET",route="/api/v1/services/{id}",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains("muster_http_request_duration_seconds_bucket"));
    assert!(text.contains(r#"muster_db_pool_connections{pool="writer",state="idle"}"#));
    assert!(!text.contains(id), "ids never become labels");
}

#[tokio::test]
async fn the_api_documents_itself() {
    let app = TestApp::spawn().await;
    let spec = app.get("/api/v1/openapi.json", &app.admin_token).await;
    assert_eq!(spec.status, StatusCode::OK);
    let spec = spec.body;
    for path in [
        "/api/v1/users",
        "/api/v1/teams/{id}/members/{user_id}",
        "/api/v1/services/{id}/keys",
        "/api/v1/events",
    ] {
        assert!(spec["paths"][path].is_object(), "{path} is documented");
    }
    assert_eq!(spec["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    let (status, docs) = fetch(&app, "/api/docs/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(docs.contains("swagger-ui"));
    let (_, config) = fetch(&app, "/api/docs/swagger-initializer.js").await;
    assert!(config.contains("/api/v1/openapi.json"), "the docs page loads our document: {config}");
}
