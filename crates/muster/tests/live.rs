//! Live updates across instances: two `muster serve` processes on one PostgreSQL database; a
//! change made through one reaches an event stream open on the other within a second or two.

mod support;

use std::{
    io::{BufRead, BufReader, Write},
    net::TcpStream,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use muster_store::testing::TestDatabase;
use serde_json::json;
use support::{bootstrap, http, start, wait_for};

/// Opens `/api/v1/events` on `base` and collects the event names it streams.
fn follow_events(base: &str, token: &str) -> Arc<Mutex<Vec<String>>> {
    let address = base.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&address).expect("the instance answers");
    let request = format!(
        "GET /api/v1/events HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).expect("send");
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { return };
            if let Some(name) = line.strip_prefix("event: ") {
                seen.lock().expect("not poisoned").push(name.trim().to_owned());
            }
        }
    });
    events
}

#[test]
fn a_change_through_one_instance_reaches_a_stream_open_on_another() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let Some(database) = runtime.block_on(TestDatabase::postgres("live_across_instances")) else { return };
    let dir = tempfile::tempdir().expect("a folder");
    let url = database.url.as_str();
    let token = bootstrap(dir.path(), url);
    let a = start(dir.path(), url, "a");
    let b = start(dir.path(), url, "b");

    let events = follow_events(&b.url, &token);
    wait_for("b's stream to open", Duration::from_secs(10), || {
        events.lock().expect("not poisoned").iter().any(|e| e == "ready")
    });
    // The relay starts listening as the instance starts; give it a moment before the change.
    std::thread::sleep(Duration::from_millis(500));
    let declared = Instant::now();
    let report = json!({"title": "Search is slow", "severity": "sev3",
        "problem_report": {"expected": "200 ms", "actual": "8 s"}});
    let (status, incident) = http(&a.url, "POST", "/api/v1/incidents", &token, Some(report));
    assert_eq!(status, 201, "{incident}");
    wait_for("the incident event on b", Duration::from_secs(3), || {
        events.lock().expect("not poisoned").iter().any(|e| e == "incident")
    });
    eprintln!("instance b saw a's change after {:?}", declared.elapsed());
    let (_, on_b) = http(&b.url, "GET", "/api/v1/incidents/1", &token, None);
    assert_eq!(on_b["title"], "Search is slow");
}
