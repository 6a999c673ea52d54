//! The same server on PostgreSQL, chosen by the database URL alone.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn the_server_runs_on_postgresql_by_url_alone() {
    let Some(database) =
        muster_store::testing::TestDatabase::postgres("the_server_runs_on_postgresql_by_url_alone").await
    else {
        return;
    };
    let app = TestApp::spawn_on(database).await;
    let ready =
        reqwest::get(format!("{}/readyz", app.address)).await.expect("reply").text().await.expect("body");
    assert!(ready.contains(r#""database":"postgres""#), "{ready}");
    let team = app.create_team(&app.admin_token, "Platform").await;
    app.create_service(&app.admin_token, "Kubernetes", team["id"].as_str()).await;
    let clash = app.post("/api/v1/services", &app.admin_token, json!({ "name": "kubernetes" })).await;
    assert_eq!(clash.status, StatusCode::CONFLICT);
    assert_eq!(app.service_names().await, ["Kubernetes"]);
    let browser = app.sign_in("admin@example.com").await;
    assert!(browser.get("/services").await.text.contains("Kubernetes"));
}
