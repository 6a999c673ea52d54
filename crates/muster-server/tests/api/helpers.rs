//! `TestApp`: a running Muster with helpers that speak the domain (people, services, sign-in).

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use muster_core::{clock::ManualClock, user::Role};
use muster_server::{config::Config, console, state::AppState};
use muster_store::{Store, testing::TestDatabase};
use reqwest::{Method, StatusCode, redirect::Policy};
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub address: String,
    pub clock: Arc<ManualClock>,
    pub store: Store,
    /// The state the server runs with: background passes (escalation, delivery) run on it.
    pub state: AppState,
    /// An admin's API token.
    pub admin_token: String,
    _database: TestDatabase,
    _shutdown: oneshot::Sender<()>,
}

/// A person created for a test, with an API token.
pub struct Person {
    pub id: String,
    pub email: String,
    pub token: String,
}

/// A service and the key its monitor uses.
pub struct Monitor {
    pub service_id: String,
    pub key: String,
    pub key_id: String,
}

/// A JSON reply: status and body.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

impl Reply {
    /// The `error` code of an error reply.
    pub fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }

    /// The fields an error reply names.
    pub fn fields(&self) -> Vec<&str> {
        self.body["fields"]
            .as_array()
            .map(|f| f.iter().filter_map(|e| e["field"].as_str()).collect())
            .unwrap_or_default()
    }
}

/// reqwest is built without a crypto provider (the project uses ring everywhere); install it
/// before the first client is made.
pub fn use_ring_for_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub fn start_of_test() -> Timestamp {
    "2026-11-23T09:00:00Z".parse().expect("valid timestamp")
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_on(TestDatabase::sqlite()).await
    }

    /// A server on the given database, with one admin (admin@example.com).
    pub async fn spawn_on(database: TestDatabase) -> Self {
        Self::spawn_with(database, |_| {}).await
    }

    /// A server on the given database with a changed configuration, with one admin.
    pub async fn spawn_with(database: TestDatabase, configure: impl FnOnce(&mut Config)) -> Self {
        let clock = Arc::new(ManualClock::new(start_of_test()));
        let mut app = Self::start(database, clock, configure, false).await;
        app.admin_token = app.person("Admin", Role::Admin).await.token;
        app
    }

    async fn start(
        database: TestDatabase,
        clock: Arc<ManualClock>,
        configure: impl FnOnce(&mut Config),
        background_jobs: bool,
    ) -> Self {
        use_ring_for_tls();
        let store = database.open().await.expect("open the test database");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a free port");
        let address = format!("http://{}", listener.local_addr().expect("local address"));
        let mut config = Config::new(database.url.clone(), listener.local_addr().expect("local address"));
        config.set_public_url(&address);
        configure(&mut config);
        let state = AppState::new(store.clone(), clock.clone(), config);
        if background_jobs {
            tokio::spawn(muster_server::engine::run(state.clone(), muster_server::engine::lease_holder()));
            tokio::spawn(muster_server::outbox::run(state.clone()));
        }
        let (shutdown, stop) = oneshot::channel::<()>();
        tokio::spawn(muster_server::run(listener, state.clone(), async {
            let _ = stop.await;
        }));
        TestApp {
            address,
            clock,
            store,
            state,
            admin_token: String::new(),
            _database: database,
            _shutdown: shutdown,
        }
    }

    /// Stops this server and starts another on the same database and clock, as `muster serve`
    /// starts: with the escalation engine and outbox delivery running on their own.
    pub async fn restart_with_background_jobs(self) -> Self {
        self.restart(|_| {}, true).await
    }

    /// Stops this server and starts another on the same database and clock with the default
    /// configuration changed by `configure` (as an admin who edited `muster.toml` would).
    pub async fn restart_with(self, configure: impl FnOnce(&mut Config)) -> Self {
        self.restart(configure, false).await
    }

    async fn restart(self, configure: impl FnOnce(&mut Config), background_jobs: bool) -> Self {
        let TestApp { clock, store, admin_token, _database, _shutdown, .. } = self;
        drop(_shutdown);
        store.close().await;
        let mut app = Self::start(_database, clock, configure, background_jobs).await;
        app.admin_token = admin_token;
        app
    }

    /// One pass of the escalation engine at the clock's time; how many steps it notified.
    pub async fn escalate(&self) -> usize {
        muster_server::engine::escalate(&self.state, self.clock.now_for_tests(), None)
            .await
            .expect("escalation pass")
    }

    /// Gives `person` a verified webhook contact method at `path` of `receiver`, and a rule that
    /// notifies them through it at once; returns the method's id.
    pub async fn reachable_by_webhook(
        &self,
        person: &Person,
        receiver: &crate::receiver::Receiver,
        path: &str,
    ) -> String {
        let created = self
            .post(
                "/api/v1/users/me/contact-methods",
                &person.token,
                json!({"kind": "webhook", "address": receiver.url(path)}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        assert_eq!(created.body["verified_at"], Value::Null);
        let id = created.body["id"].as_str().expect("method id").to_owned();
        self.deliver().await;
        let code = receiver.received(path).last().expect("the verification code arrived").code();
        let verify = format!("/api/v1/users/me/contact-methods/{id}/verify");
        let wrong = self.post(&verify, &person.token, json!({"code": "000000"})).await;
        assert_eq!((wrong.status, wrong.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["code"]));
        let verified = self.post(&verify, &person.token, json!({"code": code})).await;
        assert_eq!(verified.status, StatusCode::OK, "{verified:?}");
        let rule = self
            .post(
                "/api/v1/users/me/notification-rules",
                &person.token,
                json!({"contact_method_id": id, "delay_minutes": 0}),
            )
            .await;
        assert_eq!(rule.status, StatusCode::CREATED, "{rule:?}");
        id
    }

    /// One pass of the update reminder at the clock's time; how many reminders it sent.
    pub async fn remind(&self) -> usize {
        muster_server::reminders::remind_overdue_updates(&self.state, self.clock.now_for_tests())
            .await
            .expect("reminder pass")
            .reminders
    }

    /// One pass of outbox delivery at the clock's time.
    pub async fn deliver(&self) -> muster_server::outbox::Delivered {
        muster_server::outbox::deliver_due(&self.state, self.clock.now_for_tests())
            .await
            .expect("delivery pass")
    }

    /// Creates a person with the password [`PASSWORD`] and an API token.
    pub async fn person(&self, name: &str, role: Role) -> Person {
        let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
        let now = self.clock.now_for_tests();
        let created = console::create_user(
            &self.store,
            &email,
            name,
            role,
            Some("Europe/London"),
            Some(PASSWORD.into()),
            now,
        )
        .await
        .expect("create a test person");
        let token = console::create_token(&self.store, &email, "tests", now).await.expect("create a token");
        Person { id: created.user.id.to_string(), email, token }
    }

    pub fn advance(&self, by: SignedDuration) {
        self.clock.advance(by);
    }

    /// Sends a JSON request with a bearer token (or none) and returns the reply.
    pub async fn api(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let client = reqwest::Client::new();
        let mut request = client.request(method, format!("{}{path}", self.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let text = response.text().await.expect("a readable body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply { status, body }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.api(Method::GET, path, Some(token), None).await
    }

    /// A CSV download's text (empty when the answer was not text).
    pub async fn get_csv(&self, path: &str, token: &str) -> String {
        self.get(path, token).await.body.as_str().unwrap_or_default().to_owned()
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.api(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.api(Method::PATCH, path, Some(token), Some(body)).await
    }

    pub async fn create_team(&self, token: &str, name: &str) -> Value {
        let reply = self.post("/api/v1/teams", token, json!({ "name": name })).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
        reply.body
    }

    pub async fn create_service(&self, token: &str, name: &str, team_id: Option<&str>) -> Value {
        let reply = self.post("/api/v1/services", token, json!({ "name": name, "team_id": team_id })).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
        reply.body
    }

    /// A service with one integration key of `kind`, as a monitor would be set up.
    pub async fn monitored_service(&self, name: &str, kind: &str) -> Monitor {
        let service = self.create_service(&self.admin_token, name, None).await;
        let service_id = service["id"].as_str().expect("service id").to_owned();
        let reply = self
            .post(&format!("/api/v1/services/{service_id}/keys"), &self.admin_token, json!({"kind": kind}))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
        let key = reply.body["key"].as_str().expect("key").to_owned();
        let key_id = reply.body["id"].as_str().expect("key id").to_owned();
        Monitor { service_id, key, key_id }
    }

    /// Posts a body exactly as given, with extra headers, as a monitor would.
    pub async fn send(&self, path: &str, headers: &[(&str, &str)], body: impl Into<reqwest::Body>) -> Reply {
        let mut request = reqwest::Client::new().post(format!("{}{path}", self.address)).body(body);
        let mut typed = false;
        for (name, value) in headers {
            typed |= name.eq_ignore_ascii_case("content-type");
            request = request.header(*name, *value);
        }
        if !typed {
            request = request.header("content-type", "application/json");
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let retry_after =
            response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let text = response.text().await.expect("a readable body");
        let mut body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if let Some(retry_after) = retry_after {
            body["retry_after_header"] = json!(retry_after);
        }
        Reply { status, body }
    }

    /// Posts JSON as a monitor would.
    pub async fn send_json(&self, path: &str, headers: &[(&str, &str)], body: Value) -> Reply {
        self.send(path, headers, body.to_string()).await
    }

    /// A monitor triggers a critical alert whose dedup key is its summary; returns the alert's id.
    pub async fn trigger(&self, monitor: &Monitor, summary: &str) -> String {
        let event =
            json!({"summary": summary, "dedup_key": summary, "severity": "critical", "source": "db-1"});
        let reply = self.send_json(&format!("/api/v1/ingest/generic/{}", monitor.key), &[], event).await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{reply:?}");
        reply.body["alert_id"].as_str().expect("alert id").to_owned()
    }

    /// Every alert of a service, newest first.
    /// Incident 1, customer-facing, declared by `ic` and taken through every stage to a written
    /// cure: checkout failing after a deploy halved the connection pool. Resolving it is next.
    pub async fn incident_ready_to_resolve(&self, ic: &Person) {
        let report = json!({"title": "Checkout failing", "severity": "sev2", "customer_facing": true,
            "problem_report": {"expected": "orders go through", "actual": "502 on /checkout"}});
        let declared = self.post("/api/v1/incidents", &ic.token, report).await;
        assert_eq!(declared.status, StatusCode::CREATED, "{declared:?}");
        let steps: [(&str, Value); 10] = [
            ("/stage/output", json!({"output": "Failed over to eu-central"})),
            ("/stage", json!({"stage": "examine"})),
            ("/stage/output", json!({"output": "The 10:02 deploy halved the connection pool"})),
            ("/stage", json!({"stage": "diagnose"})),
            ("/hypotheses", json!({"statement": "Pool size set to 25 by the deploy"})),
            ("/stage", json!({"stage": "test"})),
            ("/hypotheses/1/verdict", json!({"verdict": "confirmed", "evidence": "config diff"})),
            ("/stage/output", json!({"output": "Confident: times match"})),
            ("/stage", json!({"stage": "cure"})),
            ("/stage/output", json!({"output": "Pool back to 50", "outcome": "fully_working"})),
        ];
        for (path, body) in steps {
            let path = format!("/api/v1/incidents/1{path}");
            let method = if path.ends_with("/output") { Method::PUT } else { Method::POST };
            let reply = self.api(method, &path, Some(&ic.token), Some(body)).await;
            assert!(reply.status.is_success(), "{path}: {reply:?}");
        }
    }

    pub async fn alerts_of(&self, service_id: &str) -> Vec<Value> {
        let reply =
            self.get(&format!("/api/v1/alerts?service={service_id}&limit=200"), &self.admin_token).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        reply.body["alerts"].as_array().expect("alerts").clone()
    }

    /// Waits until the service's alerts satisfy `done`, for alerts that something running on the
    /// wall clock writes (a background job, another process), or fails after 30 s.
    pub async fn wait_for_alerts(
        &self,
        service_id: &str,
        what: &str,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let alerts = self.alerts_of(service_id).await;
            if done(&alerts) {
                return alerts;
            }
            assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}: {alerts:#?}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// The names of the services the API lists.
    pub async fn service_names(&self) -> Vec<String> {
        let reply = self.get("/api/v1/services", &self.admin_token).await;
        reply.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|s| s["name"].as_str().unwrap_or("").to_owned())
            .collect()
    }

    /// A browser-like client (cookies kept, redirects not followed) signed in through the form.
    pub async fn sign_in(&self, email: &str) -> Browser {
        let browser = Browser::new(&self.address);
        let reply = browser.try_sign_in(email, PASSWORD).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "signing in works: {}", reply.text);
        browser
    }
}

/// `ManualClock::now` through the `Clock` trait, without importing it in every test.
pub trait NowForTests {
    fn now_for_tests(&self) -> Timestamp;
}

impl NowForTests for ManualClock {
    fn now_for_tests(&self) -> Timestamp {
        muster_core::clock::Clock::now(self)
    }
}

/// A page reply: status, where it redirects, and its HTML.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub text: String,
}

/// A cookie-keeping HTTP client that behaves like a browser without JavaScript.
pub struct Browser {
    client: reqwest::Client,
    address: String,
}

impl Browser {
    pub fn new(address: &str) -> Self {
        let client =
            reqwest::Client::builder().cookie_store(true).redirect(Policy::none()).build().expect("client");
        Browser { client, address: address.to_owned() }
    }

    async fn page(&self, request: reqwest::RequestBuilder) -> Page {
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let location = response.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        Page { status, location, text: response.text().await.unwrap_or_default() }
    }

    pub async fn get(&self, path: &str) -> Page {
        self.page(self.client.get(format!("{}{path}", self.address))).await
    }

    /// Posts a form exactly as given (the caller includes `csrf_token` or not).
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.page(self.client.post(format!("{}{path}", self.address)).form(fields)).await
    }

    /// Posts a form with the CSRF token read from the page at `form_page`.
    pub async fn submit(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let token = csrf_token(&self.get(form_page).await.text);
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post_form(action, &all).await
    }

    /// A JSON API call riding on the session cookie.
    pub async fn api_post(&self, path: &str, csrf: Option<&str>, body: Value) -> StatusCode {
        let mut request = self.client.post(format!("{}{path}", self.address)).json(&body);
        if let Some(csrf) = csrf {
            request = request.header("X-CSRF-Token", csrf);
        }
        request.send().await.expect("the server answers").status()
    }

    pub async fn try_sign_in(&self, email: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        let token = csrf_token(&form.text);
        self.post_form(
            "/login",
            &[("csrf_token", &token), ("email", email), ("password", password), ("next", "/services")],
        )
        .await
    }
}

/// The first CSRF token in a page's forms.
pub fn csrf_token(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).map(|i| i + marker.len()).expect("the page has a form with a CSRF token");
    html[start..].split('"').next().unwrap_or_default().to_owned()
}

/// A program on the PATH, or at the first of `fallbacks` that exists.
pub fn find_program(program: &str, fallbacks: &[&str]) -> Option<std::path::PathBuf> {
    let on_path = std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).map(|dir| dir.join(program)).find(|p| p.is_file()));
    on_path.or_else(|| fallbacks.iter().map(std::path::PathBuf::from).find(|p| p.is_file()))
}

/// Whether a suite whose dependency is missing must fail rather than skip.
pub fn skip_or_fail(suite: &str, missing: &str) {
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("{suite} cannot run under CI=true: {missing}");
    }
    eprintln!("\n*** SKIPPED {suite}: {missing} ***\n");
}
