//! E-mail notifications against a real SMTP server on loopback (the `mailin` SMTP protocol
//! machine serving TCP connections on a thread of its own): the verification code and a page
//! arrive as mail with plain-text and HTML parts, the notification's id as the Message-ID, and a
//! resolve link that works.

use std::{
    io::{BufRead, BufReader, Write},
    net::TcpListener,
    sync::{Arc, Mutex},
};

use mailin::{Action, Handler, SessionBuilder, response};
use muster_core::user::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Browser, TestApp};

#[derive(Clone, Default)]
struct Mailbox {
    current: Vec<u8>,
    delivered: Arc<Mutex<Vec<String>>>,
}

impl Handler for Mailbox {
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> mailin::Response {
        let message = String::from_utf8_lossy(&std::mem::take(&mut self.current)).into_owned();
        self.delivered.lock().expect("not poisoned").push(message);
        response::OK
    }
}

/// Starts an SMTP server on a free port; returns its URL and what it received.
fn smtp_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let url = format!("smtp://{}", listener.local_addr().expect("local address"));
    let mailbox = Mailbox::default();
    let delivered = mailbox.delivered.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let peer = stream.peer_addr().map(|a| a.ip()).unwrap_or([127, 0, 0, 1].into());
            let mut session = SessionBuilder::new("mail.test").build(peer, mailbox.clone());
            let mut writer = stream.try_clone().expect("a second handle on the connection");
            let _ = session.greeting().write_to(&mut writer);
            let mut reader = BufReader::new(stream);
            let mut line = Vec::new();
            while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
                let reply = session.process(&line);
                line.clear();
                if reply.action != Action::NoReply
                    && (reply.write_to(&mut writer).is_err() || writer.flush().is_err())
                {
                    break;
                }
                if reply.action == Action::Close {
                    break;
                }
            }
        }
    });
    (url, delivered)
}

/// A message's text with quoted-printable soft line breaks and `=3D` undone.
fn decoded(message: &str) -> String {
    message.replace("=\r\n", "").replace("=3D", "=")
}

fn header<'a>(message: &'a str, name: &str) -> &'a str {
    message
        .lines()
        .find_map(|line| line.strip_prefix(name).and_then(|rest| rest.strip_prefix(": ")))
        .unwrap_or("")
}

#[tokio::test]
async fn pages_arrive_by_email_with_links_that_work() {
    let (smtp_url, mails) = smtp_server();
    let app = TestApp::spawn_with(muster_store::testing::TestDatabase::sqlite(), |config| {
        config.smtp_url = Some(smtp_url);
        config.smtp_from = "Muster <muster@example.com>".to_owned();
    })
    .await;
    let ada = app.person("Ada", Role::Responder).await;
    let created = app
        .post(
            "/api/v1/users/me/contact-methods",
            &ada.token,
            json!({"kind": "email", "address": "ada@example.com"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let method = created.body["id"].as_str().expect("id").to_owned();
    assert_eq!(app.deliver().await.notifications, 1);
    let verification = mails.lock().expect("not poisoned").pop().expect("the code was mailed");
    let subject = header(&verification, "Subject");
    assert!(subject.starts_with("Your Muster verification code: "), "{verification}");
    let code = subject.rsplit(' ').next().expect("code").to_owned();
    let verify = format!("/api/v1/users/me/contact-methods/{method}/verify");
    assert_eq!(app.post(&verify, &ada.token, json!({"code": code})).await.status, StatusCode::OK);
    app.post("/api/v1/users/me/notification-rules", &ada.token, json!({"contact_method_id": method})).await;

    let monitor = app.monitored_service("Payments", "generic").await;
    let policy = json!({"name": "Payments", "steps": [
        {"escalate_after_minutes": 5, "targets": [{"kind": "user", "id": ada.id}]}]});
    let policy = app.post("/api/v1/escalation-policies", &app.admin_token, policy).await;
    let path = format!("/api/v1/services/{}/escalation", monitor.service_id);
    app.api(
        Method::PUT,
        &path,
        Some(&app.admin_token),
        Some(json!({"escalation_policy_id": policy.body["id"]})),
    )
    .await;
    let event =
        json!({"summary": "Card payments failing <script>", "dedup_key": "cards", "severity": "error"});
    let sent = app.send_json(&format!("/api/v1/ingest/generic/{}", monitor.key), &[], event).await;
    let alert = sent.body["alert_id"].as_str().expect("alert id").to_owned();
    assert_eq!(app.escalate().await, 1);
    assert_eq!(app.deliver().await.notifications, 1);

    let page = decoded(&mails.lock().expect("not poisoned").pop().expect("the page was mailed"));
    let notification = app.get(&format!("/api/v1/alerts/{alert}/page"), &app.admin_token).await.body["notifications"][0]
        ["id"]
        .as_str()
        .expect("notification id")
        .to_owned();
    assert_eq!(header(&page, "Message-ID"), format!("<{notification}@muster>"), "the idempotency key");
    assert_eq!(header(&page, "From"), "Muster <muster@example.com>");
    assert!(
        page.contains("multipart/alternative") && page.contains("text/plain") && page.contains("text/html")
    );
    assert!(page.contains("&lt;script&gt;"), "the HTML part escapes the summary");
    let resolve = page
        .lines()
        .find_map(|line| line.strip_prefix("Resolve: "))
        .expect("the plain part has the resolve link")
        .trim()
        .to_owned();
    let link = resolve.strip_prefix(&app.address).expect("a link to this server").to_owned();
    let browser = Browser::new(&app.address);
    assert_eq!(browser.post_form(&link, &[]).await.status, StatusCode::OK);
    let read = app.get(&format!("/api/v1/alerts/{alert}"), &app.admin_token).await;
    assert_eq!(
        (read.body["status"].as_str(), read.body["resolved_by"]["name"].as_str()),
        (Some("resolved"), Some("Ada (by link)"))
    );
}
