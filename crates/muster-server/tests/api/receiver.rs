//! A real HTTP listener standing in for a webhook, Slack, Teams, Mattermost or ntfy receiver: it
//! records every request and can be told to fail the first ones, as a flaky receiver does.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode, Uri},
    routing::post,
};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The six-digit code at the end of a verification message's title.
    pub fn code(&self) -> String {
        let title = self.json()["title"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| self.header("title").to_owned());
        title.rsplit(' ').next().filter(|c| c.len() == 6).expect("a six-digit code").to_owned()
    }
}

#[derive(Clone, Default)]
struct Shared {
    received: Arc<Mutex<Vec<Received>>>,
    failures_left: Arc<AtomicUsize>,
}

pub struct Receiver {
    pub address: String,
    shared: Shared,
}

impl Receiver {
    /// A receiver that answers 503 to its first `failures` requests and 200 after.
    pub async fn start(failures: usize) -> Receiver {
        let shared = Shared::default();
        shared.failures_left.store(failures, Ordering::SeqCst);
        let app = Router::new().route("/{*path}", post(receive)).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a free port");
        let address = format!("http://{}", listener.local_addr().expect("local address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { address, shared }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Every request so far to `path`, oldest first.
    pub fn received(&self, path: &str) -> Vec<Received> {
        self.shared
            .received
            .lock()
            .expect("not poisoned")
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }
}

async fn receive(State(shared): State<Shared>, uri: Uri, headers: HeaderMap, body: Bytes) -> StatusCode {
    shared.received.lock().expect("not poisoned").push(Received {
        path: uri.path().to_owned(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let failing =
        shared.failures_left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
    if failing { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK }
}
