//! PagerDuty Events API v2 at `POST /v2/enqueue` and the legacy v1 API at
//! `POST /generic/2010-04-15/create_event.json`, with PagerDuty's own reply shapes: a client
//! written for PagerDuty reads Muster's answers unchanged. PagerDuty reports an unknown routing
//! key as an invalid event (400), and so does Muster.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{State, rejection::BytesRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use muster_core::{
    alert::formats::pagerduty::{self, PagerDutyEvent},
    service::IntegrationKind,
};
use serde_json::json;

use super::{Refusal, accept, find_key, read_json, refused, with_retry_after};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v2/enqueue", post(enqueue_v2))
        .route("/generic/2010-04-15/create_event.json", post(create_event_v1))
}

#[derive(Clone, Copy)]
enum Version {
    V2,
    V1,
}

async fn enqueue_v2(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    handle(&state, &headers, body, Version::V2).await
}

async fn create_event_v1(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    handle(&state, &headers, body, Version::V1).await
}

async fn handle(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    version: Version,
) -> Response {
    let format = match version {
        Version::V2 => "pagerduty",
        Version::V1 => "pagerduty_v1",
    };
    match receive(state, headers, body, version, format).await {
        Ok(dedup_key) => match version {
            Version::V2 => (
                StatusCode::ACCEPTED,
                Json(json!({"status": "success", "message": "Event processed", "dedup_key": dedup_key})),
            )
                .into_response(),
            Version::V1 => (
                StatusCode::OK,
                Json(json!({"status": "success", "message": "Event processed", "incident_key": dedup_key})),
            )
                .into_response(),
        },
        Err(refusal) => reply(refused(state, format, refusal)),
    }
}

async fn receive(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    version: Version,
    format: &'static str,
) -> Result<String, Refusal> {
    let (_, value) = read_json(headers, body)?;
    let parsed = match version {
        Version::V2 => pagerduty::parse_v2(&value),
        Version::V1 => pagerduty::parse_v1(&value),
    };
    let PagerDutyEvent { routing_key, signal } = parsed.map_err(Refusal::Invalid)?;
    let key = find_key(state, &routing_key, IntegrationKind::Pagerduty).await?;
    let accepted = accept(state, &key, format, vec![signal]).await?;
    Ok(accepted.into_iter().next().map(|a| a.dedup_key).unwrap_or_default())
}

fn reply(refusal: Refusal) -> Response {
    let key_field = |problem: &str| problem.replacen("key:", "routing_key:", 1);
    let (status, body) = match &refusal {
        Refusal::RateLimited { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            json!({"status": "throttle event", "message": "Requests for this service are arriving too quickly. Please retry later.",
                   "errors": refusal.problems()}),
        ),
        Refusal::TooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({"status": "invalid event", "message": "Event object is too large", "errors": refusal.problems()}),
        ),
        Refusal::UnsupportedMediaType => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            json!({"status": "invalid event", "message": "Event object must be JSON", "errors": refusal.problems()}),
        ),
        Refusal::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"status": "unavailable", "message": "Event could not be stored; retry", "errors": refusal.problems()}),
        ),
        _ => (
            StatusCode::BAD_REQUEST,
            json!({"status": "invalid event", "message": "Event object is invalid",
                   "errors": refusal.problems().iter().map(|p| key_field(p)).collect::<Vec<_>>()}),
        ),
    };
    with_retry_after((status, Json(body)).into_response(), &refusal)
}
