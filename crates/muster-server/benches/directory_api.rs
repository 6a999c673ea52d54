//! Throughput and latency of the directory API over real HTTP on loopback, on SQLite and on
//! PostgreSQL: concurrent service creation (writes through the single SQLite writer) and listing.
//!
//! Run with `cargo bench -p muster-server --bench directory_api`; results go in BENCHMARKS.md.
//! Client and server share the machine, so the figures are for comparing changes on one machine,
//! not absolute capacity.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use muster_core::{clock::Clock, user::Role};
use muster_server::{clock::SystemClock, config::Config, console, state::AppState};
use muster_store::testing::TestDatabase;
use serde_json::json;

const CLIENTS: usize = 8;
const WRITES: usize = 2_000;
const READS: usize = 5_000;

struct Measured {
    requests: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Measured {
    fn percentile(&self, p: f64) -> Duration {
        let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[index]
    }

    fn row(&self, backend: &str, what: &str) -> String {
        format!(
            "| {backend} | {what} | {} | {:.0} | {:.1} | {:.1} | {:.1} |",
            self.requests,
            self.requests as f64 / self.elapsed.as_secs_f64(),
            self.percentile(0.50).as_secs_f64() * 1e3,
            self.percentile(0.99).as_secs_f64() * 1e3,
            self.latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
        )
    }
}

/// Runs `total` requests made by `request(n)` from `CLIENTS` concurrent clients.
async fn measure<F, Fut>(total: usize, request: F) -> Measured
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let request = Arc::new(request);
    let started = Instant::now();
    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let request = request.clone();
        clients.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            for n in (client..total).step_by(CLIENTS) {
                let sent = Instant::now();
                request(n).await;
                latencies.push(sent.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for client in clients {
        latencies.extend(client.await.expect("client finished"));
    }
    latencies.sort();
    Measured { requests: total, elapsed: started.elapsed(), latencies }
}

async fn bench(backend: &str, database: TestDatabase) -> Vec<String> {
    let store = database.open().await.expect("open the database");
    let now = SystemClock.now();
    console::create_user(
        &store,
        "bench@example.com",
        "Bench",
        Role::Admin,
        None,
        Some("benchmark password".into()),
        now,
    )
    .await
    .expect("admin");
    let token = console::create_token(&store, "bench@example.com", "bench", now).await.expect("token");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("port");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let config = Config::new(database.url.clone(), listener.local_addr().expect("address"));
    let state = AppState::new(store, Arc::new(SystemClock), config);
    tokio::spawn(muster_server::run(listener, state, std::future::pending()));

    let client = reqwest::Client::new();
    let (write_client, write_token, write_address) = (client.clone(), token.clone(), address.clone());
    let writes = measure(WRITES, move |n| {
        let request = write_client
            .post(format!("{write_address}/api/v1/services"))
            .bearer_auth(&write_token)
            .json(&json!({ "name": format!("service {n:05}"), "description": "created by the benchmark" }));
        async move {
            let status = request.send().await.expect("reply").status();
            assert_eq!(status, reqwest::StatusCode::CREATED);
        }
    })
    .await;
    let reads = measure(READS, move |n| {
        let offset = (n * 50) % WRITES;
        let request =
            client.get(format!("{address}/api/v1/services?limit=50&offset={offset}")).bearer_auth(&token);
        async move {
            let body = request.send().await.expect("reply").bytes().await.expect("body");
            assert!(body.len() > 1000);
        }
    })
    .await;
    vec![writes.row(backend, "POST /api/v1/services"), reads.row(backend, "GET /api/v1/services?limit=50")]
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut rows = bench("SQLite", TestDatabase::sqlite()).await;
    match TestDatabase::postgres("directory_api benchmark").await {
        Some(database) => rows.extend(bench("PostgreSQL", database).await),
        None => eprintln!("PostgreSQL skipped: no server to be had"),
    }
    println!("| backend | request | requests | per second | p50 ms | p99 ms | max ms |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for row in rows {
        println!("{row}");
    }
}
