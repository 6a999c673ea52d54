//! Alert ingestion over real HTTP: a load generator posts PagerDuty Events API v2 events to a
//! Muster server on loopback from 64 keep-alive connections and reports accepted alerts a second
//! and latency percentiles, on SQLite and on PostgreSQL (with fsync on, so every 2xx is durable).
//!
//! Scenarios: distinct dedup keys (every event opens an alert) and one hot key (every event is a
//! repeat of one alert), each as fast as the server answers; a fixed 5,000 events/s offered, with
//! latency measured from each event's planned send time (no coordinated omission). Ceilings on
//! the same machine in the same run: the server answering `GET /healthz` (HTTP with no database
//! work), the bare group-commit writer fed by 64 tasks without HTTP, the disk's own latency for a
//! small write and `fdatasync` (the floor under a durable commit), and, when the Debian package
//! `prometheus-alertmanager` is installed, Alertmanager's own in-memory ingestion of single-alert
//! requests measured with the same generator.
//!
//! Run with `cargo bench -p muster-server --bench ingest`; results go in BENCHMARKS.md. The server
//! and the generator share the machine's cores, as the issue that asked for this specifies.

/// The allocator the `muster` binary ships with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use jiff::Timestamp;
use muster_core::{
    alert::{ActedBy, Severity, Signal, SignalAction},
    clock::Clock,
    ids::ServiceId,
    user::Role,
};
use muster_server::{clock::SystemClock, config::Config, console, state::AppState};
use muster_store::{Delivery, Store, testing::TestDatabase};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const CONNECTIONS: usize = 64;
const RUN_FOR: Duration = Duration::from_secs(6);
const OFFERED_PER_SECOND: u64 = 5_000;

/// Latencies of one run, sorted.
struct Measured {
    accepted: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Measured {
    fn new(accepted: usize, elapsed: Duration, mut latencies: Vec<Duration>) -> Self {
        latencies.sort();
        Measured { accepted, elapsed, latencies }
    }

    fn per_second(&self) -> f64 {
        self.accepted as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[index].as_secs_f64() * 1e3
    }

    fn row(&self, what: &str) -> String {
        format!(
            "| {what} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} |",
            self.accepted,
            self.per_second(),
            self.percentile_ms(0.50),
            self.percentile_ms(0.99),
            self.percentile_ms(0.999),
            self.latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1e3)
        )
    }
}

/// A minimal HTTP/1.1 keep-alive client, so the generator spends as little of the machine's CPU
/// as possible and the server gets the rest.
struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    async fn open(address: SocketAddr) -> Connection {
        let stream = TcpStream::connect(address).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Connection { stream, buffer: Vec::with_capacity(4096) }
    }

    /// Sends one request and returns the reply's status.
    async fn send(&mut self, request: &[u8]) -> u16 {
        self.stream.write_all(request).await.expect("send");
        loop {
            if let Some(end) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buffer[..end]).expect("an ASCII head").to_owned();
                let status: u16 = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status");
                let length: usize = head
                    .lines()
                    .find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                let total = end + 4 + length;
                while self.buffer.len() < total {
                    self.read_more().await;
                }
                self.buffer.drain(..total);
                return status;
            }
            self.read_more().await;
        }
    }

    async fn read_more(&mut self) {
        let mut chunk = [0u8; 8192];
        let read = self.stream.read(&mut chunk).await.expect("read");
        assert!(read > 0, "the server closed the connection");
        self.buffer.extend_from_slice(&chunk[..read]);
    }
}

fn post(host: SocketAddr, path: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn pagerduty_event(key: &str, dedup_key: &str) -> String {
    format!(
        r#"{{"routing_key":"{key}","event_action":"trigger","dedup_key":"{dedup_key}","payload":{{"summary":"Disk 95% full on {dedup_key}","source":"db-1.prod","severity":"critical","component":"postgres","custom_details":{{"free_gb":3,"mount":"/var/lib/postgresql"}}}},"client":"bench"}}"#
    )
}

/// How each connection makes its next request.
type MakeRequest = Arc<dyn Fn(usize, u64) -> Vec<u8> + Send + Sync>;

/// Every connection sends as fast as the server answers, for `RUN_FOR`.
async fn closed_loop(address: SocketAddr, make: MakeRequest, accept: fn(u16) -> bool) -> Measured {
    let started = Instant::now();
    let deadline = started + RUN_FOR;
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|connection| {
            let make = make.clone();
            tokio::spawn(async move {
                let mut client = Connection::open(address).await;
                let mut latencies = Vec::new();
                let mut n = 0;
                while Instant::now() < deadline {
                    let request = make(connection, n);
                    let sent = Instant::now();
                    let status = client.send(&request).await;
                    assert!(accept(status), "unexpected status {status}");
                    latencies.push(sent.elapsed());
                    n += 1;
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("connection"));
    }
    Measured::new(latencies.len(), started.elapsed(), latencies)
}

/// Events offered at a fixed total rate; latency runs from each event's planned send time.
async fn open_loop(address: SocketAddr, make: MakeRequest, per_second: u64) -> Measured {
    let interval = Duration::from_secs_f64(CONNECTIONS as f64 / per_second as f64);
    let started = Instant::now() + Duration::from_millis(100);
    let per_connection = (RUN_FOR.as_secs_f64() / interval.as_secs_f64()) as u64;
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|connection| {
            let make = make.clone();
            tokio::spawn(async move {
                let mut client = Connection::open(address).await;
                let offset = interval.mul_f64(connection as f64 / CONNECTIONS as f64);
                let mut latencies = Vec::new();
                for n in 0..per_connection {
                    let planned = started + offset + interval.mul_f64(n as f64);
                    tokio::time::sleep_until(planned.into()).await;
                    let status = client.send(&make(connection, n)).await;
                    assert_eq!(status, 202);
                    latencies.push(planned.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("connection"));
    }
    Measured::new(latencies.len(), started.elapsed(), latencies)
}

/// The group-commit writer alone: 64 tasks each hand it one alert at a time, without HTTP.
async fn bare_writer(store: Store, service: ServiceId) -> Measured {
    let started = Instant::now();
    let deadline = started + RUN_FOR;
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|task| {
            let (store, service) = (store.clone(), service.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut n = 0;
                while Instant::now() < deadline {
                    let mut signal = Signal::new(SignalAction::Trigger, Some(format!("bare-{task}-{n}")));
                    signal.summary = "Disk 95% full".to_owned();
                    signal.source = "db-1.prod".to_owned();
                    signal.severity = Severity::Critical;
                    let delivery = Delivery {
                        service_id: service.clone(),
                        signal,
                        by: ActedBy::monitor("bench"),
                        origin: "pagerduty".to_owned(),
                        received_at: Timestamp::now(),
                    };
                    let sent = Instant::now();
                    store.ingest(vec![delivery]).await.expect("ingest");
                    latencies.push(sent.elapsed());
                    n += 1;
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("task"));
    }
    Measured::new(latencies.len(), started.elapsed(), latencies)
}

/// The disk under the database alone: a 16 KB write and an `fdatasync` every millisecond, in a
/// temporary folder like the SQLite database's (the same file system). A durable commit can
/// answer no faster than its sync, so this row's tail is the floor under every latency above it.
async fn disk_syncs() -> Measured {
    tokio::task::spawn_blocking(|| {
        use std::io::{Seek, SeekFrom, Write};
        let folder = tempfile::tempdir().expect("folder");
        let mut file = std::fs::File::create(folder.path().join("syncs")).expect("file");
        let block = vec![0x5a_u8; 16 * 1024];
        let started = Instant::now();
        let mut latencies = Vec::new();
        while started.elapsed() < RUN_FOR {
            std::thread::sleep(Duration::from_millis(1));
            let position = (latencies.len() % 1024 * block.len()) as u64;
            file.seek(SeekFrom::Start(position)).expect("seek");
            file.write_all(&block).expect("write");
            let sent = Instant::now();
            file.sync_data().expect("fdatasync");
            latencies.push(sent.elapsed());
        }
        Measured::new(latencies.len(), started.elapsed(), latencies)
    })
    .await
    .expect("disk probe")
}

/// A Muster server on its own two-worker runtime, as a separate process would have.
struct Server {
    address: SocketAddr,
    store: Store,
    service: ServiceId,
    key: String,
    _database: TestDatabase,
}

async fn start_server(database: TestDatabase) -> Server {
    let store = database.open().await.expect("open the database");
    let now = SystemClock.now();
    let email = "bench@example.com";
    console::create_user(&store, email, "Bench", Role::Admin, None, Some("benchmark password".into()), now)
        .await
        .expect("admin");
    let new = muster_core::service::NewService::parse("Bench", None, None).expect("service");
    let actor = muster_core::audit::Actor::System("bench");
    let service = store.create_service(&new, &actor, now).await.expect("service").id;
    let unlimited = muster_core::alert::settings::AlertSettings {
        rate_limit_per_minute: None,
        open_alert_cap: None,
        ..Default::default()
    };
    store.set_alert_settings(&service, &unlimited, &actor, now).await.expect("settings");
    let key = "benchbenchbenchbenchbenchbench32".to_owned();
    store
        .create_integration_key(
            &service,
            muster_core::service::IntegrationKind::Pagerduty,
            "bench",
            &key,
            &actor,
            now,
        )
        .await
        .expect("key");
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    std_listener.set_nonblocking(true).expect("nonblocking");
    let address = std_listener.local_addr().expect("address");
    let url = database.url.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            // The server gets its own store (own pools and writer task) on its own runtime.
            let store = Store::open(&url).await.expect("open");
            let listener = tokio::net::TcpListener::from_std(std_listener).expect("listener");
            let state = AppState::new(store, Arc::new(SystemClock), Config::new(url, address));
            muster_server::run(listener, state, std::future::pending()).await.expect("serve");
        });
    });
    while TcpStream::connect(address).await.is_err() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Server { address, store, service, key, _database: database }
}

async fn scenarios(backend: &str, database: TestDatabase, rows: &mut Vec<String>) -> Vec<f64> {
    let server = start_server(database).await;
    let (address, key) = (server.address, server.key.clone());
    let distinct_key = key.clone();
    let distinct: MakeRequest = Arc::new(move |connection, n| {
        post(address, "/v2/enqueue", &pagerduty_event(&distinct_key, &format!("host-{connection}-{n}")))
    });
    let hot_body = pagerduty_event(&key, "hot-key");
    let hot: MakeRequest = Arc::new(move |_, _| post(address, "/v2/enqueue", &hot_body));
    let accepted = |status: u16| status == 202;

    let distinct_run = closed_loop(address, distinct, accepted).await;
    rows.push(distinct_run.row(&format!("{backend}: PagerDuty v2, distinct keys, as fast as answered")));
    let hot_run = closed_loop(address, hot, accepted).await;
    rows.push(hot_run.row(&format!("{backend}: PagerDuty v2, one hot key, as fast as answered")));
    // New keys again, so that the offered run opens new alerts rather than repeating open ones.
    let fresh_key = key.clone();
    let fresh: MakeRequest = Arc::new(move |connection, n| {
        post(address, "/v2/enqueue", &pagerduty_event(&fresh_key, &format!("fresh-{connection}-{n}")))
    });
    let offered = open_loop(address, fresh, OFFERED_PER_SECOND).await;
    rows.push(
        offered.row(&format!("{backend}: PagerDuty v2, distinct keys, {OFFERED_PER_SECOND}/s offered")),
    );
    let health: MakeRequest =
        Arc::new(move |_, _| format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\n\r\n").into_bytes());
    let ceiling_http = closed_loop(address, health, |s| s == 200).await;
    rows.push(ceiling_http.row(&format!("{backend}: ceiling, GET /healthz (no database work)")));
    let ceiling_writer = bare_writer(server.store.clone(), server.service.clone()).await;
    rows.push(ceiling_writer.row(&format!("{backend}: ceiling, group-commit writer without HTTP")));
    if backend == "SQLite" {
        rows.push(disk_syncs().await.row("disk: a 16 KB write and fdatasync every ms (syncs, sync latency)"));
    }
    vec![
        distinct_run.per_second(),
        hot_run.per_second(),
        ceiling_http.per_second(),
        ceiling_writer.per_second(),
    ]
}

/// Alertmanager's own ingestion of single-alert requests, when its binary is installed.
async fn alertmanager(rows: &mut Vec<String>) -> Option<f64> {
    let binary = ["/usr/bin/prometheus-alertmanager", "/usr/bin/alertmanager"]
        .into_iter()
        .find(|p| std::path::Path::new(p).is_file())?;
    let folder = tempfile::tempdir().expect("folder");
    let config = folder.path().join("alertmanager.yml");
    std::fs::write(&config, "route:\n  receiver: nowhere\nreceivers:\n  - name: nowhere\n").expect("config");
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let mut process = std::process::Command::new(binary)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.path={}", folder.path().join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let address: SocketAddr = format!("127.0.0.1:{port}").parse().expect("address");
    while TcpStream::connect(address).await.is_err() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let make: MakeRequest = Arc::new(move |connection, n| {
        let body = format!(
            r#"[{{"labels":{{"alertname":"DiskFull","instance":"host-{connection}-{n}","severity":"critical"}},"annotations":{{"summary":"Disk 95% full"}}}}]"#
        );
        post(address, "/api/v2/alerts", &body)
    });
    let run = closed_loop(address, make, |s| s == 200).await;
    rows.push(run.row("Alertmanager 0.25 (in memory): POST /api/v2/alerts, one alert each"));
    let _ = process.kill();
    let _ = process.wait();
    Some(run.per_second())
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // The server logs as `muster serve` does (standard error, `RUST_LOG` or `info`), so that the
    // figures include what logging costs.
    muster_server::telemetry::init(muster_server::config::LogFormat::Text);
    // PostgreSQL commits are only durable (like a production server's) with fsync on.
    if std::env::var_os("MUSTER_TEST_POSTGRES_FSYNC").is_none() {
        eprintln!("note: set MUSTER_TEST_POSTGRES_FSYNC=on for durable PostgreSQL figures");
    }
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    // `cargo bench --bench ingest -- sqlite` skips the other parts (postgres, alertmanager); SQLite always runs.
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let wanted = |part: &str| only.is_empty() || only.iter().any(|o| o == part);
    runtime.block_on(async {
        let mut rows = Vec::new();
        let sqlite = scenarios("SQLite", TestDatabase::sqlite(), &mut rows).await;
        let postgres = match wanted("postgres").then_some(()) {
            None => None,
            Some(()) => match TestDatabase::postgres("ingest benchmark").await {
                Some(database) => Some(scenarios("PostgreSQL", database, &mut rows).await),
                None => {
                    eprintln!("PostgreSQL skipped: no server to be had");
                    None
                }
            },
        };
        let alertmanager = if wanted("alertmanager") { alertmanager(&mut rows).await } else { None };
        println!("| scenario | accepted | per second | p50 ms | p99 ms | p99.9 ms | max ms |");
        println!("| --- | --- | --- | --- | --- | --- | --- |");
        for row in rows {
            println!("{row}");
        }
        println!();
        let ratios = |name: &str, figures: &[f64]| {
            println!(
                "{name}: distinct keys at {:.0}% of the HTTP ceiling and {:.0}% of the bare writer; hot key at {:.0}% of the HTTP ceiling",
                100.0 * figures[0] / figures[2],
                100.0 * figures[0] / figures[3],
                100.0 * figures[1] / figures[2]
            );
        };
        ratios("SQLite", &sqlite);
        if let Some(postgres) = &postgres {
            ratios("PostgreSQL", postgres);
        }
        if let Some(am) = alertmanager {
            println!("Alertmanager: {am:.0}/s; Muster on SQLite, distinct keys, at {:.0}% of it", 100.0 * sqlite[0] / am);
        }
    });
}
