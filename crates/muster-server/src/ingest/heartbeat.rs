//! Heartbeat check-ins at `/api/v1/heartbeats/{key}` (POST, or GET for the simplest cron line). A
//! check-in pushes the deadline one interval out and resolves the heartbeat's alert if it is open.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use muster_core::alert::{ActedBy, Signal, SignalAction, settings::Heartbeat};
use muster_store::Delivery;
use serde_json::json;

use super::{KeyPlace, Refusal, deliver, muster_reply, refused};
use crate::state::AppState;

pub const FORMAT: &str = "heartbeat";

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/heartbeats/{key}", get(check_in).post(check_in))
}

async fn check_in(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    let now = state.now();
    let result = async {
        let heartbeat = state.store.find_heartbeat(key.trim()).await.map_err(|error| {
            tracing::error!(error = %error, "looking up a heartbeat failed");
            Refusal::Unavailable
        })?;
        let heartbeat = heartbeat.ok_or(Refusal::UnknownKey)?;
        let was_down = state.store.check_in_heartbeat(&heartbeat.id, now).await.map_err(|error| {
            tracing::error!(error = %error, "recording a check-in failed");
            Refusal::Unavailable
        })?;
        // Resolve even when the heartbeat did not look down: an alert raised just before this
        // check-in may not have marked it yet.
        deliver(&state, FORMAT, vec![heartbeat_delivery(&heartbeat, SignalAction::Resolve, now)]).await?;
        Ok::<_, Refusal>((heartbeat, was_down))
    }
    .await;
    match result {
        Ok((heartbeat, was_down)) => {
            let next_due = now + jiff::SignedDuration::from_secs(i64::from(heartbeat.interval_seconds));
            (
                StatusCode::OK,
                Json(json!({"status": "ok", "recovered": was_down, "next_due_at": next_due.to_string()})),
            )
                .into_response()
        }
        Err(refusal) => muster_reply(refused(&state, FORMAT, refusal), KeyPlace::Path),
    }
}

/// The signal a heartbeat sends about itself: its alert opens when it goes silent and resolves at
/// the next check-in.
pub fn heartbeat_delivery(heartbeat: &Heartbeat, action: SignalAction, now: jiff::Timestamp) -> Delivery {
    let mut signal = Signal::new(action, Some(heartbeat.dedup_key()));
    signal.summary = heartbeat.missed_summary();
    signal.source = format!("heartbeat {:?}", heartbeat.name);
    signal.severity = muster_core::alert::Severity::Critical;
    signal.details = json!({"interval_seconds": heartbeat.interval_seconds,
        "last_check_in_at": heartbeat.last_check_in_at.map(|t| t.to_string())});
    Delivery {
        service_id: heartbeat.service_id.clone(),
        signal,
        by: ActedBy::monitor(format!("heartbeat {:?}", heartbeat.name)),
        origin: FORMAT.to_owned(),
        received_at: now,
    }
}
