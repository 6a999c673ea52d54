//! Ingestion: the routes monitors send alerts to, one per inbound format, each authenticated by a
//! service's integration key. Every format follows the same path: read the body (512 KB at most,
//! JSON only), find the key, check the service's rate limit, parse into signals, hand them to the
//! store's group-commit writer, and answer only once they are committed, in the format's own reply
//! shape. Nothing is answered 2xx that is not on disk.

mod generic;
mod heartbeat;
mod key_cache;
mod opsgenie;
mod pagerduty;
mod rate_limit;
mod webhook;

pub use generic::describe;
pub use heartbeat::{FORMAT as HEARTBEAT_FORMAT, heartbeat_delivery};
pub use key_cache::KeyCache;
pub use rate_limit::RateLimiter;

use std::collections::HashSet;

use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, rejection::BytesRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use muster_core::{
    Invalid,
    alert::{ActedBy, Outcome, Signal, SignalAction},
    service::IntegrationKind,
};
use muster_store::{Delivery, InboundKey};
use serde_json::Value;

use crate::{error::ErrorBody, events::Topic, state::AppState};

/// The largest body any ingestion route reads, as PagerDuty allows.
pub const MAX_EVENT_BYTES: usize = 512 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(pagerduty::router())
        .merge(webhook::router())
        .merge(opsgenie::router())
        .merge(generic::router())
        .merge(heartbeat::router())
        .layer(DefaultBodyLimit::max(MAX_EVENT_BYTES))
}

/// Why an inbound request was refused; each format turns it into its own reply.
#[derive(Debug)]
pub enum Refusal {
    /// No key was presented where the format expects one in a header.
    NoKey,
    /// The key is unknown, revoked, or of another service's deleted past.
    UnknownKey,
    /// The key belongs to another format; the hint says where it belongs.
    WrongKind(IntegrationKind),
    BadSignature(&'static str),
    TooLarge,
    UnsupportedMediaType,
    NotJson(String),
    Invalid(Invalid),
    RateLimited {
        retry_after_secs: u64,
    },
    Unavailable,
}

impl Refusal {
    /// The `reason` label of the rejected-alerts metric.
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::NoKey | Refusal::UnknownKey | Refusal::WrongKind(_) => "unknown_key",
            Refusal::BadSignature(_) => "bad_signature",
            Refusal::TooLarge => "too_large",
            Refusal::UnsupportedMediaType => "unsupported_media_type",
            Refusal::NotJson(_) => "invalid_json",
            Refusal::Invalid(_) => "invalid_event",
            Refusal::RateLimited { .. } => "rate_limited",
            Refusal::Unavailable => "unavailable",
        }
    }

    /// What went wrong, as `field: problem` lines.
    pub fn problems(&self) -> Vec<String> {
        match self {
            Refusal::NoKey => vec!["key: is missing".to_owned()],
            Refusal::UnknownKey => vec!["key: is not a live integration key".to_owned()],
            Refusal::WrongKind(kind) => {
                vec![format!("key: is a {kind} key; send its events to the {kind} route")]
            }
            Refusal::BadSignature(why) => vec![format!("signature: {why}")],
            Refusal::TooLarge => vec![format!("body: must be at most {MAX_EVENT_BYTES} bytes")],
            Refusal::UnsupportedMediaType => vec!["Content-Type: must be application/json".to_owned()],
            Refusal::NotJson(why) => vec![format!("body: is not valid JSON ({why})")],
            Refusal::Invalid(invalid) => invalid.0.iter().map(ToString::to_string).collect(),
            Refusal::RateLimited { retry_after_secs } => {
                vec![format!("the service's rate limit is used up; retry in {retry_after_secs} s")]
            }
            Refusal::Unavailable => vec!["the alert could not be stored; retry".to_owned()],
        }
    }
}

/// Reads a JSON body: it must have fitted the size limit and say it is JSON.
pub fn read_json(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(Bytes, Value), Refusal> {
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => Refusal::TooLarge,
        _ => Refusal::NotJson(rejection.body_text()),
    })?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence != "application/json" && !essence.ends_with("+json") {
        return Err(Refusal::UnsupportedMediaType);
    }
    let value = serde_json::from_slice(&body).map_err(|e| Refusal::NotJson(e.to_string()))?;
    Ok((body, value))
}

/// Finds a live key of `kind` with this secret.
pub async fn find_key(state: &AppState, secret: &str, kind: IntegrationKind) -> Result<InboundKey, Refusal> {
    let secret = secret.trim();
    // Read the generation before the database, so a change made meanwhile leaves the entry stale.
    let generation = state.events.service_generation();
    let key = match state.key_cache.get(secret, generation) {
        Some(key) => Some(key),
        None => {
            let key = state.store.find_inbound_key(secret).await.map_err(|error| {
                tracing::error!(error = %error, "looking up an integration key failed");
                Refusal::Unavailable
            })?;
            if let Some(key) = &key {
                state.key_cache.put(secret, key.clone(), generation);
            }
            key
        }
    };
    match key {
        None => Err(Refusal::UnknownKey),
        Some(key) if key.kind != kind => Err(Refusal::WrongKind(key.kind)),
        Some(key) => Ok(key),
    }
}

/// What one accepted signal became.
#[derive(Debug)]
pub struct Accepted {
    pub dedup_key: String,
    pub outcome: Outcome,
}

/// Checks the rate limit, stores the signals in one group commit, and tells live pages. Triggers
/// without a dedup key get a fresh one, which the reply returns.
pub async fn accept(
    state: &AppState,
    key: &InboundKey,
    format: &'static str,
    signals: Vec<Signal>,
) -> Result<Vec<Accepted>, Refusal> {
    let now = state.now();
    if let Some(limit) = key.rate_limit_per_minute
        && let Err(retry_after_secs) =
            state.rate_limiter.take(&key.service_id, limit, signals.len() as u32, now)
    {
        return Err(Refusal::RateLimited { retry_after_secs });
    }
    let by = ActedBy::monitor(format!("{} key {:?}", key.kind, key.name));
    let deliveries: Vec<Delivery> = signals
        .into_iter()
        .map(|mut signal| {
            if signal.dedup_key.is_none() {
                signal.dedup_key = Some(uuid::Uuid::new_v4().simple().to_string());
            }
            Delivery {
                service_id: key.service_id.clone(),
                signal,
                by: by.clone(),
                origin: key.kind.as_str().to_owned(),
                received_at: now,
            }
        })
        .collect();
    deliver(state, format, deliveries).await
}

/// Stores deliveries and tells live pages; shared by monitors and heartbeats.
pub async fn deliver(
    state: &AppState,
    format: &'static str,
    deliveries: Vec<Delivery>,
) -> Result<Vec<Accepted>, Refusal> {
    let keys: Vec<String> = deliveries.iter().map(|d| d.signal.key().to_owned()).collect();
    let actions: Vec<SignalAction> = deliveries.iter().map(|d| d.signal.action).collect();
    let outcomes = state.store.ingest(deliveries).await.map_err(|error| {
        tracing::error!(error = %error, alert.format = format, "storing alerts failed");
        Refusal::Unavailable
    })?;
    state.metrics.alerts_ingested(format, &actions, &outcomes);
    let mut changed = HashSet::new();
    for outcome in &outcomes {
        if let Some(id) = outcome.alert_id()
            && !matches!(outcome, Outcome::Unchanged(_))
            && changed.insert(id.clone())
        {
            let action = if matches!(outcome, Outcome::Opened(_)) { "created" } else { "updated" };
            state.events.publish(Topic::Alert, id.as_str(), action);
        }
    }
    // A new alert may have started a page whose first step is due at once.
    if let Some(opened) = outcomes.iter().find(|o| matches!(o, Outcome::Opened(_) | Outcome::Grouped { .. }))
    {
        state.events.publish(Topic::Page, opened.alert_id().map_or("", |id| id.as_str()), "created");
    }
    Ok(keys.into_iter().zip(outcomes).map(|(dedup_key, outcome)| Accepted { dedup_key, outcome }).collect())
}

/// Counts a refusal and passes it on.
pub fn refused(state: &AppState, format: &'static str, refusal: Refusal) -> Refusal {
    state.metrics.alert_rejected(format, refusal.reason());
    if !matches!(refusal, Refusal::Unavailable) {
        tracing::info!(alert.format = format, alert.reason = refusal.reason(), "refused an inbound alert");
    }
    refusal
}

/// Where a format expects its key, which decides how a bad key is answered: an unknown key in
/// the path is a resource that does not exist (404), a bad credential header is 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPlace {
    Path,
    Header,
}

/// A refusal in Muster's own error shape, for the formats that have none of their own.
pub fn muster_reply(refusal: Refusal, place: KeyPlace) -> Response {
    let (status, error) = match &refusal {
        Refusal::NoKey => (StatusCode::UNAUTHORIZED, "unauthenticated"),
        Refusal::UnknownKey | Refusal::WrongKind(_) if place == KeyPlace::Header => {
            (StatusCode::UNAUTHORIZED, "unauthenticated")
        }
        Refusal::UnknownKey | Refusal::WrongKind(_) => (StatusCode::NOT_FOUND, "not_found"),
        Refusal::BadSignature(_) => (StatusCode::UNAUTHORIZED, "bad_signature"),
        Refusal::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        Refusal::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        Refusal::NotJson(_) => (StatusCode::BAD_REQUEST, "invalid_body"),
        Refusal::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid_event"),
        Refusal::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        Refusal::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
    };
    let fields = match &refusal {
        Refusal::Invalid(invalid) => invalid.0.clone(),
        _ => Vec::new(),
    };
    let body = ErrorBody { error, message: refusal.problems().join("; "), fields };
    with_retry_after((status, Json(body)).into_response(), &refusal)
}

/// Adds `Retry-After` to a rate-limited reply.
pub fn with_retry_after(mut response: Response, refusal: &Refusal) -> Response {
    if let Refusal::RateLimited { retry_after_secs } = refusal
        && let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Reads a key from `Authorization: <scheme> <key>`.
pub fn key_from_authorization<'h>(headers: &'h HeaderMap, scheme: &str) -> Option<&'h str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (given, key) = value.trim().split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then_some(key.trim()).filter(|k| !k.is_empty())
}
