//! Escalation lateness: how long after a step's deadline its message reaches a receiver listening
//! on loopback, with the escalation engine and outbox delivery of a release-build server running
//! as `muster serve` runs them, while alerts are ingested at 2,000/s on another service.
//!
//! Scenarios, each on SQLite and (when a server can be had) PostgreSQL:
//! - spread: 10,000 pages opened evenly over a minute; each pages a person at once and again a
//!   minute later (the policy's shortest wait), so 10,000 escalations are open at the peak and
//!   their second steps fall due evenly over a minute;
//! - burst: 10,000 pages opened with the same start, so their second steps fall due in the same
//!   instant.
//!
//! Lateness is the receiver's clock at arrival minus the step's deadline (start + 60 s), both
//! read from the system clock. The background load goes through the same group-commit writer as
//! HTTP ingestion, without HTTP. Every page notifies one person through one webhook, so steps that
//! fall due together go out bundled, as Muster sends them to a real person; the throttle window is
//! off (`notification_throttle_seconds = 0`), so nothing waits for it. A page's lateness is that
//! of the message that listed it.
//!
//! Run with `cargo bench -p muster-server --bench escalation` (about five minutes a backend);
//! results go in BENCHMARKS.md.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{Router, body::Bytes, extract::State, routing::post};
use jiff::{SignedDuration, Timestamp};
use muster_core::{
    alert::{ActedBy, Severity, Signal, SignalAction},
    audit::Actor,
    clock::Clock,
    escalation::{NewEscalationPolicy, ResponseTargets, StepInput, TargetInput},
    ids::ServiceId,
    notify::{NewContactMethod, NewNotificationRule, Notice},
    service::NewService,
    user::Role,
};
use muster_server::{clock::SystemClock, config::Config, console, events::Topic, state::AppState};
use muster_store::{Delivery, Store, VerificationCode, testing::TestDatabase};

/// Pages per scenario; `MUSTER_BENCH_PAGES` changes it for a quick look.
fn pages() -> usize {
    std::env::var("MUSTER_BENCH_PAGES").ok().and_then(|p| p.parse().ok()).unwrap_or(10_000)
}
const BACKGROUND_PER_SECOND: usize = 2_000;
const STEP_WAIT: SignedDuration = SignedDuration::from_mins(1);

/// Arrival times at the receiver, by the page's number and step.
type Arrivals = Arc<Mutex<HashMap<(usize, u32), Timestamp>>>;

/// Records the arrival of every page a message carries: one, or several listed in a bundle
/// ("• [Business critical] page-12" per line). A page's first arrival is its first step, the next
/// its second.
async fn receive(State(arrivals): State<Arrivals>, body: Bytes) {
    let at = SystemClock.now();
    let message: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let title = message["title"].as_str().unwrap_or_default();
    let text = message["text"].as_str().unwrap_or_default();
    let mut arrivals = arrivals.lock().expect("not poisoned");
    for line in std::iter::once(title).chain(text.lines()) {
        let Some(number) = line.rsplit_once("page-").and_then(|(_, n)| n.trim().parse::<usize>().ok()) else {
            continue;
        };
        let step = if arrivals.contains_key(&(number, 1)) { 2 } else { 1 };
        arrivals.entry((number, step)).or_insert(at);
    }
}

async fn start_receiver(arrivals: Arrivals) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("port");
    let url = format!("http://{}/hook", listener.local_addr().expect("address"));
    let app = Router::new().route("/hook", post(receive)).with_state(arrivals);
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// A server as `muster serve` runs it (HTTP, engine, outbox) on its own two-worker runtime;
/// returns its state, whose store and event bus the feeder shares.
fn start_server(url: String) -> AppState {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let store = Store::open(&url).await.expect("open");
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("port");
            let mut config = Config::new(url, listener.local_addr().expect("address"));
            config.notification_throttle_seconds = 0;
            let state = AppState::new(store, Arc::new(SystemClock), config);
            tokio::spawn(muster_server::engine::run(state.clone(), muster_server::engine::lease_holder()));
            tokio::spawn(muster_server::outbox::run(state.clone()));
            sender.send(state.clone()).expect("hand the state over");
            muster_server::run(listener, state, std::future::pending()).await.expect("serve");
        });
    });
    receiver.recv().expect("the server starts")
}

/// One person reachable by a verified webhook at `hook`, a service paging them twice a minute
/// apart, and a service without a policy for the background load.
async fn organisation(store: &Store, hook: &str) -> (ServiceId, ServiceId) {
    let now = SystemClock.now();
    let actor = Actor::System("bench");
    let person = console::create_user(
        store,
        "bench@example.com",
        "Bench",
        Role::Admin,
        None,
        Some("benchmark password".into()),
        now,
    )
    .await
    .expect("person")
    .user;
    let method = NewContactMethod::parse("webhook", None, hook, false).expect("method");
    let code = VerificationCode { hash: "bench".into(), expires_at: now + SignedDuration::from_hours(1) };
    let notice = Notice { title: "code".into(), text: String::new(), url: None, respond: false };
    let method = store
        .create_contact_method(&person.id, &method, None, &code, notice, &actor, now)
        .await
        .expect("method");
    store.verify_contact_method(&person.id, &method.id, "bench", &actor, now).await.expect("verify");
    let rule = NewNotificationRule::parse(method.id.as_str(), Some(0)).expect("rule");
    store.add_notification_rule(&person.id, &rule, &actor, now).await.expect("rule");
    let target = TargetInput { kind: "user".into(), id: Some(person.id.to_string()), tier: None };
    let step = StepInput { escalate_after_minutes: Some(1), targets: vec![target] };
    let policy = NewEscalationPolicy::parse("Bench", None, &[step.clone(), step], None).expect("policy");
    let policy = store.create_escalation_policy(&policy, &actor, now).await.expect("policy");
    let unlimited = muster_core::alert::settings::AlertSettings {
        rate_limit_per_minute: None,
        open_alert_cap: None,
        ..Default::default()
    };
    let mut services = Vec::new();
    for name in ["Paged", "Background"] {
        let service = store
            .create_service(&NewService::parse(name, None, None).expect("service"), &actor, now)
            .await
            .expect("service")
            .id;
        store.set_alert_settings(&service, &unlimited, &actor, now).await.expect("settings");
        services.push(service);
    }
    store
        .set_service_escalation(&services[0], Some(&policy.id), ResponseTargets::default(), &actor, now)
        .await
        .expect("escalation");
    (services[0].clone(), services[1].clone())
}

fn delivery(service: &ServiceId, key: String, received_at: Timestamp) -> Delivery {
    let mut signal = Signal::new(SignalAction::Trigger, Some(key.clone()));
    signal.summary = key;
    signal.severity = Severity::Critical;
    Delivery {
        service_id: service.clone(),
        signal,
        by: ActedBy::monitor("bench"),
        origin: "bench".into(),
        received_at,
    }
}

/// Ingests background alerts at [`BACKGROUND_PER_SECOND`] until `until`.
async fn background(store: Store, service: ServiceId, until: Instant) -> usize {
    let mut sent = 0;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    while Instant::now() < until {
        tick.tick().await;
        let batch = (0..BACKGROUND_PER_SECOND / 100)
            .map(|i| delivery(&service, format!("noise-{sent}-{i}"), SystemClock.now()))
            .collect();
        store.ingest(batch).await.expect("background ingest");
        sent += BACKGROUND_PER_SECOND / 100;
    }
    sent
}

struct Lateness(Vec<f64>);

impl Lateness {
    fn row(mut self, what: &str) -> String {
        if self.0.is_empty() {
            return format!("| {what} | 0 | | | | |");
        }
        self.0.sort_by(f64::total_cmp);
        let at = |p: f64| self.0[((self.0.len() as f64 - 1.0) * p).round() as usize];
        format!(
            "| {what} | {} | {:.1} | {:.1} | {:.1} | {:.1} |",
            self.0.len(),
            at(0.5),
            at(0.99),
            at(0.999),
            self.0.last().copied().unwrap_or_default()
        )
    }
}

/// Opens the pages (`spread` over a minute, or all with one start), waits for both steps of each,
/// and returns the lateness of the first and of the second steps in milliseconds.
async fn scenario(
    state: &AppState,
    arrivals: &Arrivals,
    services: &(ServiceId, ServiceId),
    offset: usize,
    spread: bool,
) -> (Lateness, Lateness, usize) {
    let store = state.store.clone();
    let load = tokio::spawn(background(
        store.clone(),
        services.1.clone(),
        Instant::now() + Duration::from_secs(140),
    ));
    let mut starts = HashMap::new();
    let burst_start = SystemClock.now();
    for chunk in (0..pages()).collect::<Vec<_>>().chunks(if spread { pages() / 600 + 1 } else { 500 }) {
        let started = if spread { SystemClock.now() } else { burst_start };
        let batch =
            chunk.iter().map(|i| delivery(&services.0, format!("page-{}", offset + i), started)).collect();
        store.ingest(batch).await.expect("ingest pages");
        state.events.publish(Topic::Page, "", "created");
        for i in chunk {
            starts.insert(offset + i, started);
        }
        if spread {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(if spread { 150 } else { 70 });
    loop {
        let done = arrivals
            .lock()
            .expect("not poisoned")
            .keys()
            .filter(|(n, s)| *s == 2 && *n >= offset && *n < offset + pages())
            .count();
        if done == pages() || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    load.abort();
    let arrived = arrivals.lock().expect("not poisoned").clone();
    let lateness = |step: u32, wait: SignedDuration| {
        Lateness(
            starts
                .iter()
                .filter_map(|(n, start)| {
                    arrived.get(&(*n, step)).map(|at| at.duration_since(*start + wait).as_secs_f64() * 1e3)
                })
                .collect(),
        )
    };
    let missing = pages() - lateness(2, STEP_WAIT).0.len();
    (lateness(1, SignedDuration::ZERO), lateness(2, STEP_WAIT), missing)
}

async fn backend(name: &str, database: TestDatabase, rows: &mut Vec<String>) {
    let arrivals: Arrivals = Arc::default();
    let hook = start_receiver(arrivals.clone()).await;
    let setup = database.open().await.expect("open");
    let services = organisation(&setup, &hook).await;
    setup.close().await;
    let state = start_server(database.url.clone());
    let (first, second, missing) = scenario(&state, &arrivals, &services, 0, true).await;
    rows.push(first.row(&format!("{name}: spread, first step (due at the alert)")));
    rows.push(second.row(&format!("{name}: spread, second step (due a minute later)")));
    eprintln!("{name} spread: {missing} second steps missing");
    let (_, burst, missing) = scenario(&state, &arrivals, &services, pages(), false).await;
    rows.push(burst.row(&format!("{name}: burst, second step, {} due in the same instant", pages())));
    eprintln!("{name} burst: {missing} second steps missing");
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
        .with_writer(std::io::stderr)
        .init();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let wanted = |part: &str| only.is_empty() || only.iter().any(|o| o == part);
    runtime.block_on(async {
        let mut rows = Vec::new();
        if wanted("sqlite") {
            backend("SQLite", TestDatabase::sqlite(), &mut rows).await;
        }
        if wanted("postgres") {
            match TestDatabase::postgres("escalation benchmark").await {
                Some(database) => backend("PostgreSQL", database, &mut rows).await,
                None => eprintln!("PostgreSQL skipped: no server to be had"),
            }
        }
        println!("| scenario | delivered | p50 ms | p99 ms | p99.9 ms | max ms |");
        println!("| --- | --- | --- | --- | --- | --- |");
        for row in rows {
            println!("{row}");
        }
    });
}
