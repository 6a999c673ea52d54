//! Alert operations shared by the API and the web UI: list, read, raise by hand, acknowledge,
//! resolve, annotate; and a service's alert settings, maintenance windows and heartbeats. Each
//! checks the caller's permission, calls the store and publishes the change.

use muster_core::{
    alert::{
        ActedBy, Alert, AlertLogEntry, PriorityMap, Signal, SignalAction,
        formats::generic,
        query::{AlertFilter, Cursor},
        settings::{AlertSettings, Heartbeat, MaintenanceWindow, NewHeartbeat, NewMaintenanceWindow},
    },
    authz::Permission,
    ids::{AlertId, HeartbeatId, IntegrationKeyId, MaintenanceWindowId, ServiceId},
    page::Page,
    service::IntegrationKind,
    validate::{MAX_DESCRIPTION_CHARS, optional_text},
};
use muster_store::{AlertAction, Delivery};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    events::Topic,
    ingest::{self, Refusal},
    secrets::new_integration_key,
    state::AppState,
};

/// The filters of an alert list, as query parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    /// Only this service's alerts.
    pub service: Option<String>,
    /// Comma-separated statuses: `triggered`, `acknowledged`, `resolved`.
    pub status: Option<String>,
    /// First seen at or after this RFC 3339 time.
    pub since: Option<String>,
    /// First seen before this RFC 3339 time.
    pub until: Option<String>,
    /// Words in the summary, source or dedup key.
    pub q: Option<String>,
    /// Where the page starts: the `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// How many alerts to return, 1 to 200 (default 50).
    pub limit: Option<u32>,
}

/// One page of alerts, newest first; `next_cursor` is set when there may be more.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertPage {
    pub alerts: Vec<Alert>,
    pub next_cursor: Option<String>,
}

pub async fn list(state: &AppState, caller: &Caller, query: &AlertQuery) -> ApiResult<AlertPage> {
    caller.require(Permission::ReadAlerts, "read alerts")?;
    let filter = AlertFilter::parse(
        query.service.as_deref(),
        query.status.as_deref(),
        query.since.as_deref(),
        query.until.as_deref(),
        query.q.as_deref(),
    )?;
    let cursor = query.cursor.as_deref().filter(|c| !c.is_empty()).map(Cursor::decode).transpose()?;
    let page = Page::parse(query.limit, None)?;
    let alerts = state.store.list_alerts(&filter, cursor.as_ref(), page.limit).await?;
    let next_cursor = (alerts.len() as u32 == page.limit)
        .then(|| alerts.last().map(|a| Cursor { first_seen_at: a.first_seen_at, id: a.id.clone() }.encode()))
        .flatten();
    Ok(AlertPage { alerts, next_cursor })
}

/// An alert with its whole log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertWithLog {
    #[serde(flatten)]
    pub alert: Alert,
    pub service_name: String,
    pub log: Vec<AlertLogEntry>,
}

pub async fn get(state: &AppState, caller: &Caller, id: &AlertId) -> ApiResult<AlertWithLog> {
    caller.require(Permission::ReadAlerts, "read alerts")?;
    let alert = state.store.get_alert(id).await?;
    let service_name = state.store.get_service(&alert.service_id).await.map(|s| s.name).unwrap_or_default();
    let log = state.store.alert_log(id).await?;
    Ok(AlertWithLog { alert, service_name, log })
}

fn acted_by(caller: &Caller) -> ActedBy {
    ActedBy::user(caller.user.id.clone(), caller.user.name.clone())
}

pub async fn act(state: &AppState, caller: &Caller, id: &AlertId, action: AlertAction) -> ApiResult<Alert> {
    caller.require(Permission::RespondToAlerts, "acknowledge or resolve alerts")?;
    let alert = state.store.act_on_alert(id, action, &acted_by(caller), state.now()).await?;
    state.events.publish(Topic::Alert, id.as_str(), "updated");
    Ok(alert)
}

/// The longest note accepted.
pub const MAX_NOTE_CHARS: usize = MAX_DESCRIPTION_CHARS;

pub async fn add_note(
    state: &AppState,
    caller: &Caller,
    id: &AlertId,
    text: &str,
) -> ApiResult<AlertLogEntry> {
    caller.require(Permission::RespondToAlerts, "add notes to alerts")?;
    let text = optional_text("text", text, MAX_NOTE_CHARS)?;
    if text.is_empty() {
        return Err(ApiError::field("text", "must not be empty"));
    }
    let entry = state.store.add_alert_note(id, &acted_by(caller), &text, state.now()).await?;
    state.events.publish(Topic::Alert, id.as_str(), "updated");
    Ok(entry)
}

/// An alert raised by a person, in the generic format plus the service it is for.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RaiseAlert {
    pub service_id: ServiceId,
    /// The rest is the generic format: `summary` (required), `dedup_key`, `severity`, `source`,
    /// `details`, `links`, ….
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub event: serde_json::Map<String, Value>,
}

/// What a raised alert did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Raised {
    pub dedup_key: String,
    /// `opened`, `repeated`, `grouped`, `acknowledged`, `resolved`, `unchanged` or `ignored`.
    pub outcome: &'static str,
    pub alert_id: Option<String>,
}

pub async fn raise(state: &AppState, caller: &Caller, input: RaiseAlert) -> ApiResult<Raised> {
    caller.require(Permission::RespondToAlerts, "raise alerts")?;
    state.store.get_service(&input.service_id).await?;
    let mut signal: Signal = generic::parse(&Value::Object(input.event))?;
    if signal.action == SignalAction::Trigger && signal.source == "generic" {
        signal.source = caller.user.name.clone();
    }
    let dedup_key = signal.dedup_key.get_or_insert_with(|| uuid::Uuid::new_v4().simple().to_string()).clone();
    let delivery = Delivery {
        service_id: input.service_id,
        signal,
        by: acted_by(caller),
        origin: "manual".to_owned(),
        received_at: state.now(),
    };
    let accepted =
        ingest::deliver(state, "manual", vec![delivery]).await.map_err(|refusal| match refusal {
            Refusal::Invalid(invalid) => ApiError::InvalidInput(invalid),
            _ => ApiError::Internal,
        })?;
    let outcome = accepted.into_iter().next().map(|a| a.outcome).ok_or(ApiError::Internal)?;
    let (word, alert_id) = ingest::describe(&outcome);
    Ok(Raised { dedup_key, outcome: word, alert_id })
}

/// A change of a service's alert settings. Limits: absent keeps, `null` removes, a number sets.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertSettingsChange {
    /// Priority per severity, e.g. `{"warning": "urgent"}`; severities left out keep theirs.
    #[serde(default)]
    pub priorities: PriorityChange,
    #[serde(default, deserialize_with = "crate::directory::double_option")]
    #[schema(value_type = Option<u32>)]
    pub rate_limit_per_minute: Option<Option<u32>>,
    #[serde(default, deserialize_with = "crate::directory::double_option")]
    #[schema(value_type = Option<u32>)]
    pub open_alert_cap: Option<Option<u32>>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorityChange {
    pub critical: Option<String>,
    pub error: Option<String>,
    pub warning: Option<String>,
    pub info: Option<String>,
}

pub async fn settings(state: &AppState, caller: &Caller, service: &ServiceId) -> ApiResult<AlertSettings> {
    caller.require(Permission::ReadAlerts, "read alert settings")?;
    Ok(state.store.alert_settings(service).await?)
}

pub async fn change_settings(
    state: &AppState,
    caller: &Caller,
    service: &ServiceId,
    change: AlertSettingsChange,
) -> ApiResult<AlertSettings> {
    caller.require(Permission::RespondToAlerts, "change alert settings")?;
    let current = state.store.alert_settings(service).await?;
    let p = &change.priorities;
    let priorities: PriorityMap = current.priorities.updated(
        p.critical.as_deref(),
        p.error.as_deref(),
        p.warning.as_deref(),
        p.info.as_deref(),
    )?;
    let settings = current.changed(priorities, change.rate_limit_per_minute, change.open_alert_cap)?;
    state.store.set_alert_settings(service, &settings, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::Service, service.as_str(), "updated");
    Ok(settings)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMaintenance {
    /// When it starts (RFC 3339); now when absent.
    pub starts_at: Option<String>,
    /// When it ends (RFC 3339), in the future and at most 31 days after the start.
    pub ends_at: String,
    pub reason: Option<String>,
}

pub async fn maintenance(
    state: &AppState,
    caller: &Caller,
    service: &ServiceId,
) -> ApiResult<Vec<MaintenanceWindow>> {
    caller.require(Permission::ReadAlerts, "read maintenance windows")?;
    state.store.get_service(service).await?;
    Ok(state.store.maintenance_windows(service, state.now()).await?)
}

pub async fn start_maintenance(
    state: &AppState,
    caller: &Caller,
    service: &ServiceId,
    input: CreateMaintenance,
) -> ApiResult<MaintenanceWindow> {
    caller.require(Permission::RespondToAlerts, "schedule maintenance")?;
    let now = state.now();
    let window = NewMaintenanceWindow::parse(
        input.starts_at.as_deref(),
        &input.ends_at,
        input.reason.as_deref(),
        now,
    )?;
    let created = state.store.create_maintenance_window(service, &window, &acted_by(caller), now).await?;
    state.events.publish(Topic::Service, service.as_str(), "updated");
    Ok(created)
}

pub async fn end_maintenance(
    state: &AppState,
    caller: &Caller,
    service: &ServiceId,
    window: &MaintenanceWindowId,
) -> ApiResult<()> {
    caller.require(Permission::RespondToAlerts, "end maintenance")?;
    state.store.end_maintenance_window(service, window, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::Service, service.as_str(), "updated");
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateHeartbeat {
    /// What checks in, such as `nightly backup`.
    pub name: String,
    /// How often it must check in, 60 s to one week.
    pub interval_seconds: Option<u32>,
}

/// A heartbeat with the URL its job calls.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeartbeatView {
    #[serde(flatten)]
    pub heartbeat: Heartbeat,
    pub check_in_url: String,
}

impl HeartbeatView {
    pub fn new(heartbeat: Heartbeat, public_url: &str) -> Self {
        let check_in_url =
            format!("{}/api/v1/heartbeats/{}", public_url.trim_end_matches('/'), heartbeat.key);
        HeartbeatView { heartbeat, check_in_url }
    }
}

pub async fn heartbeats(
    state: &AppState,
    caller: &Caller,
    service: &ServiceId,
) -> ApiResult<Vec<HeartbeatView>> {
    caller.require(Permission::ReadAlerts, "read heartbeats")?;
    state.store.get_service(service).await?;
    let public_url = state.config.public_url();
    Ok(state
        .store
        .heartbeats_of(service)
        .await?
        .into_iter()
        .map(|h| HeartbeatView::new(h, &public_url))
        .collect())
}

pub async fn create_heartbeat(
    state: &AppState,
    caller: &Caller,
    service: &ServiceId,
    input: CreateHeartbeat,
) -> ApiResult<HeartbeatView> {
    caller.require(Permission::RespondToAlerts, "add heartbeats")?;
    let new = NewHeartbeat::parse(&input.name, input.interval_seconds)?;
    let heartbeat = state
        .store
        .create_heartbeat(service, &new, &new_integration_key(), &caller.actor(), state.now())
        .await?;
    state.events.publish(Topic::Heartbeat, heartbeat.id.as_str(), "created");
    Ok(HeartbeatView::new(heartbeat, &state.config.public_url()))
}

pub async fn delete_heartbeat(
    state: &AppState,
    caller: &Caller,
    service: &ServiceId,
    id: &HeartbeatId,
) -> ApiResult<()> {
    caller.require(Permission::RespondToAlerts, "delete heartbeats")?;
    state.store.delete_heartbeat(service, id, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::Heartbeat, id.as_str(), "deleted");
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeySigning {
    /// The shared secret Grafana signs with; `null` to stop requiring signatures.
    pub secret: Option<String>,
    /// The header Grafana sends the signed Unix time in, when configured there.
    pub timestamp_header: Option<String>,
}

pub async fn set_signing(
    state: &AppState,
    caller: &Caller,
    service: &ServiceId,
    key: &IntegrationKeyId,
    input: KeySigning,
) -> ApiResult<()> {
    caller.require(Permission::ManageServices, "configure integration keys")?;
    if state.store.get_integration_key(service, key).await?.kind != IntegrationKind::Grafana {
        return Err(ApiError::field("secret", "only Grafana keys verify signatures"));
    }
    let secret = input.secret.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if secret.is_some_and(|s| s.len() < 16 || s.len() > 256) {
        return Err(ApiError::field("secret", "must be 16 to 256 characters"));
    }
    let header = input.timestamp_header.as_deref().map(str::trim).filter(|h| !h.is_empty());
    if header.is_some_and(|h| axum::http::HeaderName::from_bytes(h.as_bytes()).is_err()) {
        return Err(ApiError::field("timestamp_header", "must be a valid HTTP header name"));
    }
    state.store.set_key_signing(service, key, secret, header, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::Service, service.as_str(), "updated");
    Ok(())
}
