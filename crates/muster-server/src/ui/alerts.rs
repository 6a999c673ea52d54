//! Alert pages: the list with filters that refreshes as alerts arrive, and an alert with its log
//! and the buttons to acknowledge, resolve and add a note.

use axum::{
    Router,
    extract::{Path, Query, State},
    routing::{get, post},
};
use muster_core::{
    FieldError,
    alert::{Alert, AlertLogEntry, AlertStatus},
    authz::Permission,
    ids::{AlertId, ServiceId},
    page::Page,
    service::Service,
};
use muster_store::AlertAction;
use serde::Deserialize;

use super::{
    CsrfForm, Layout, NoFields, SignedIn, UiResult, form_errors, form_status, non_empty, query_string,
    render, see_other,
};
use crate::{
    alerts::{self, AlertQuery},
    auth::Caller,
    error::ApiError,
    incidents,
    paging::{self, PageView},
    schedules::Names,
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/alerts", get(list))
        .route("/alerts/{id}", get(show))
        .route("/alerts/{id}/acknowledge", post(acknowledge))
        .route("/alerts/{id}/resolve", post(resolve))
        .route("/alerts/{id}/ticket-work", post(mark_ticket_work))
        .route("/alerts/{id}/useful", post(vote_on_page))
        .route("/alerts/{id}/notes", post(add_note))
        .route("/alerts/{id}/incident", post(link_to_incident))
}

/// The list's filters as the form sends them; `status=open` means triggered or acknowledged.
#[derive(Debug, Default, Deserialize)]
struct Filters {
    #[serde(default)]
    service: String,
    status: Option<String>,
    #[serde(default)]
    q: String,
    #[serde(default)]
    cursor: String,
    done: Option<String>,
}

/// One row of the list.
struct Row {
    alert: Alert,
    service_name: String,
}

#[derive(askama::Template)]
#[template(path = "alerts.html")]
struct AlertsPage {
    layout: Layout,
    rows: Vec<Row>,
    services: Vec<Service>,
    service: String,
    status: String,
    q: String,
    /// The current URL, which live updates re-fetch.
    self_url: String,
    /// The next page with the same filters.
    next_url: Option<String>,
    errors: Vec<FieldError>,
}

async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Query(filters): Query<Filters>,
) -> UiResult {
    let status = filters.status.clone().unwrap_or_else(|| "open".to_owned());
    let statuses = match status.as_str() {
        "open" => "triggered,acknowledged",
        "all" => "",
        other => other,
    };
    let query = AlertQuery {
        service: non_empty(&filters.service),
        status: non_empty(statuses),
        q: non_empty(&filters.q),
        cursor: non_empty(&filters.cursor),
        ..AlertQuery::default()
    };
    let services = state
        .store
        .list_services(Page { limit: Page::MAX_LIMIT, offset: 0 })
        .await
        .map_err(ApiError::from)?;
    let (page, errors) = match alerts::list(&state, &caller, &query).await {
        Ok(page) => (page, vec![]),
        Err(error) => (alerts::AlertPage { alerts: vec![], next_cursor: None }, form_errors(error)?),
    };
    let name_of =
        |id: &ServiceId| services.iter().find(|s| &s.id == id).map(|s| s.name.clone()).unwrap_or_default();
    let rows = page
        .alerts
        .into_iter()
        .map(|alert| Row { service_name: name_of(&alert.service_id), alert })
        .collect();
    let base =
        [("service", filters.service.as_str()), ("status", status.as_str()), ("q", filters.q.as_str())];
    let next_url = page.next_cursor.map(|cursor| {
        let mut pairs = base.to_vec();
        pairs.push(("cursor", &cursor));
        format!("/alerts?{}", query_string(&pairs))
    });
    let mut current = base.to_vec();
    current.push(("cursor", filters.cursor.as_str()));
    let view = AlertsPage {
        layout: Layout::new(&caller, "alerts", filters.done.as_deref(), state.now()),
        rows,
        self_url: format!("/alerts?{}", query_string(&current)),
        next_url,
        status,
        service: filters.service,
        q: filters.q,
        services,
        errors: errors.clone(),
    };
    render(form_status(&errors), &view)
}

#[derive(askama::Template)]
#[template(path = "alert.html")]
struct AlertPage {
    layout: Layout,
    alert: Alert,
    service_name: String,
    log: Vec<AlertLogEntry>,
    details: String,
    can_respond: bool,
    paging: Option<PageView>,
    /// Names of the people in the delivery log.
    names: Names,
    assessment: incidents::Assessment,
    /// Open incidents the alert could be linked to.
    open_incidents: Vec<muster_core::incident::Incident>,
    can_declare: bool,
    errors: Vec<FieldError>,
}

impl AlertPage {
    fn is(&self, status: &str) -> bool {
        self.alert.status.as_str() == status
    }
}

async fn alert_page(
    state: &AppState,
    caller: &Caller,
    id: &AlertId,
    done: Option<&str>,
    errors: Vec<FieldError>,
) -> UiResult {
    let found = alerts::get(state, caller, id).await?;
    let paging = paging::page_of_alert(state, caller, id).await?;
    let people = paging.iter().flat_map(|p| p.notifications.iter().map(|n| n.user_id.clone())).collect();
    let names = Names::of(state, people).await?;
    let assessment = incidents::assess(state, caller, id).await?;
    let open_query =
        incidents::IncidentQuery { state: Some("open".into()), ..incidents::IncidentQuery::default() };
    let open_incidents = incidents::list(state, caller, &open_query)
        .await?
        .incidents
        .into_iter()
        .filter(|i| !i.alerts.contains(id))
        .collect();
    let details = match &found.alert.details {
        serde_json::Value::Null => String::new(),
        value => serde_json::to_string_pretty(value).unwrap_or_default(),
    };
    let view = AlertPage {
        layout: Layout::new(caller, "alerts", done, state.now()),
        can_respond: caller.user.role.allows(Permission::RespondToAlerts)
            && found.alert.status != AlertStatus::Resolved,
        alert: found.alert,
        service_name: found.service_name,
        log: found.log,
        details,
        paging,
        names,
        assessment,
        open_incidents,
        can_declare: caller.user.role.allows(Permission::RespondToIncidents),
        errors: errors.clone(),
    };
    render(form_status(&errors), &view)
}

#[derive(Debug, Default, Deserialize)]
struct Done {
    done: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    Query(q): Query<Done>,
) -> UiResult {
    alert_page(&state, &caller, &AlertId(id), q.done.as_deref(), vec![]).await
}

async fn acknowledge(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    let id = AlertId(id);
    alerts::act(&state, &caller, &id, AlertAction::Acknowledge).await?;
    Ok(see_other(&format!("/alerts/{id}"), "alert-acknowledged"))
}

async fn resolve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    let id = AlertId(id);
    alerts::act(&state, &caller, &id, AlertAction::Resolve).await?;
    Ok(see_other(&format!("/alerts/{id}"), "alert-resolved"))
}

async fn mark_ticket_work(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    crate::reports::mark_ticket_work(&state, &caller, &id).await?;
    Ok(see_other(&format!("/alerts/{id}"), "ticket-work-marked"))
}

#[derive(Debug, Deserialize)]
struct VoteForm {
    #[serde(default)]
    useful: String,
}

async fn vote_on_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<VoteForm>,
) -> UiResult {
    crate::reports::vote_on_page(&state, &caller, &id, form.useful == "yes").await?;
    Ok(see_other(&format!("/alerts/{id}"), "page-judged"))
}

#[derive(Debug, Deserialize)]
struct NoteForm {
    #[serde(default)]
    text: String,
}

async fn add_note(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<NoteForm>,
) -> UiResult {
    let id = AlertId(id);
    match alerts::add_note(&state, &caller, &id, &form.text).await {
        Ok(_) => Ok(see_other(&format!("/alerts/{id}"), "note-added")),
        Err(error) => alert_page(&state, &caller, &id, None, form_errors(error)?).await,
    }
}

#[derive(Debug, Deserialize)]
struct IncidentForm {
    #[serde(default)]
    incident: String,
}

async fn link_to_incident(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<IncidentForm>,
) -> UiResult {
    let id = AlertId(id);
    match incidents::link_alert(&state, &caller, &form.incident, id.as_str()).await {
        Ok(_) => Ok(see_other(&format!("/alerts/{id}"), "alert-linked")),
        Err(error) => alert_page(&state, &caller, &id, None, form_errors(error)?).await,
    }
}
