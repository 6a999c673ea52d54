//! The Opsgenie alert API, enough for Alertmanager's `opsgenie_configs` and Opsgenie clients:
//! `POST /v2/alerts` creates, `POST /v2/alerts/{identifier}/acknowledge` and `/close` act on an
//! alert by alias (`?identifierType=alias`) or by Muster's alert id (the default, `id`). The key is
//! sent as `Authorization: GenieKey <key>`. Replies use Opsgenie's shape
//! (`{"result", "took", "requestId"}`, errors as `{"message", "took", "requestId"}`).

use std::time::Instant;

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, Query, State, rejection::BytesRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use muster_core::{
    Invalid,
    alert::{Signal, SignalAction, formats::opsgenie},
    ids::AlertId,
    service::IntegrationKind,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Refusal, accept, find_key, key_from_authorization, read_json, refused, with_retry_after};
use crate::state::AppState;

const FORMAT: &str = "opsgenie";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v2/alerts", post(create))
        .route("/v2/alerts/{identifier}/acknowledge", post(acknowledge))
        .route("/v2/alerts/{identifier}/close", post(close))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Identifier {
    identifier_type: Option<String>,
}

async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let started = Instant::now();
    let result = async {
        let key = authenticate(&state, &headers).await?;
        let (_, value) = read_json(&headers, body)?;
        let signal = opsgenie::parse_create(&value).map_err(Refusal::Invalid)?;
        accept(&state, &key, FORMAT, vec![signal]).await
    }
    .await;
    reply(&state, result.map(|_| ()), started)
}

async fn acknowledge(
    State(state): State<AppState>,
    Path(identifier): Path<String>,
    Query(kind): Query<Identifier>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    act(state, identifier, kind, headers, body, SignalAction::Acknowledge).await
}

async fn close(
    State(state): State<AppState>,
    Path(identifier): Path<String>,
    Query(kind): Query<Identifier>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    act(state, identifier, kind, headers, body, SignalAction::Resolve).await
}

async fn act(
    state: AppState,
    identifier: String,
    kind: Identifier,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
    action: SignalAction,
) -> Response {
    let started = Instant::now();
    let result = async {
        let key = authenticate(&state, &headers).await?;
        let value = match &body {
            Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => None,
            _ => Some(read_json(&headers, body)?.1),
        };
        let alias = match kind.identifier_type.as_deref().unwrap_or("id") {
            "alias" => identifier,
            "id" => alias_of(&state, &identifier, &key.service_id).await?,
            _ => return Err(Refusal::Invalid(Invalid::one("identifierType", "must be id or alias"))),
        };
        let signal: Signal =
            opsgenie::parse_action(&alias, action, value.as_ref()).map_err(Refusal::Invalid)?;
        accept(&state, &key, FORMAT, vec![signal]).await
    }
    .await;
    reply(&state, result.map(|_| ()), started)
}

async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<muster_store::InboundKey, Refusal> {
    let secret = key_from_authorization(headers, "GenieKey").ok_or(Refusal::NoKey)?;
    find_key(state, secret, IntegrationKind::Opsgenie).await
}

/// The dedup key of one of the service's alerts, named by its Muster id.
async fn alias_of(
    state: &AppState,
    id: &str,
    service: &muster_core::ids::ServiceId,
) -> Result<String, Refusal> {
    match state.store.get_alert(&AlertId(id.to_owned())).await {
        Ok(alert) if &alert.service_id == service => Ok(alert.dedup_key),
        Ok(_) | Err(muster_store::StoreError::NotFound(_)) => {
            Err(Refusal::Invalid(Invalid::one("identifier", "is not an alert of this key's service")))
        }
        Err(error) => {
            tracing::error!(error = %error, "reading an alert for Opsgenie failed");
            Err(Refusal::Unavailable)
        }
    }
}

fn reply(state: &AppState, result: Result<(), Refusal>, started: Instant) -> Response {
    let took = (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
    let request_id = uuid::Uuid::new_v4().to_string();
    match result {
        Ok(()) => (
            StatusCode::ACCEPTED,
            Json(json!({"result": "Request will be processed", "took": took, "requestId": request_id})),
        )
            .into_response(),
        Err(refusal) => {
            let refusal = refused(state, FORMAT, refusal);
            let status = match &refusal {
                Refusal::NoKey | Refusal::UnknownKey | Refusal::WrongKind(_) | Refusal::BadSignature(_) => {
                    StatusCode::UNAUTHORIZED
                }
                Refusal::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                Refusal::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Refusal::NotJson(_) | Refusal::Invalid(_) => StatusCode::BAD_REQUEST,
                Refusal::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                Refusal::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            };
            let message = match &refusal {
                Refusal::NoKey | Refusal::UnknownKey | Refusal::WrongKind(_) => {
                    format!("Could not authenticate: {}", refusal.problems().join("; "))
                }
                _ => refusal.problems().join("; "),
            };
            let errors: Value = match &refusal {
                Refusal::Invalid(invalid) => json!(invalid.0),
                _ => json!([]),
            };
            let body = json!({"message": message, "errors": errors, "took": took, "requestId": request_id});
            with_retry_after((status, Json(body)).into_response(), &refusal)
        }
    }
}
