//! High availability on PostgreSQL: three `muster serve` processes on one database, one holding
//! the engine lease. The leader is killed with SIGKILL half a second before a page's next step is
//! due; a standby must take the lease and deliver that step within three seconds of its due time,
//! exactly once (a repeat would carry the same idempotency key), and nothing already delivered is
//! sent again. Real processes, real PostgreSQL, a real HTTP receiver; the wait is real time, about
//! seventy seconds, because the shortest step is a minute.

use std::{
    collections::HashMap,
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use muster_store::testing::TestDatabase;
use serde_json::{Value, json};

mod support;

use support::{Instance, bootstrap, http, start, wait_for};

/// One message the receiver got.
#[derive(Debug, Clone)]
struct Received {
    at: SystemTime,
    idempotency_key: String,
    body: Value,
}

/// A webhook receiver on a thread of its own: records every POST and answers 200.
fn receiver() -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let url = format!("http://{}/hook", listener.local_addr().expect("address"));
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let log = log.clone();
            std::thread::spawn(move || serve_one(stream, &log));
        }
    });
    (url, received)
}

fn serve_one(stream: TcpStream, log: &Mutex<Vec<Received>>) {
    let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
    let mut headers = HashMap::new();
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
        if let Some((name, value)) = line.trim_end().split_once(": ") {
            headers.insert(name.to_ascii_lowercase(), value.to_owned());
        }
        line.clear();
    }
    let length = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    log.lock().expect("not poisoned").push(Received {
        at: SystemTime::now(),
        idempotency_key: headers.get("idempotency-key").cloned().unwrap_or_default(),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    let mut stream = stream;
    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

fn page_messages(received: &Mutex<Vec<Received>>, step: &str) -> Vec<Received> {
    received
        .lock()
        .expect("not poisoned")
        .iter()
        .filter(|r| r.body["links"].is_object() && r.body["text"].as_str().unwrap_or("").contains(step))
        .cloned()
        .collect()
}

#[test]
fn a_standby_delivers_the_next_step_when_the_leader_is_killed() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let Some(database) = runtime.block_on(TestDatabase::postgres("failover")) else { return };
    let dir = tempfile::tempdir().expect("a folder");
    let url = database.url.as_str();
    let token = bootstrap(dir.path(), url);
    let mut instances: Vec<Instance> =
        ["a", "b", "c"].iter().map(|name| start(dir.path(), url, name)).collect();
    let first = instances[0].url.clone();

    let (hook, received) = receiver();
    let (_, method) = http(
        &first,
        "POST",
        "/api/v1/users/me/contact-methods",
        &token,
        Some(json!({"kind": "webhook", "address": hook})),
    );
    let method = method["id"].as_str().expect("a contact method").to_owned();
    wait_for("the verification code", Duration::from_secs(10), || {
        !received.lock().expect("not poisoned").is_empty()
    });
    let title = received.lock().expect("not poisoned")[0].body["title"].as_str().unwrap_or("").to_owned();
    let code = title.rsplit(' ').next().unwrap_or("").to_owned();
    let (status, _) = http(
        &first,
        "POST",
        &format!("/api/v1/users/me/contact-methods/{method}/verify"),
        &token,
        Some(json!({"code": code})),
    );
    assert_eq!(status, 200);
    http(
        &first,
        "POST",
        "/api/v1/users/me/notification-rules",
        &token,
        Some(json!({"contact_method_id": method})),
    );
    let (_, me) = http(&first, "GET", "/api/v1/users/me", &token, None);
    let me = me["id"].as_str().expect("my id").to_owned();
    let step = json!({"escalate_after_minutes": 1, "targets": [{"kind": "user", "id": me}]});
    let (_, policy) = http(
        &first,
        "POST",
        "/api/v1/escalation-policies",
        &token,
        Some(json!({"name": "Ops", "steps": [step, step]})),
    );
    let (_, service) = http(&first, "POST", "/api/v1/services", &token, Some(json!({"name": "Payments"})));
    let service = service["id"].as_str().expect("a service").to_owned();
    let (status, _) = http(
        &first,
        "PUT",
        &format!("/api/v1/services/{service}/escalation"),
        &token,
        Some(json!({"escalation_policy_id": policy["id"]})),
    );
    assert_eq!(status, 200);

    // The alert arrives at the last instance; whichever holds the lease pages the first step.
    let last = instances[2].url.clone();
    let (status, raised) = http(
        &last,
        "POST",
        "/api/v1/alerts",
        &token,
        Some(json!({"service_id": service, "summary": "Card payments failing", "severity": "critical"})),
    );
    assert_eq!(status, 201, "{raised}");
    let alert = raised["alert_id"].as_str().expect("an alert").to_owned();
    wait_for("the first step", Duration::from_secs(10), || {
        !page_messages(&received, "Business critical").is_empty()
    });
    let (_, page) = http(&first, "GET", &format!("/api/v1/alerts/{alert}/page"), &token, None);
    let due: jiff::Timestamp = page["next_due_at"].as_str().expect("a next step").parse().expect("a time");
    let due = SystemTime::UNIX_EPOCH
        + Duration::from_millis(u64::try_from(due.as_millisecond()).expect("after 1970"));

    let leader = instances
        .iter()
        .position(|i| http(&i.url, "GET", "/readyz", &token, None).1["engine"] == "leader")
        .expect("one instance holds the engine lease");
    let standbys = instances
        .iter()
        .filter(|i| http(&i.url, "GET", "/readyz", &token, None).1["engine"] == "standby")
        .count();
    assert_eq!(standbys, 2, "the others stand by");
    let kill_at = due - Duration::from_millis(500);
    std::thread::sleep(kill_at.duration_since(SystemTime::now()).unwrap_or_default());
    let mut killed = instances.remove(leader);
    killed.child.kill().expect("SIGKILL the leader");
    let _ = killed.child.wait();
    let killed_at = SystemTime::now();

    wait_for("the second step", Duration::from_secs(20), || {
        !page_messages(&received, "Escalated: step 2").is_empty()
    });
    std::thread::sleep(Duration::from_secs(3));
    let second = page_messages(&received, "Escalated: step 2");
    let late = second[0].at.duration_since(due).unwrap_or_default();
    let since_kill = second[0].at.duration_since(killed_at).unwrap_or_default();
    eprintln!(
        "failover: leader killed {:.2} s before the step was due; the standby delivered it {:.3} s after its due time ({:.3} s after the kill); {} copies",
        due.duration_since(killed_at).unwrap_or_default().as_secs_f64(),
        late.as_secs_f64(),
        since_kill.as_secs_f64(),
        second.len()
    );
    assert!(late < Duration::from_secs(3), "delivered {late:?} after it was due");
    assert!(
        second.iter().all(|m| m.idempotency_key == second[0].idempotency_key),
        "a repeat carries the same key"
    );
    assert!(second.len() <= 2, "at most one repeat of a message in flight: {second:?}");
    assert_eq!(
        page_messages(&received, "Business critical").len() - second.len(),
        1,
        "the first step is not sent again"
    );
    let new_leader = instances
        .iter()
        .filter(|i| http(&i.url, "GET", "/readyz", &token, None).1["engine"] == "leader")
        .count();
    assert_eq!(new_leader, 1, "exactly one standby took over");
}
