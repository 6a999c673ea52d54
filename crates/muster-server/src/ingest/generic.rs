//! Muster's generic JSON format at `POST /api/v1/ingest/generic/{key}` (or with the key as a
//! bearer token at `/api/v1/ingest/generic`), for scripts and tools without a format of their own.
//! The reply names the dedup key (made up when the sender gave none) and what happened.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State, rejection::BytesRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use muster_core::{
    alert::{Outcome, formats::generic},
    service::IntegrationKind,
};
use serde_json::json;

use super::{
    Accepted, KeyPlace, Refusal, accept, find_key, key_from_authorization, muster_reply, read_json, refused,
};
use crate::state::AppState;

const FORMAT: &str = "generic";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/ingest/generic/{key}", post(by_path))
        .route("/api/v1/ingest/generic", post(by_header))
}

async fn by_path(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    handle(&state, Some(key), &headers, body).await
}

async fn by_header(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    handle(&state, None, &headers, body).await
}

async fn handle(
    state: &AppState,
    path_key: Option<String>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let place = if path_key.is_some() { KeyPlace::Path } else { KeyPlace::Header };
    let result = async {
        let secret = match &path_key {
            Some(key) => key.as_str(),
            None => key_from_authorization(headers, "Bearer").ok_or(Refusal::NoKey)?,
        };
        let key = find_key(state, secret, IntegrationKind::Generic).await?;
        let (_, value) = read_json(headers, body)?;
        let signal = generic::parse(&value).map_err(Refusal::Invalid)?;
        accept(state, &key, FORMAT, vec![signal]).await
    }
    .await;
    match result {
        Ok(accepted) => {
            let Some(Accepted { dedup_key, outcome }) = accepted.into_iter().next() else {
                return muster_reply(Refusal::Unavailable, place);
            };
            let (what, alert_id) = describe(&outcome);
            (
                StatusCode::ACCEPTED,
                Json(json!({"status": "accepted", "dedup_key": dedup_key, "outcome": what, "alert_id": alert_id})),
            )
                .into_response()
        }
        Err(refusal) => muster_reply(refused(state, FORMAT, refusal), place),
    }
}

/// The outcome in one word, and the alert it landed on.
pub fn describe(outcome: &Outcome) -> (&'static str, Option<String>) {
    let word = match outcome {
        Outcome::Opened(_) => "opened",
        Outcome::Repeated(_) => "repeated",
        Outcome::Grouped { .. } => "grouped",
        Outcome::Acknowledged(_) => "acknowledged",
        Outcome::Resolved(_) => "resolved",
        Outcome::Unchanged(_) => "unchanged",
        Outcome::Ignored => "ignored",
    };
    (word, outcome.alert_id().map(ToString::to_string))
}
