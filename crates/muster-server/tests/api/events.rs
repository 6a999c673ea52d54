//! Live change events over server-sent events.

use std::time::Duration;

use futures_util::StreamExt;

use crate::helpers::TestApp;

#[tokio::test]
async fn a_follower_hears_about_a_new_service() {
    let app = TestApp::spawn().await;
    let response = reqwest::Client::new()
        .get(format!("{}/api/v1/events?topics=service", app.address))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .expect("the stream opens");
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut stream = response.bytes_stream();
    let mut received = String::new();
    // The stream says it is ready before anything changes, so no event can be missed.
    while !received.contains("event: ready") {
        received.push_str(&String::from_utf8_lossy(&stream.next().await.expect("open").expect("bytes")));
    }
    app.create_team(&app.admin_token, "Not followed").await;
    let service = app.create_service(&app.admin_token, "Checkout", None).await;
    let id = service["id"].as_str().expect("id").to_owned();
    let wait = tokio::time::timeout(Duration::from_secs(10), async {
        while !received.contains(&id) {
            received.push_str(&String::from_utf8_lossy(&stream.next().await.expect("open").expect("bytes")));
        }
    });
    wait.await.expect("the event arrives");
    assert!(received.contains("event: service"));
    assert!(received.contains(r#""action":"created""#));
    assert!(!received.contains("event: team"), "only the topics asked for: {received}");
}
