//! The alerting forms of a service's page: alert settings, maintenance windows, heartbeats and
//! Grafana key signatures. Each posts, then returns to the service page (or shows it with the
//! form's errors).

use axum::{
    Router,
    extract::{Path, State},
    response::Response,
    routing::post,
};
use jiff::SignedDuration;
use muster_core::{
    FieldError,
    ids::{HeartbeatId, IntegrationKeyId, MaintenanceWindowId, ServiceId},
};
use serde::Deserialize;

use super::{CsrfForm, NoFields, UiError, form_errors, non_empty, see_other, services::service_page};
use crate::{
    alerts::{self, AlertSettingsChange, CreateHeartbeat, CreateMaintenance, KeySigning, PriorityChange},
    auth::Caller,
    error::ApiError,
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/services/{id}/alert-settings", post(save_settings))
        .route("/services/{id}/maintenance", post(start_maintenance))
        .route("/services/{id}/maintenance/{window}/end", post(end_maintenance))
        .route("/services/{id}/heartbeats", post(add_heartbeat))
        .route("/services/{id}/heartbeats/{heartbeat}/delete", post(delete_heartbeat))
        .route("/services/{id}/keys/{key}/signing", post(save_signing))
        .route("/services/{id}/playbooks", post(add_playbook))
        .route("/services/{id}/playbooks/{playbook}/delete", post(delete_playbook))
        .route("/services/{id}/declaration-criteria", post(save_criteria))
}

/// Back to the service page with a notice, or the page again with the form's errors.
async fn after(
    state: &AppState,
    caller: &Caller,
    id: &ServiceId,
    result: Result<(), ApiError>,
    done: &str,
) -> Result<Response, UiError> {
    match result {
        Ok(()) => Ok(see_other(&format!("/services/{id}"), done)),
        Err(error) => service_page(state, caller, id, None, None, form_errors(error)?).await,
    }
}

/// A whole number typed into a form; empty means "no limit".
fn limit(field: &str, text: &str) -> Result<Option<u32>, ApiError> {
    match non_empty(text) {
        None => Ok(None),
        Some(text) => text.parse().map(Some).map_err(|_| {
            ApiError::from(FieldError::new(field, "must be a whole number, or empty for no limit"))
        }),
    }
}

#[derive(Debug, Deserialize)]
struct SettingsForm {
    critical: String,
    error: String,
    warning: String,
    info: String,
    #[serde(default)]
    rate_limit_per_minute: String,
    #[serde(default)]
    open_alert_cap: String,
}

async fn save_settings(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<SettingsForm>,
) -> Result<Response, UiError> {
    let id = ServiceId(id);
    let result = async {
        let change = AlertSettingsChange {
            priorities: PriorityChange {
                critical: Some(form.critical),
                error: Some(form.error),
                warning: Some(form.warning),
                info: Some(form.info),
            },
            rate_limit_per_minute: Some(limit("rate_limit_per_minute", &form.rate_limit_per_minute)?),
            open_alert_cap: Some(limit("open_alert_cap", &form.open_alert_cap)?),
        };
        alerts::change_settings(&state, &caller, &id, change).await.map(|_| ())
    }
    .await;
    after(&state, &caller, &id, result, "alert-settings-saved").await
}

#[derive(Debug, Deserialize)]
struct MaintenanceForm {
    minutes: String,
    #[serde(default)]
    reason: String,
}

async fn start_maintenance(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<MaintenanceForm>,
) -> Result<Response, UiError> {
    let id = ServiceId(id);
    let result = async {
        let minutes: i64 = form
            .minutes
            .trim()
            .parse()
            .map_err(|_| ApiError::from(FieldError::new("minutes", "must be a number of minutes")))?;
        let ends_at = state.now() + SignedDuration::from_mins(minutes);
        let input = CreateMaintenance {
            starts_at: None,
            ends_at: ends_at.to_string(),
            reason: non_empty(&form.reason),
        };
        alerts::start_maintenance(&state, &caller, &id, input).await.map(|_| ())
    }
    .await;
    after(&state, &caller, &id, result, "maintenance-started").await
}

async fn end_maintenance(
    State(state): State<AppState>,
    Path((id, window)): Path<(String, String)>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> Result<Response, UiError> {
    let id = ServiceId(id);
    let result = alerts::end_maintenance(&state, &caller, &id, &MaintenanceWindowId(window)).await;
    after(&state, &caller, &id, result, "maintenance-ended").await
}

#[derive(Debug, Deserialize)]
struct HeartbeatForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    interval_minutes: String,
}

async fn add_heartbeat(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<HeartbeatForm>,
) -> Result<Response, UiError> {
    let id = ServiceId(id);
    let interval_seconds = form.interval_minutes.trim().parse::<u32>().ok().map(|m| m.saturating_mul(60));
    let input = CreateHeartbeat { name: form.name, interval_seconds };
    let result = alerts::create_heartbeat(&state, &caller, &id, input).await.map(|_| ());
    after(&state, &caller, &id, result, "heartbeat-added").await
}

async fn delete_heartbeat(
    State(state): State<AppState>,
    Path((id, heartbeat)): Path<(String, String)>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> Result<Response, UiError> {
    let id = ServiceId(id);
    let result = alerts::delete_heartbeat(&state, &caller, &id, &HeartbeatId(heartbeat)).await;
    after(&state, &caller, &id, result, "heartbeat-deleted").await
}

#[derive(Debug, Deserialize)]
struct SigningForm {
    #[serde(default)]
    secret: String,
    #[serde(default)]
    timestamp_header: String,
}

async fn save_signing(
    State(state): State<AppState>,
    Path((id, key)): Path<(String, String)>,
    CsrfForm { caller, form }: CsrfForm<SigningForm>,
) -> Result<Response, UiError> {
    let id = ServiceId(id);
    let input =
        KeySigning { secret: non_empty(&form.secret), timestamp_header: non_empty(&form.timestamp_header) };
    let result = alerts::set_signing(&state, &caller, &id, &IntegrationKeyId(key), input).await;
    after(&state, &caller, &id, result, "signing-saved").await
}

#[derive(Debug, Deserialize)]
struct PlaybookForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    matches: String,
    #[serde(default)]
    steps: String,
}

async fn add_playbook(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<PlaybookForm>,
) -> Result<Response, UiError> {
    let id = ServiceId(id);
    let body = crate::incidents::CreatePlaybook { name: form.name, matches: form.matches, steps: form.steps };
    let result = crate::incidents::create_playbook(&state, &caller, &id, body).await.map(|_| ());
    after(&state, &caller, &id, result, "playbook-added").await
}

async fn delete_playbook(
    State(state): State<AppState>,
    Path((id, playbook)): Path<(String, String)>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> Result<Response, UiError> {
    let id = ServiceId(id);
    let playbook = muster_core::ids::PlaybookId(playbook);
    let result = crate::incidents::delete_playbook(&state, &caller, &id, &playbook).await;
    after(&state, &caller, &id, result, "playbook-deleted").await
}

#[derive(Debug, Deserialize)]
struct CriteriaForm {
    #[serde(default)]
    investigation_minutes: String,
    #[serde(default)]
    services_affected: String,
}

async fn save_criteria(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<CriteriaForm>,
) -> Result<Response, UiError> {
    let id = ServiceId(id);
    let number = |field: &str, text: &str| {
        text.trim()
            .parse::<u32>()
            .map_err(|_| ApiError::from(FieldError::new(field, "must be a whole number")))
    };
    let result = match (
        number("investigation_minutes", &form.investigation_minutes),
        number("services_affected", &form.services_affected),
    ) {
        (Ok(investigation_minutes), Ok(services_affected)) => {
            let criteria =
                muster_core::incident::DeclarationCriteria { investigation_minutes, services_affected };
            crate::incidents::set_criteria(&state, &caller, &id, criteria).await.map(|_| ())
        }
        (Err(error), _) | (_, Err(error)) => Err(error),
    };
    after(&state, &caller, &id, result, "criteria-saved").await
}
