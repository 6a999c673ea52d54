//! Prometheus metrics at `/metrics`: request counts and latencies per route, and the database
//! pools' connections.

use std::{fmt, time::Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};
use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

use muster_core::alert::{Outcome, SignalAction};

use crate::{error::ApiError, state::AppState};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: String,
    state: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FormatLabels {
    format: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RejectionLabels {
    format: String,
    reason: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    channel: String,
    result: String,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    pool_connections: Family<PoolLabels, Gauge>,
    alerts_received: Family<FormatLabels, Counter>,
    alerts_deduplicated: Family<FormatLabels, Counter>,
    alerts_rejected: Family<RejectionLabels, Counter>,
    alerts_rate_limited: Family<FormatLabels, Counter>,
    notification_attempts: Family<DeliveryLabels, Counter>,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("muster");
        let requests = Family::<RequestLabels, Counter>::default();
        // 1 ms to about 16 s.
        let latency: LatencyFamily = Family::new_with_constructor(|| {
            Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(0.001, 2.0, 15))
        });
        let pool_connections = Family::<PoolLabels, Gauge>::default();
        registry.register("http_requests", "HTTP requests answered, by route and status", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route",
            latency.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database pool connections, by pool and state (idle or in use)",
            pool_connections.clone(),
        );
        let alerts_received = Family::<FormatLabels, Counter>::default();
        let alerts_deduplicated = Family::<FormatLabels, Counter>::default();
        let alerts_rejected = Family::<RejectionLabels, Counter>::default();
        let alerts_rate_limited = Family::<FormatLabels, Counter>::default();
        registry.register(
            "alerts_received",
            "Alert events accepted and committed, by inbound format",
            alerts_received.clone(),
        );
        registry.register(
            "alerts_deduplicated",
            "Triggers that landed on an alert already open (repeats and storm grouping), by format",
            alerts_deduplicated.clone(),
        );
        registry.register(
            "alerts_rejected",
            "Inbound alert requests refused, by format and reason",
            alerts_rejected.clone(),
        );
        registry.register(
            "alerts_rate_limited",
            "Inbound alert requests refused by a service's rate limit, by format",
            alerts_rate_limited.clone(),
        );
        let notification_attempts = Family::<DeliveryLabels, Counter>::default();
        registry.register(
            "notification_attempts",
            "Attempts to deliver a notification message, by channel and result (delivered or failed)",
            notification_attempts.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            pool_connections,
            alerts_received,
            alerts_deduplicated,
            alerts_rejected,
            alerts_rate_limited,
            notification_attempts,
        }
    }

    /// Counts one delivery attempt of a message.
    pub fn notification_attempted(&self, channel: &str, delivered: bool) {
        let result = if delivered { "delivered" } else { "failed" };
        self.notification_attempts
            .get_or_create(&DeliveryLabels { channel: channel.to_owned(), result: result.to_owned() })
            .inc();
    }

    /// Counts committed alert events of one format.
    pub fn alerts_ingested(&self, format: &str, actions: &[SignalAction], outcomes: &[Outcome]) {
        let labels = FormatLabels { format: format.to_owned() };
        self.alerts_received.get_or_create(&labels).inc_by(outcomes.len() as u64);
        let deduplicated = actions
            .iter()
            .zip(outcomes)
            .filter(|(action, outcome)| {
                **action == SignalAction::Trigger
                    && matches!(outcome, Outcome::Repeated(_) | Outcome::Grouped { .. })
            })
            .count();
        self.alerts_deduplicated.get_or_create(&labels).inc_by(deduplicated as u64);
    }

    /// Counts a refused inbound request.
    pub fn alert_rejected(&self, format: &str, reason: &str) {
        if reason == "rate_limited" {
            self.alerts_rate_limited.get_or_create(&FormatLabels { format: format.to_owned() }).inc();
        }
        self.alerts_rejected
            .get_or_create(&RejectionLabels { format: format.to_owned(), reason: reason.to_owned() })
            .inc();
    }

    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let (method, route) = (method.to_owned(), route.to_owned());
        self.requests
            .get_or_create(&RequestLabels { method: method.clone(), route: route.clone(), status })
            .inc();
        self.latency.get_or_create(&RouteLabels { method, route }).observe(seconds);
    }
}

/// Middleware that counts and times every routed request under its route template, so that ids in
/// paths do not explode the number of series.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let response = next.run(request).await;
    if let Some(route) = route {
        state.metrics.observe(&method, &route, response.status().as_u16(), started.elapsed().as_secs_f64());
    }
    response
}

/// `GET /metrics` in the OpenMetrics text format.
pub async fn scrape(State(state): State<AppState>) -> Result<Response, ApiError> {
    for pool in state.store.pool_stats() {
        let idle = i64::from(pool.idle);
        let in_use = i64::from(pool.size) - idle;
        for (kind, value) in [("idle", idle), ("in_use", in_use)] {
            let labels = PoolLabels { pool: pool.name.to_owned(), state: kind.to_owned() };
            state.metrics.pool_connections.get_or_create(&labels).set(value);
        }
    }
    let mut text = String::new();
    encode(&mut text, &state.metrics.registry).map_err(|_| ApiError::Internal)?;
    Ok(([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text)
        .into_response())
}
