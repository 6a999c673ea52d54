//! Probes for orchestrators: `/healthz` says the process is serving; `/readyz` says it can do its
//! work (the database answers and has every migration this build expects) and whether this
//! instance runs the escalation engine (`"engine": "leader"`) or stands by (`"standby"`).

use axum::{Json, extract::State};
use serde_json::{Value, json};

use crate::{error::ApiError, state::AppState};

pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    if let Err(error) = state.store.ping().await {
        tracing::warn!(error = %error, "readiness check: database unreachable");
        return Err(ApiError::NotReady("the database does not answer".to_owned()));
    }
    match state.store.pending_migrations().await {
        Ok(0) => {
            let engine = if state.is_engine_leader() { "leader" } else { "standby" };
            Ok(Json(
                json!({ "status": "ready", "database": state.store.backend().as_str(), "engine": engine }),
            ))
        }
        Ok(pending) => Err(ApiError::NotReady(format!(
            "{pending} database migration(s) not applied; run `muster migrate`"
        ))),
        Err(error) => {
            tracing::warn!(error = %error, "readiness check: cannot read migrations");
            Err(ApiError::NotReady("cannot read the database's migrations".to_owned()))
        }
    }
}
