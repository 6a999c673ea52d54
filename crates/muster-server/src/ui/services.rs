//! Service pages: the list with a create form, and a service with its integration keys.

use axum::{
    Router,
    extract::{Path, Query, State},
    routing::{get, post},
};
use muster_core::{
    FieldError,
    alert::{
        Priority,
        settings::{AlertSettings, MaintenanceWindow},
    },
    authz::Permission,
    escalation::{EscalationPolicy, ServiceEscalation},
    ids::{IntegrationKeyId, ServiceId, TeamId},
    page::Page,
    service::Service,
    team::Team,
};
use serde::Deserialize;

use super::{
    CsrfForm, Layout, NoFields, PageQuery, Pager, SignedIn, UiResult, form_errors, form_status, non_empty,
    render, see_other,
};
use crate::{
    alerts::HeartbeatView,
    api::IntegrationKeyView,
    auth::Caller,
    directory::{self, CreateKey, CreateService, UpdateService},
    error::ApiError,
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/services", get(list).post(create))
        .route("/services/{id}", get(show).post(update))
        .route("/services/{id}/delete", post(delete))
        .route("/services/{id}/keys", post(add_key))
        .route("/services/{id}/keys/{key}/revoke", post(revoke_key))
}

#[derive(Debug, Default, Deserialize)]
pub struct ServiceForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    team_id: String,
}

impl ServiceForm {
    fn of(service: &Service) -> Self {
        ServiceForm {
            name: service.name.clone(),
            description: service.description.clone(),
            team_id: service.team_id.as_ref().map(|t| t.to_string()).unwrap_or_default(),
        }
    }

    fn team(&self) -> Option<TeamId> {
        non_empty(&self.team_id).map(TeamId)
    }
}

#[derive(askama::Template)]
#[template(path = "services.html")]
struct ServicesPage {
    layout: Layout,
    services: Vec<Service>,
    teams: Vec<Team>,
    can_manage: bool,
    draft: ServiceForm,
    errors: Vec<FieldError>,
    pager: Pager,
    self_url: String,
}

#[derive(askama::Template)]
#[template(path = "service.html")]
struct ServicePage {
    layout: Layout,
    service: Service,
    keys: Vec<IntegrationKeyView>,
    settings: AlertSettings,
    maintenance: Vec<MaintenanceWindow>,
    heartbeats: Vec<HeartbeatView>,
    can_respond: bool,
    escalation: ServiceEscalation,
    policies: Vec<EscalationPolicy>,
    teams: Vec<Team>,
    can_manage: bool,
    playbooks: Vec<muster_core::incident::Playbook>,
    criteria: muster_core::incident::DeclarationCriteria,
    my_methods: Vec<muster_core::notify::ContactMethod>,
    draft: ServiceForm,
    errors: Vec<FieldError>,
}

/// Every team, for the owner drop-down.
async fn all_teams(state: &AppState) -> Result<Vec<Team>, ApiError> {
    Ok(state.store.list_teams(Page { limit: Page::MAX_LIMIT, offset: 0 }).await?)
}

async fn list_page(
    state: &AppState,
    caller: &Caller,
    query: PageQuery,
    draft: ServiceForm,
    errors: Vec<FieldError>,
) -> UiResult {
    let page = Page::parse(None, query.offset).map_err(ApiError::from)?;
    let services = state.store.list_services(page).await.map_err(ApiError::from)?;
    let status = form_status(&errors);
    let page_view = ServicesPage {
        layout: Layout::new(caller, "services", query.done.as_deref(), state.now()),
        pager: Pager::new(page, services.len()),
        self_url: format!("/services?offset={}", page.offset),
        services,
        teams: all_teams(state).await?,
        can_manage: caller.user.role.allows(Permission::ManageServices),
        draft,
        errors,
    };
    render(status, &page_view)
}

async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Query(query): Query<PageQuery>,
) -> UiResult {
    list_page(&state, &caller, query, ServiceForm::default(), vec![]).await
}

async fn create(State(state): State<AppState>, CsrfForm { caller, form }: CsrfForm<ServiceForm>) -> UiResult {
    let input = CreateService {
        name: form.name.clone(),
        description: Some(form.description.clone()),
        team_id: form.team(),
    };
    match directory::create_service(&state, &caller, input).await {
        Ok(service) => Ok(see_other(&format!("/services/{}", service.id), "service-created")),
        Err(error) => list_page(&state, &caller, PageQuery::default(), form, form_errors(error)?).await,
    }
}

impl ServicePage {
    /// The priority a severity maps to, for the settings form's selects.
    fn maps(&self, severity: &str, priority: &Priority) -> bool {
        let p = &self.settings.priorities;
        let current = match severity {
            "critical" => p.critical,
            "error" => p.error,
            "warning" => p.warning,
            _ => p.info,
        };
        current == *priority
    }

    fn limit(value: &Option<u32>) -> String {
        value.map(|v| v.to_string()).unwrap_or_default()
    }
}

pub(super) async fn service_page(
    state: &AppState,
    caller: &Caller,
    id: &ServiceId,
    done: Option<&str>,
    draft: Option<ServiceForm>,
    errors: Vec<FieldError>,
) -> UiResult {
    let service = state.store.get_service(id).await.map_err(ApiError::from)?;
    let public_url = state.config.public_url();
    let keys = state.store.list_integration_keys(id).await.map_err(ApiError::from)?;
    let status = form_status(&errors);
    let settings = state.store.alert_settings(id).await.map_err(ApiError::from)?;
    let maintenance = state.store.maintenance_windows(id, state.now()).await.map_err(ApiError::from)?;
    let heartbeats = state.store.heartbeats_of(id).await.map_err(ApiError::from)?;
    let page = ServicePage {
        layout: Layout::new(caller, "services", done, state.now()),
        keys: keys.into_iter().map(|k| IntegrationKeyView::new(k, &public_url)).collect(),
        settings,
        maintenance,
        heartbeats: heartbeats.into_iter().map(|h| HeartbeatView::new(h, &public_url)).collect(),
        can_respond: caller.user.role.allows(Permission::RespondToAlerts),
        escalation: state.store.service_escalation(id).await.map_err(ApiError::from)?,
        policies: state
            .store
            .list_escalation_policies(Page { limit: Page::MAX_LIMIT, offset: 0 })
            .await
            .map_err(ApiError::from)?,
        teams: all_teams(state).await?,
        can_manage: caller.user.role.allows(Permission::ManageServices),
        playbooks: state.store.playbooks_of(id).await.map_err(ApiError::from)?,
        criteria: state.store.declaration_criteria(id).await.map_err(ApiError::from)?,
        my_methods: super::incidents::verified_methods(state, caller).await?,
        draft: draft.unwrap_or_else(|| ServiceForm::of(&service)),
        service,
        errors,
    };
    render(status, &page)
}

async fn show(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> UiResult {
    service_page(&state, &caller, &ServiceId(id), query.done.as_deref(), None, vec![]).await
}

async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<ServiceForm>,
) -> UiResult {
    let id = ServiceId(id);
    let input = UpdateService {
        name: Some(form.name.clone()),
        description: Some(form.description.clone()),
        team_id: Some(form.team()),
    };
    match directory::update_service(&state, &caller, &id, input).await {
        Ok(_) => Ok(see_other(&format!("/services/{id}"), "service-updated")),
        Err(error) => service_page(&state, &caller, &id, None, Some(form), form_errors(error)?).await,
    }
}

async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    directory::delete_service(&state, &caller, &ServiceId(id)).await?;
    Ok(see_other("/services", "service-deleted"))
}

#[derive(Debug, Deserialize)]
struct KeyForm {
    kind: String,
    #[serde(default)]
    name: String,
}

async fn add_key(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<KeyForm>,
) -> UiResult {
    let id = ServiceId(id);
    let created = match form.kind.parse() {
        Ok(kind) => {
            directory::create_key(&state, &caller, &id, CreateKey { kind, name: non_empty(&form.name) }).await
        }
        Err(error) => Err(ApiError::from(error)),
    };
    match created {
        Ok(_) => Ok(see_other(&format!("/services/{id}"), "key-created")),
        Err(error) => service_page(&state, &caller, &id, None, None, form_errors(error)?).await,
    }
}

async fn revoke_key(
    State(state): State<AppState>,
    Path((id, key)): Path<(String, String)>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    let id = ServiceId(id);
    directory::revoke_key(&state, &caller, &id, &IntegrationKeyId(key)).await?;
    Ok(see_other(&format!("/services/{id}"), "key-revoked"))
}
