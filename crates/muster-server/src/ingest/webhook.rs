//! The Alertmanager (v4) and Grafana alerting webhooks. The key goes in the path
//! (`/api/v1/ingest/alertmanager/{key}`), or, to keep it out of URLs and proxy logs, as a bearer
//! token to the same route without it. Grafana keys may require an HMAC-SHA256 signature of the
//! body (or of `timestamp:body` when the key names a timestamp header), sent hex-encoded in
//! `X-Grafana-Alerting-Signature` or the older `X-Grafana-Alert-Signature`.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State, rejection::BytesRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use muster_core::{
    alert::{Outcome, formats::webhook},
    service::IntegrationKind,
};
use muster_store::InboundKey;
use serde_json::json;
use sha2::Sha256;

use super::{KeyPlace, Refusal, accept, find_key, key_from_authorization, muster_reply, read_json, refused};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/ingest/alertmanager/{key}", post(alertmanager_by_path))
        .route("/api/v1/ingest/alertmanager", post(alertmanager_by_header))
        .route("/api/v1/ingest/grafana/{key}", post(grafana_by_path))
        .route("/api/v1/ingest/grafana", post(grafana_by_header))
}

const SIGNATURE_HEADERS: [&str; 2] = ["x-grafana-alerting-signature", "x-grafana-alert-signature"];
/// How far a signed timestamp may be from now before the request is taken for a replay.
const SIGNATURE_TOLERANCE_SECS: i64 = 300;

async fn alertmanager_by_path(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    handle(&state, Some(key), &headers, body, webhook::Sender::Alertmanager).await
}

async fn alertmanager_by_header(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    handle(&state, None, &headers, body, webhook::Sender::Alertmanager).await
}

async fn grafana_by_path(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    handle(&state, Some(key), &headers, body, webhook::Sender::Grafana).await
}

async fn grafana_by_header(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    handle(&state, None, &headers, body, webhook::Sender::Grafana).await
}

async fn handle(
    state: &AppState,
    path_key: Option<String>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    sender: webhook::Sender,
) -> Response {
    let (kind, format) = match sender {
        webhook::Sender::Alertmanager => (IntegrationKind::Alertmanager, "alertmanager"),
        webhook::Sender::Grafana => (IntegrationKind::Grafana, "grafana"),
    };
    let place = if path_key.is_some() { KeyPlace::Path } else { KeyPlace::Header };
    match receive(state, path_key, headers, body, sender, kind, format).await {
        Ok(outcomes) => {
            let count = |f: fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
            (
                StatusCode::OK,
                Json(json!({
                    "status": "success",
                    "alerts": outcomes.len(),
                    "opened": count(|o| matches!(o, Outcome::Opened(_))),
                    "repeated": count(|o| matches!(o, Outcome::Repeated(_) | Outcome::Grouped { .. })),
                    "resolved": count(|o| matches!(o, Outcome::Resolved(_))),
                })),
            )
                .into_response()
        }
        Err(refusal) => muster_reply(refused(state, format, refusal), place),
    }
}

async fn receive(
    state: &AppState,
    path_key: Option<String>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    sender: webhook::Sender,
    kind: IntegrationKind,
    format: &'static str,
) -> Result<Vec<Outcome>, Refusal> {
    let secret = match &path_key {
        Some(key) => key.as_str(),
        None => key_from_authorization(headers, "Bearer").ok_or(Refusal::NoKey)?,
    };
    let key = find_key(state, secret, kind).await?;
    let (raw, value) = read_json(headers, body)?;
    verify_signature(&key, headers, &raw, state.now())?;
    let signals = webhook::parse(&value, sender).map_err(Refusal::Invalid)?;
    Ok(accept(state, &key, format, signals).await?.into_iter().map(|a| a.outcome).collect())
}

/// Checks the signature a key requires; keys without a signing secret accept any request.
fn verify_signature(
    key: &InboundKey,
    headers: &HeaderMap,
    body: &[u8],
    now: Timestamp,
) -> Result<(), Refusal> {
    let Some(secret) = &key.signing_secret else { return Ok(()) };
    let sent = SIGNATURE_HEADERS
        .iter()
        .find_map(|name| headers.get(*name))
        .and_then(|v| v.to_str().ok())
        .ok_or(Refusal::BadSignature("is missing (X-Grafana-Alerting-Signature)"))?;
    let sent = hex::decode(sent.trim()).map_err(|_| Refusal::BadSignature("is not hex"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| Refusal::Unavailable)?;
    if let Some(header) = &key.signing_timestamp_header {
        let stamp = headers
            .get(header.as_str())
            .and_then(|v| v.to_str().ok())
            .ok_or(Refusal::BadSignature("the signed timestamp header is missing"))?;
        let seconds: i64 =
            stamp.trim().parse().map_err(|_| Refusal::BadSignature("the timestamp is not Unix seconds"))?;
        if (now.as_second() - seconds).abs() > SIGNATURE_TOLERANCE_SECS {
            return Err(Refusal::BadSignature("the timestamp is more than 5 minutes from now"));
        }
        mac.update(stamp.trim().as_bytes());
        mac.update(b":");
    }
    mac.update(body);
    mac.verify_slice(&sent).map_err(|_| Refusal::BadSignature("does not match the body"))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;
    use muster_core::ids::{IntegrationKeyId, ServiceId};

    use super::*;

    fn key(timestamp_header: Option<&str>) -> InboundKey {
        InboundKey {
            id: IntegrationKeyId("k".into()),
            service_id: ServiceId("s".into()),
            kind: IntegrationKind::Grafana,
            name: "grafana".into(),
            signing_secret: Some("s3cret".into()),
            signing_timestamp_header: timestamp_header.map(str::to_owned),
            rate_limit_per_minute: None,
        }
    }

    fn sign(message: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
        mac.update(message);
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn either_header_spelling_carries_a_valid_body_signature() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        for name in SIGNATURE_HEADERS {
            let mut headers = HeaderMap::new();
            headers.insert(name, HeaderValue::from_str(&sign(b"{}")).unwrap());
            assert!(verify_signature(&key(None), &headers, b"{}", now).is_ok(), "{name}");
            assert!(verify_signature(&key(None), &headers, b"{ }", now).is_err(), "{name}: another body");
        }
        assert!(verify_signature(&key(None), &HeaderMap::new(), b"{}", now).is_err(), "unsigned");
    }

    #[test]
    fn a_timestamped_signature_covers_the_time_and_must_be_recent() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-ts", HeaderValue::from_static("1800000000"));
        headers.insert(SIGNATURE_HEADERS[0], HeaderValue::from_str(&sign(b"1800000000:{}")).unwrap());
        assert!(verify_signature(&key(Some("X-Ts")), &headers, b"{}", now).is_ok());
        let later = Timestamp::from_second(1_800_000_000 + 301).unwrap();
        assert!(verify_signature(&key(Some("X-Ts")), &headers, b"{}", later).is_err(), "replayed");
        headers.insert(SIGNATURE_HEADERS[0], HeaderValue::from_str(&sign(b"{}")).unwrap());
        assert!(verify_signature(&key(Some("X-Ts")), &headers, b"{}", now).is_err(), "time not signed");
    }
}
