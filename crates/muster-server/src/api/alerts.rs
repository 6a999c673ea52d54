//! `/api/v1/alerts` and a service's alert settings, maintenance windows and heartbeats.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{delete, get, post, put},
};
use muster_core::{
    alert::{
        Alert, AlertLogEntry,
        settings::{AlertSettings, MaintenanceWindow},
    },
    ids::{AlertId, HeartbeatId, IntegrationKeyId, MaintenanceWindowId, ServiceId},
};
use muster_store::AlertAction;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::{
    alerts::{
        self, AlertPage, AlertQuery, AlertSettingsChange, AlertWithLog, CreateHeartbeat, CreateMaintenance,
        HeartbeatView, KeySigning, RaiseAlert, Raised,
    },
    auth::Caller,
    error::ApiResult,
    json::{ApiJson, ApiQuery},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/alerts", get(list).post(raise))
        .route("/api/v1/alerts/{id}", get(get_one))
        .route("/api/v1/alerts/{id}/acknowledge", post(acknowledge))
        .route("/api/v1/alerts/{id}/resolve", post(resolve))
        .route("/api/v1/alerts/{id}/notes", post(add_note))
        .route("/api/v1/services/{id}/alert-settings", get(settings).patch(change_settings))
        .route("/api/v1/services/{id}/maintenance-windows", get(maintenance).post(start_maintenance))
        .route("/api/v1/services/{id}/maintenance-windows/{window_id}", delete(end_maintenance))
        .route("/api/v1/services/{id}/heartbeats", get(heartbeats).post(create_heartbeat))
        .route("/api/v1/services/{id}/heartbeats/{heartbeat_id}", delete(delete_heartbeat))
        .route("/api/v1/services/{id}/keys/{key_id}/signing", put(set_signing))
}

#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", params(AlertQuery),
    responses((status = 200, body = AlertPage), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<AlertQuery>,
) -> ApiResult<Json<AlertPage>> {
    Ok(Json(alerts::list(&state, &caller, &query).await?))
}

#[utoipa::path(post, path = "/api/v1/alerts", tag = "alerts", request_body = RaiseAlert,
    description = "Raises an alert by hand on a service, in the generic format; it deduplicates like any other.",
    responses((status = 201, body = Raised), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn raise(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<RaiseAlert>,
) -> ApiResult<(StatusCode, Json<Raised>)> {
    Ok((StatusCode::CREATED, Json(alerts::raise(&state, &caller, body).await?)))
}

#[utoipa::path(get, path = "/api/v1/alerts/{id}", tag = "alerts", params(("id" = String, Path)),
    responses((status = 200, body = AlertWithLog), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<AlertWithLog>> {
    Ok(Json(alerts::get(&state, &caller, &AlertId(id)).await?))
}

#[utoipa::path(post, path = "/api/v1/alerts/{id}/acknowledge", tag = "alerts", params(("id" = String, Path)),
    description = "Acknowledges an open alert; acknowledging twice changes nothing. A resolved alert answers 409.",
    responses((status = 200, body = Alert), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn acknowledge(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Alert>> {
    Ok(Json(alerts::act(&state, &caller, &AlertId(id), AlertAction::Acknowledge).await?))
}

#[utoipa::path(post, path = "/api/v1/alerts/{id}/resolve", tag = "alerts", params(("id" = String, Path)),
    responses((status = 200, body = Alert), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn resolve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Alert>> {
    Ok(Json(alerts::act(&state, &caller, &AlertId(id), AlertAction::Resolve).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Note {
    pub text: String,
}

#[utoipa::path(post, path = "/api/v1/alerts/{id}/notes", tag = "alerts", params(("id" = String, Path)), request_body = Note,
    responses((status = 201, body = AlertLogEntry), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_note(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Note>,
) -> ApiResult<(StatusCode, Json<AlertLogEntry>)> {
    Ok((StatusCode::CREATED, Json(alerts::add_note(&state, &caller, &AlertId(id), &body.text).await?)))
}

#[utoipa::path(get, path = "/api/v1/services/{id}/alert-settings", tag = "alerts", params(("id" = String, Path)),
    responses((status = 200, body = AlertSettings)), security(("bearer" = [])))]
pub async fn settings(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<AlertSettings>> {
    Ok(Json(alerts::settings(&state, &caller, &ServiceId(id)).await?))
}

#[utoipa::path(patch, path = "/api/v1/services/{id}/alert-settings", tag = "alerts", params(("id" = String, Path)),
    request_body = AlertSettingsChange,
    responses((status = 200, body = AlertSettings), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn change_settings(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AlertSettingsChange>,
) -> ApiResult<Json<AlertSettings>> {
    Ok(Json(alerts::change_settings(&state, &caller, &ServiceId(id), body).await?))
}

#[utoipa::path(get, path = "/api/v1/services/{id}/maintenance-windows", tag = "alerts", params(("id" = String, Path)),
    description = "Maintenance windows that have not ended. Alerts that open during one are kept but page no one.",
    responses((status = 200, body = Vec<MaintenanceWindow>)), security(("bearer" = [])))]
pub async fn maintenance(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<MaintenanceWindow>>> {
    Ok(Json(alerts::maintenance(&state, &caller, &ServiceId(id)).await?))
}

#[utoipa::path(post, path = "/api/v1/services/{id}/maintenance-windows", tag = "alerts", params(("id" = String, Path)),
    request_body = CreateMaintenance,
    responses((status = 201, body = MaintenanceWindow), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn start_maintenance(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreateMaintenance>,
) -> ApiResult<(StatusCode, Json<MaintenanceWindow>)> {
    Ok((StatusCode::CREATED, Json(alerts::start_maintenance(&state, &caller, &ServiceId(id), body).await?)))
}

#[utoipa::path(delete, path = "/api/v1/services/{id}/maintenance-windows/{window_id}", tag = "alerts",
    params(("id" = String, Path), ("window_id" = String, Path)),
    description = "Ends a maintenance window now, or cancels one that has not started.",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn end_maintenance(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, window)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    alerts::end_maintenance(&state, &caller, &ServiceId(id), &MaintenanceWindowId(window)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/services/{id}/heartbeats", tag = "alerts", params(("id" = String, Path)),
    responses((status = 200, body = Vec<HeartbeatView>)), security(("bearer" = [])))]
pub async fn heartbeats(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<HeartbeatView>>> {
    Ok(Json(alerts::heartbeats(&state, &caller, &ServiceId(id)).await?))
}

#[utoipa::path(post, path = "/api/v1/services/{id}/heartbeats", tag = "alerts", params(("id" = String, Path)),
    request_body = CreateHeartbeat,
    description = "Adds a heartbeat monitor: its job calls `check_in_url` at least every interval, or an alert opens.",
    responses((status = 201, body = HeartbeatView), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_heartbeat(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreateHeartbeat>,
) -> ApiResult<(StatusCode, Json<HeartbeatView>)> {
    Ok((StatusCode::CREATED, Json(alerts::create_heartbeat(&state, &caller, &ServiceId(id), body).await?)))
}

#[utoipa::path(delete, path = "/api/v1/services/{id}/heartbeats/{heartbeat_id}", tag = "alerts",
    params(("id" = String, Path), ("heartbeat_id" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn delete_heartbeat(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, heartbeat)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    alerts::delete_heartbeat(&state, &caller, &ServiceId(id), &HeartbeatId(heartbeat)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/api/v1/services/{id}/keys/{key_id}/signing", tag = "services",
    params(("id" = String, Path), ("key_id" = String, Path)), request_body = KeySigning,
    description = "Makes a Grafana key require an HMAC-SHA256 signature (or stops requiring one).",
    responses((status = 204), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn set_signing(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, key)): Path<(String, String)>,
    ApiJson(body): ApiJson<KeySigning>,
) -> ApiResult<StatusCode> {
    alerts::set_signing(&state, &caller, &ServiceId(id), &IntegrationKeyId(key), body).await?;
    Ok(StatusCode::NO_CONTENT)
}
