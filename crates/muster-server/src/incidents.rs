//! Incident operations shared by the API and the web UI: declare, list, read (with the stage
//! guide and the document), every change through the incident's rules, the document with its
//! revisions and diffs, the timeline, stakeholder updates, and the public status page's view.
//!
//! Each checks the caller's permission, calls the store and publishes the change, so every open
//! incident room re-reads what changed.

use std::collections::HashMap;

use muster_core::{
    authz::Permission,
    ids::{
        AlertId, ContactMethodId, IncidentId, PlaybookId, ServiceId, SubscriptionId, TimelineEntryId, UserId,
    },
    incident::{
        Change, CriterionCheck, CureOutcome, Declaration, DeclarationCriteria, DocumentDiff,
        DocumentRevision, DocumentSections, HypothesisVerdict, Incident, IncidentSeverity, IncidentState,
        Participant, Person, Playbook, ProblemReport, Role, Stage, StakeholderAudience, StakeholderUpdate,
        Subscription, SubscriptionScope, TimelineEntry, criteria_met, should_prompt,
    },
    page::Page,
    user::Role as UserRole,
};
use muster_store::{IncidentCursor, IncidentFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    events::Topic,
    state::AppState,
};

/// The caller as a participant of an incident.
pub fn participant(caller: &Caller) -> Participant {
    Participant {
        person: Person { id: caller.user.id.clone(), name: caller.user.name.clone() },
        may_respond: caller.user.role != UserRole::Stakeholder,
        is_admin: caller.user.role == UserRole::Admin,
    }
}

/// An incident named by its id or by its number ("42").
pub async fn resolve_id(state: &AppState, id: &str) -> ApiResult<IncidentId> {
    match id.trim().trim_start_matches('#').parse::<i64>() {
        Ok(number) => Ok(state.store.incident_by_number(number).await?.id),
        Err(_) => Ok(IncidentId(id.to_owned())),
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProblemReportInput {
    /// What should happen.
    pub expected: String,
    /// What happens instead.
    pub actual: String,
    /// How to make it happen.
    #[serde(default)]
    pub reproduce: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclareIncident {
    pub title: String,
    /// `sev1` … `sev4`; see `GET /api/v1/incidents/severities` for what each means.
    pub severity: String,
    /// Affected services beyond those of the linked alerts.
    #[serde(default)]
    pub service_ids: Vec<String>,
    #[serde(default)]
    pub customer_facing: bool,
    #[serde(default)]
    pub data_impact: bool,
    /// The alerts it grows from; or leave empty and give a problem report.
    #[serde(default)]
    pub alert_ids: Vec<String>,
    pub problem_report: Option<ProblemReportInput>,
}

pub async fn declare(state: &AppState, caller: &Caller, body: DeclareIncident) -> ApiResult<Incident> {
    caller.require(Permission::RespondToIncidents, "declare incidents")?;
    let report = body
        .problem_report
        .filter(|r| {
            !(r.expected.trim().is_empty() && r.actual.trim().is_empty() && r.reproduce.trim().is_empty())
        })
        .map(|r| ProblemReport::parse(&r.expected, &r.actual, &r.reproduce))
        .transpose()?;
    let declaration = Declaration::parse(
        &body.title,
        &body.severity,
        body.service_ids.into_iter().map(ServiceId).collect(),
        (body.customer_facing, body.data_impact),
        body.alert_ids.into_iter().map(AlertId).collect(),
        report,
    )?;
    let incident = state
        .store
        .declare_incident(declaration, &participant(caller), &state.config.update_cadence(), state.now())
        .await?;
    state.events.publish(Topic::Incident, incident.id.as_str(), "created");
    for alert in &incident.alerts {
        state.events.publish(Topic::Alert, alert.as_str(), "updated");
    }
    Ok(incident)
}

/// The filters of an incident list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct IncidentQuery {
    /// `open` (the default), `resolved` or `all`.
    pub state: Option<String>,
    /// Only incidents affecting this service.
    pub service: Option<String>,
    /// Where the page starts: the `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// How many incidents to return, 1 to 200 (default 50).
    pub limit: Option<u32>,
}

/// One page of incidents, most recently declared first.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentPage {
    pub incidents: Vec<Incident>,
    pub next_cursor: Option<String>,
}

fn encode_cursor(incident: &Incident) -> String {
    format!("{}~{}", incident.declared_at.as_millisecond(), incident.id)
}

fn decode_cursor(text: &str) -> ApiResult<IncidentCursor> {
    let bad = || ApiError::field("cursor", "is not a cursor from a previous page");
    let (millis, id) = text.split_once('~').ok_or_else(bad)?;
    let millis: i64 = millis.parse().map_err(|_| bad())?;
    let declared_at = jiff::Timestamp::from_millisecond(millis).map_err(|_| bad())?;
    Ok(IncidentCursor { declared_at, id: IncidentId(id.to_owned()) })
}

pub async fn list(state: &AppState, caller: &Caller, query: &IncidentQuery) -> ApiResult<IncidentPage> {
    caller.require(Permission::ReadIncidents, "read incidents")?;
    let open = match query.state.as_deref().map(str::trim).unwrap_or("open") {
        "" | "open" => Some(true),
        "resolved" => Some(false),
        "all" => None,
        _ => return Err(ApiError::field("state", "must be open, resolved or all")),
    };
    let filter =
        IncidentFilter { open, service: query.service.clone().filter(|s| !s.is_empty()).map(ServiceId) };
    let cursor = query.cursor.as_deref().filter(|c| !c.is_empty()).map(decode_cursor).transpose()?;
    let page = Page::parse(query.limit, None)?;
    let incidents = state.store.list_incidents(&filter, cursor.as_ref(), page.limit).await?;
    let next_cursor =
        (incidents.len() as u32 == page.limit).then(|| incidents.last().map(encode_cursor)).flatten();
    Ok(IncidentPage { incidents, next_cursor })
}

/// One tactic of a stage's checklist.
#[derive(Debug, Serialize, ToSchema)]
pub struct TacticView {
    pub index: usize,
    pub name: &'static str,
    pub checked: bool,
}

/// A stage as the incident room shows it: purpose, checklist, required output and what was
/// written.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageView {
    pub stage: Stage,
    pub label: &'static str,
    pub purpose: &'static str,
    pub tactics: Vec<TacticView>,
    pub required_output: &'static str,
    pub output: String,
    pub output_written: bool,
    pub current: bool,
}

/// The measured response times, in seconds from the start of the problem.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResponseTimes {
    pub to_acknowledge_seconds: i64,
    pub to_mitigate_seconds: Option<i64>,
    pub to_resolve_seconds: Option<i64>,
}

/// An incident with everything its room shows at the top.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentView {
    #[serde(flatten)]
    pub incident: Incident,
    pub stages: Vec<StageView>,
    pub times: ResponseTimes,
    pub update_overdue: bool,
    pub document: DocumentRevision,
    /// Published postmortems of past incidents that share telling words with this one's title.
    #[schema(value_type = Vec<Object>)]
    pub similar: Vec<muster_store::SearchHit>,
}

pub fn stage_views(incident: &Incident) -> Vec<StageView> {
    Stage::ALL
        .into_iter()
        .map(|stage| StageView {
            stage,
            label: stage.label(),
            purpose: stage.purpose(),
            tactics: stage
                .tactics()
                .iter()
                .enumerate()
                .map(|(index, name)| TacticView {
                    index,
                    name,
                    checked: incident.investigation.is_checked(stage, index),
                })
                .collect(),
            required_output: stage.required_output(),
            output: incident.investigation.output(stage).to_owned(),
            output_written: incident.output_written(stage),
            current: incident.investigation.stage == stage,
        })
        .collect()
}

pub async fn get(state: &AppState, caller: &Caller, id: &str) -> ApiResult<IncidentView> {
    caller.require(Permission::ReadIncidents, "read incidents")?;
    let id = resolve_id(state, id).await?;
    let incident = state.store.get_incident(&id).await?;
    let document = state.store.document_revision(&id, Some(incident.document_revision)).await?;
    let similar = state.store.similar_postmortems(&incident.title, &incident.id, 3).await?;
    Ok(view(state, incident, document, similar))
}

fn view(
    state: &AppState,
    incident: Incident,
    document: DocumentRevision,
    similar: Vec<muster_store::SearchHit>,
) -> IncidentView {
    let times = ResponseTimes {
        to_acknowledge_seconds: incident.time_to_acknowledge().as_secs(),
        to_mitigate_seconds: incident.time_to_mitigate().map(|d| d.as_secs()),
        to_resolve_seconds: incident.time_to_resolve().map(|d| d.as_secs()),
    };
    IncidentView {
        stages: stage_views(&incident),
        times,
        update_overdue: incident.update_overdue(state.now()),
        incident,
        document,
        similar,
    }
}

/// Applies one change by the caller and publishes it.
pub async fn change(state: &AppState, caller: &Caller, id: &str, change: Change) -> ApiResult<Incident> {
    caller.require(Permission::RespondToIncidents, "change incidents")?;
    let id = resolve_id(state, id).await?;
    let notifies = matches!(change, Change::OfferRole { .. });
    let (incident, _) = state
        .store
        .change_incident(&id, &participant(caller), change, &state.config.update_cadence(), state.now())
        .await?;
    state.events.publish(Topic::Incident, incident.id.as_str(), "updated");
    if notifies {
        state.events.publish(Topic::Notification, incident.id.as_str(), "created");
    }
    crate::postmortems::after_incident_change(state, caller, &incident).await?;
    Ok(incident)
}

/// The person a role is offered to, or who is added as an investigator.
async fn participant_by_id(state: &AppState, user_id: &str) -> ApiResult<Participant> {
    Ok(state.store.participant(&UserId(user_id.trim().to_owned())).await?)
}

/// What a person asks of a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleStep {
    Accept,
    Decline,
    Withdraw,
}

pub fn parse_role(text: &str) -> ApiResult<Role> {
    Ok(text.parse::<Role>()?)
}

pub async fn offer_role(
    state: &AppState,
    caller: &Caller,
    id: &str,
    role: Role,
    user_id: &str,
) -> ApiResult<Incident> {
    let to = participant_by_id(state, user_id).await?;
    change(state, caller, id, Change::OfferRole { role, to }).await
}

pub async fn answer_offer(
    state: &AppState,
    caller: &Caller,
    id: &str,
    role: Role,
    step: RoleStep,
) -> ApiResult<Incident> {
    let change_of = match step {
        RoleStep::Accept => Change::AcceptOffer { role },
        RoleStep::Decline => Change::DeclineOffer { role },
        RoleStep::Withdraw => Change::WithdrawOffer { role },
    };
    change(state, caller, id, change_of).await
}

pub async fn add_investigator(
    state: &AppState,
    caller: &Caller,
    id: &str,
    user_id: &str,
) -> ApiResult<Incident> {
    let person = participant_by_id(state, user_id).await?;
    change(state, caller, id, Change::AddInvestigator { person }).await
}

/// Writes a stage's output; without a stage named, the current one's.
pub async fn write_output(
    state: &AppState,
    caller: &Caller,
    id: &str,
    stage: Option<&str>,
    output: String,
    outcome: Option<&str>,
) -> ApiResult<Incident> {
    let outcome = parse_outcome(outcome)?;
    let stage = match stage.map(str::trim).filter(|s| !s.is_empty()) {
        Some(stage) => parse_stage(stage)?,
        None => state.store.get_incident(&resolve_id(state, id).await?).await?.investigation.stage,
    };
    change(state, caller, id, Change::WriteOutput { stage, output, outcome }).await
}

pub fn parse_stage(text: &str) -> ApiResult<Stage> {
    Ok(text.parse::<Stage>()?)
}

pub fn parse_outcome(text: Option<&str>) -> ApiResult<Option<CureOutcome>> {
    Ok(text.map(str::trim).filter(|t| !t.is_empty()).map(str::parse::<CureOutcome>).transpose()?)
}

pub fn parse_verdict(text: &str) -> ApiResult<HypothesisVerdict> {
    Ok(text.parse::<HypothesisVerdict>()?)
}

pub fn parse_state(text: &str) -> ApiResult<IncidentState> {
    Ok(text.parse::<IncidentState>()?)
}

pub fn parse_severity(text: &str) -> ApiResult<IncidentSeverity> {
    Ok(text.parse::<IncidentSeverity>()?)
}

pub fn parse_audience(text: &str) -> ApiResult<StakeholderAudience> {
    Ok(text.parse::<StakeholderAudience>()?)
}

/// A document edit: the revision it was made on, and the sections as they should now read.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditDocument {
    /// The revision the edit was made on; when someone saved another since, the edit is refused
    /// with 409 and nothing is saved.
    pub base_revision: u32,
    #[serde(flatten)]
    pub sections: DocumentSections,
}

pub async fn edit_document(
    state: &AppState,
    caller: &Caller,
    id: &str,
    edit: EditDocument,
) -> ApiResult<DocumentRevision> {
    caller.require(Permission::RespondToIncidents, "edit incident documents")?;
    let id = resolve_id(state, id).await?;
    let (incident, revision) = state
        .store
        .edit_incident_document(
            &id,
            &participant(caller),
            edit.base_revision,
            edit.sections,
            &state.config.update_cadence(),
            state.now(),
        )
        .await?;
    state.events.publish(Topic::Incident, incident.id.as_str(), "updated");
    Ok(revision)
}

pub async fn document(
    state: &AppState,
    caller: &Caller,
    id: &str,
    revision: Option<u32>,
) -> ApiResult<DocumentRevision> {
    caller.require(Permission::ReadIncidents, "read incidents")?;
    let id = resolve_id(state, id).await?;
    Ok(state.store.document_revision(&id, revision).await?)
}

pub async fn revisions(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Vec<DocumentRevision>> {
    caller.require(Permission::ReadIncidents, "read incidents")?;
    let id = resolve_id(state, id).await?;
    Ok(state.store.document_revisions(&id).await?)
}

/// How the document changed from revision `from` to `to` (default: the one before `to`, and
/// the latest).
pub async fn diff(
    state: &AppState,
    caller: &Caller,
    id: &str,
    from: Option<u32>,
    to: Option<u32>,
) -> ApiResult<DocumentDiff> {
    caller.require(Permission::ReadIncidents, "read incidents")?;
    let id = resolve_id(state, id).await?;
    let to = state.store.document_revision(&id, to).await?;
    let from_number = from.unwrap_or(to.revision.saturating_sub(1).max(1));
    let from = state.store.document_revision(&id, Some(from_number)).await?;
    Ok(DocumentDiff::between(&from, &to))
}

pub async fn timeline(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Vec<TimelineEntry>> {
    caller.require(Permission::ReadIncidents, "read incidents")?;
    let id = resolve_id(state, id).await?;
    Ok(state.store.incident_timeline(&id).await?)
}

pub async fn add_note(state: &AppState, caller: &Caller, id: &str, text: &str) -> ApiResult<TimelineEntry> {
    caller.require(Permission::RespondToIncidents, "add notes to incidents")?;
    let id = resolve_id(state, id).await?;
    let (incident, mut entries) = state
        .store
        .change_incident(
            &id,
            &participant(caller),
            Change::AddNote { text: text.to_owned() },
            &state.config.update_cadence(),
            state.now(),
        )
        .await?;
    state.events.publish(Topic::Incident, incident.id.as_str(), "updated");
    entries.pop().ok_or(ApiError::Internal)
}

pub async fn pin(
    state: &AppState,
    caller: &Caller,
    id: &str,
    entry: &str,
    pinned: bool,
) -> ApiResult<TimelineEntry> {
    caller.require(Permission::RespondToIncidents, "pin timeline entries")?;
    let id = resolve_id(state, id).await?;
    let entry = state
        .store
        .pin_timeline_entry(
            &id,
            &TimelineEntryId(entry.to_owned()),
            pinned,
            &participant(caller),
            &state.config.update_cadence(),
            state.now(),
        )
        .await?;
    state.events.publish(Topic::Incident, id.as_str(), "updated");
    Ok(entry)
}

pub async fn link_alert(state: &AppState, caller: &Caller, id: &str, alert: &str) -> ApiResult<Incident> {
    caller.require(Permission::RespondToIncidents, "link alerts to incidents")?;
    let id = resolve_id(state, id).await?;
    let (incident, _) = state
        .store
        .link_alert_to_incident(
            &id,
            &AlertId(alert.trim().to_owned()),
            &participant(caller),
            &state.config.update_cadence(),
            state.now(),
        )
        .await?;
    state.events.publish(Topic::Incident, incident.id.as_str(), "updated");
    state.events.publish(Topic::Alert, alert, "updated");
    Ok(incident)
}

pub async fn post_update(
    state: &AppState,
    caller: &Caller,
    id: &str,
    audience: StakeholderAudience,
    body: &str,
) -> ApiResult<StakeholderUpdate> {
    caller.require(Permission::RespondToIncidents, "post stakeholder updates")?;
    let id = resolve_id(state, id).await?;
    let (incident, update) = state
        .store
        .post_stakeholder_update(
            &id,
            &participant(caller),
            audience,
            body,
            &state.config.update_cadence(),
            state.now(),
        )
        .await?;
    state.events.publish(Topic::Incident, incident.id.as_str(), "updated");
    Ok(update)
}

pub async fn updates(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Vec<StakeholderUpdate>> {
    caller.require(Permission::ReadIncidents, "read incidents")?;
    let id = resolve_id(state, id).await?;
    Ok(state.store.stakeholder_updates(&id, false).await?)
}

/// An incident as the public status page shows it: no people, no internal updates.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicIncident {
    pub number: i64,
    pub title: String,
    pub severity: IncidentSeverity,
    pub state: IncidentState,
    #[schema(value_type = String, format = DateTime)]
    pub started_at: jiff::Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved_at: Option<jiff::Timestamp>,
    pub updates: Vec<PublicUpdate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicUpdate {
    pub state: IncidentState,
    pub body: String,
    #[schema(value_type = String, format = DateTime)]
    pub posted_at: jiff::Timestamp,
}

/// How long a resolved incident stays on the status page.
const RESOLVED_SHOWN_FOR: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

/// The incidents a status page lists (open ones and those resolved in the last day) with their
/// stakeholder updates, newest first; only public updates when `public_only`.
async fn status_board(
    state: &AppState,
    public_only: bool,
) -> ApiResult<Vec<(Incident, Vec<StakeholderUpdate>)>> {
    let incidents = state.store.status_page_incidents(state.now() - RESOLVED_SHOWN_FOR).await?;
    let ids: Vec<IncidentId> = incidents.iter().map(|i| i.id.clone()).collect();
    let mut updates: HashMap<IncidentId, Vec<StakeholderUpdate>> = HashMap::new();
    for update in state.store.stakeholder_updates_of(&ids, public_only).await? {
        updates.entry(update.incident_id.clone()).or_default().push(update);
    }
    Ok(incidents
        .into_iter()
        .map(|incident| {
            let its = updates.remove(&incident.id).unwrap_or_default();
            (incident, its)
        })
        .collect())
}

/// The public status page: the incidents that have a public update, each with its public
/// updates only. Needs no sign-in, so it shows nothing else: no people, no internal updates.
pub async fn public_status(state: &AppState) -> ApiResult<Vec<PublicIncident>> {
    Ok(status_board(state, true)
        .await?
        .into_iter()
        .filter(|(_, updates)| !updates.is_empty())
        .map(|(incident, updates)| PublicIncident {
            number: incident.number,
            title: incident.title,
            severity: incident.severity,
            state: incident.state,
            started_at: incident.started_at,
            resolved_at: incident.resolved_at,
            updates: updates
                .into_iter()
                .map(|u| PublicUpdate { state: u.state, body: u.body, posted_at: u.posted_at })
                .collect(),
        })
        .collect())
}

/// The stakeholders' view: every listed incident with all its updates, internal ones too.
pub async fn internal_status(
    state: &AppState,
    caller: &Caller,
) -> ApiResult<Vec<(Incident, Vec<StakeholderUpdate>)>> {
    caller.require(Permission::ReadIncidents, "read incidents")?;
    status_board(state, false).await
}

/// A severity and what it means, for pickers and the CLI.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeverityMeaning {
    pub severity: IncidentSeverity,
    pub label: &'static str,
    pub meaning: &'static str,
    pub update_every_minutes: i64,
}

pub fn severities(state: &AppState) -> Vec<SeverityMeaning> {
    let cadence = state.config.update_cadence();
    IncidentSeverity::ALL
        .into_iter()
        .map(|severity| SeverityMeaning {
            severity,
            label: severity.label(),
            meaning: severity.meaning(),
            update_every_minutes: cadence.interval(severity).as_mins(),
        })
        .collect()
}

/// "Is it an incident?" for one alert: the service's playbooks that match it, its declaration
/// criteria checked, whether to prompt the responder, and the incidents it is already part of.
#[derive(Debug, Serialize, ToSchema)]
pub struct Assessment {
    pub playbooks: Vec<Playbook>,
    pub criteria: DeclarationCriteria,
    pub checks: Vec<CriterionCheck>,
    /// Acknowledged and unresolved for longer than the service's investigation time.
    pub prompt_to_declare: bool,
    pub incidents: Vec<Incident>,
}

pub async fn assess(state: &AppState, caller: &Caller, alert: &AlertId) -> ApiResult<Assessment> {
    caller.require(Permission::ReadIncidents, "read incidents")?;
    let alert = state.store.get_alert(alert).await?;
    let now = state.now();
    let criteria = state.store.declaration_criteria(&alert.service_id).await?;
    let playbooks = state.store.playbooks_of(&alert.service_id).await?;
    let services = state.store.services_with_open_alerts().await?;
    Ok(Assessment {
        playbooks: playbooks.into_iter().filter(|p| p.applies_to(&alert)).collect(),
        checks: criteria_met(&criteria, &alert, services, now),
        prompt_to_declare: alert.status.is_open() && should_prompt(&criteria, &alert, now),
        criteria,
        incidents: state.store.incidents_for_alert(&alert.id).await?,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePlaybook {
    pub name: String,
    /// Text matched, ignoring case, against an alert's summary, dedup key and class.
    pub matches: String,
    /// What to do, one step per line.
    pub steps: String,
}

pub async fn playbooks(state: &AppState, caller: &Caller, service: &ServiceId) -> ApiResult<Vec<Playbook>> {
    caller.require(Permission::ReadIncidents, "read playbooks")?;
    Ok(state.store.playbooks_of(service).await?)
}

pub async fn create_playbook(
    state: &AppState,
    caller: &Caller,
    service: &ServiceId,
    body: CreatePlaybook,
) -> ApiResult<Playbook> {
    caller.require(Permission::ManageServices, "change services")?;
    let parsed = Playbook::parse(&body.name, &body.matches, &body.steps)?;
    let playbook = state.store.create_playbook(service, parsed, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::Service, service.as_str(), "updated");
    Ok(playbook)
}

pub async fn delete_playbook(
    state: &AppState,
    caller: &Caller,
    service: &ServiceId,
    id: &PlaybookId,
) -> ApiResult<()> {
    caller.require(Permission::ManageServices, "change services")?;
    state.store.delete_playbook(service, id, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::Service, service.as_str(), "updated");
    Ok(())
}

pub async fn criteria(
    state: &AppState,
    caller: &Caller,
    service: &ServiceId,
) -> ApiResult<DeclarationCriteria> {
    caller.require(Permission::ReadIncidents, "read declaration criteria")?;
    Ok(state.store.declaration_criteria(service).await?)
}

pub async fn set_criteria(
    state: &AppState,
    caller: &Caller,
    service: &ServiceId,
    criteria: DeclarationCriteria,
) -> ApiResult<DeclarationCriteria> {
    caller.require(Permission::ManageServices, "change services")?;
    let criteria = DeclarationCriteria::parse(criteria.investigation_minutes, criteria.services_affected)?;
    state.store.set_declaration_criteria(service, &criteria, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::Service, service.as_str(), "updated");
    Ok(criteria)
}

/// A subscription to stakeholder updates: of one incident or of every incident on a service.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Subscribe {
    /// One of your verified contact methods (an e-mail address or a webhook).
    pub contact_method_id: String,
    /// Follow every incident affecting this service …
    pub service_id: Option<String>,
    /// … or this one incident (its id or number).
    pub incident_id: Option<String>,
    /// `internal` (every update, the default) or `public` (only public ones).
    pub audience: Option<String>,
}

pub async fn subscribe(state: &AppState, caller: &Caller, body: Subscribe) -> ApiResult<Subscription> {
    caller.require(Permission::ReadIncidents, "follow incidents")?;
    let scope = match (
        body.service_id.as_deref().and_then(non_blank),
        body.incident_id.as_deref().and_then(non_blank),
    ) {
        (Some(service), None) => SubscriptionScope::Service(ServiceId(service.to_owned())),
        (None, Some(incident)) => SubscriptionScope::Incident(resolve_id(state, incident).await?),
        _ => return Err(ApiError::field("service_id", "give either a service_id or an incident_id")),
    };
    let audience = parse_audience(body.audience.as_deref().unwrap_or("internal"))?;
    let method = ContactMethodId(body.contact_method_id.trim().to_owned());
    Ok(state.store.subscribe(&caller.user.id, &method, scope, audience, state.now()).await?)
}

fn non_blank(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}

pub async fn subscriptions(state: &AppState, caller: &Caller) -> ApiResult<Vec<Subscription>> {
    Ok(state.store.subscriptions_of(&caller.user.id).await?)
}

pub async fn unsubscribe(state: &AppState, caller: &Caller, id: &str) -> ApiResult<()> {
    Ok(state.store.unsubscribe(&caller.user.id, &SubscriptionId(id.to_owned()), state.now()).await?)
}
