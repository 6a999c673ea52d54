//! Muster's server: the HTTP API, the web UI, probes and metrics, configuration, and the console
//! operations the binary runs directly on the database (bootstrap, demo data).
//!
//! This is the only crate with HTTP and HTML. It holds no SQL: everything stored goes through
//! `muster_store::Store`.

pub mod alerts;
pub mod api;
pub mod auth;
pub mod calendar;
pub mod clock;
pub mod config;
pub mod console;
mod csv;
pub mod demo;
pub mod directory;
pub mod engine;
pub mod error;
pub mod escalation;
pub mod events;
pub mod handoff_report;
pub mod handoffs;
mod health;
pub mod heartbeats;
pub mod incidents;
mod ingest;
pub mod json;
pub mod login_limit;
mod markdown;
mod metrics;
pub mod notifiers;
pub mod outbox;
pub mod paging;
pub mod postmortems;
pub mod reading_club;
pub mod relay;
pub mod reminders;
pub mod reports;
pub mod schedules;
pub mod secrets;
pub mod sizing;
pub mod slos;
pub mod state;
pub mod telemetry;
mod ui;

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::{HeaderName, HeaderValue, header},
    middleware,
    routing::get,
};
use axum::{
    body::Body,
    extract::MatchedPath,
    http::{Request, Response},
};
use muster_core::clock::Clock;
use muster_store::Store;
use tower_http::{
    classify::{ServerErrorsAsFailures, SharedClassifier},
    set_header::SetResponseHeaderLayer,
    trace::{OnResponse, TraceLayer},
};
use utoipa_swagger_ui::SwaggerUi;

use crate::{clock::SystemClock, config::Config, state::AppState};

/// Every route of Muster, with its middleware.
pub fn router(state: AppState) -> Router {
    // Monitors, probes and scrapers call these many times a second: an alert storm or a load
    // balancer would otherwise fill the log with a line per request (and cost a fifth of the
    // requests a second ingestion can answer, measured in BENCHMARKS.md).
    let machine_traffic = Router::new()
        .merge(ingest::router())
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::scrape))
        .route_layer(request_log(AccessLog::FailuresOnly));
    Router::new()
        .merge(api::router())
        .merge(ui::router())
        .merge(calendar::router())
        // The page is public; the document it loads needs a signed-in caller like the rest of /api/v1.
        .merge(SwaggerUi::new("/api/docs").config(utoipa_swagger_ui::Config::from(api::OPENAPI_PATH)))
        .route_layer(request_log(AccessLog::Every))
        .merge(machine_traffic)
        .route_layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(DefaultBodyLimit::max(json::MAX_BODY_BYTES))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'"),
        ))
        .with_state(state)
}

/// Which answered requests get a line at `info`; the others get theirs at `debug`.
#[derive(Debug, Clone, Copy)]
enum AccessLog {
    /// Requests from people (the UI, the API, calendar feeds).
    Every,
    /// Machine traffic: a successful request is routine, a refused one (a monitor with a wrong
    /// key, a bad event) is what an operator looks for.
    FailuresOnly,
}

impl<B> OnResponse<B> for AccessLog {
    fn on_response(self, response: &Response<B>, latency: Duration, _span: &tracing::Span) {
        let status = response.status();
        let latency_ms = latency.as_secs_f64() * 1000.0;
        match self {
            AccessLog::FailuresOnly if status.is_success() => {
                tracing::debug!(http.status = status.as_u16(), latency_ms, "request answered");
            }
            _ => tracing::info!(http.status = status.as_u16(), latency_ms, "request answered"),
        }
    }
}

/// How a request's span is made: [`request_span`].
type MakeRequestSpan = fn(&Request<Body>) -> tracing::Span;

/// A span per request that names its route, and a line when it is answered.
fn request_log(
    lines: AccessLog,
) -> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, MakeRequestSpan, (), AccessLog> {
    TraceLayer::new_for_http()
        .make_span_with(request_span as MakeRequestSpan)
        .on_request(())
        .on_response(lines)
}

/// The span of one request names its route template, not its URI: URIs can hold secrets
/// (integration keys in ingestion paths) and ids that make logs hard to aggregate.
fn request_span(request: &Request<Body>) -> tracing::Span {
    let route = request.extensions().get::<MatchedPath>().map_or("", MatchedPath::as_str);
    tracing::info_span!("request", http.method = %request.method(), http.route = %route)
}

/// Serves `state` on an already bound listener until `shutdown` completes.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

/// `muster serve`: opens (and migrates) the database, seeds the demo when asked, and serves until
/// Ctrl-C or SIGTERM.
pub async fn serve(config: Config, demo: bool) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    tracing::info!(database = %config.redacted_database_url(), "opening the database");
    let store = Store::open(&config.database_url).await?;
    let clock = Arc::new(SystemClock);
    let (listen, public_url) = (config.listen, config.public_url());
    notifiers::Notifiers::new(&config)?;
    let state = AppState::new(store.clone(), clock.clone(), config);
    if demo {
        demo::seed(&state, clock.now()).await?;
    }
    if store.count_users().await? == 0 {
        eprintln!("{}", console::NO_USERS_HINT);
    }
    // Bound last, so that nothing answers before the demo is in and the hint is printed.
    let listener = tokio::net::TcpListener::bind(listen).await?;
    tokio::spawn(handoffs::run(state.clone()));
    tokio::spawn(heartbeats::run(state.clone()));
    tokio::spawn(reminders::run(state.clone()));
    tokio::spawn(relay::run(state.clone()));
    let holder = engine::lease_holder();
    tokio::spawn(engine::run(state.clone(), holder.clone()));
    tokio::spawn(outbox::run(state.clone()));
    tracing::info!(listen = %listener.local_addr()?, public_url = %public_url, "Muster is serving");
    eprintln!("Muster is serving at {public_url} (API docs at {public_url}/api/docs)");
    run(listener, state, shutdown_signal()).await?;
    if let Err(error) = store.release_engine_lease(&holder).await {
        tracing::warn!(error = %error, "giving up the engine lease failed; a standby takes over when it expires");
    }
    store.close().await;
    tracing::info!("Muster stopped");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
