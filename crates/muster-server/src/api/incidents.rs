//! `/api/v1/incidents`: declare, list and read incidents; hand off roles; move the investigation;
//! edit the document; the timeline; stakeholder updates. And `/api/v1/status`, the public status
//! page as JSON, which needs no sign-in.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{delete, get, post, put},
};
use muster_core::{
    ids::{AlertId, PlaybookId, ServiceId},
    incident::{
        Change, DeclarationCriteria, DocumentDiff, DocumentRevision, Incident, Playbook, StakeholderUpdate,
        Subscription, TimelineEntry,
    },
};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::{
    auth::Caller,
    error::ApiResult,
    incidents::{
        self, Assessment, CreatePlaybook, DeclareIncident, EditDocument, IncidentPage, IncidentQuery,
        IncidentView, PublicIncident, RoleStep, SeverityMeaning, Subscribe,
    },
    json::{ApiJson, ApiQuery},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/incidents", get(list).post(declare))
        .route("/api/v1/incidents/severities", get(severities))
        .route("/api/v1/incidents/{id}", get(get_one))
        .route("/api/v1/incidents/{id}/state", post(set_state))
        .route("/api/v1/incidents/{id}/severity", post(set_severity))
        .route("/api/v1/incidents/{id}/impact", post(set_impact))
        .route("/api/v1/incidents/{id}/roles/{role}/offer", post(offer_role))
        .route("/api/v1/incidents/{id}/roles/{role}/accept", post(accept_role))
        .route("/api/v1/incidents/{id}/roles/{role}/decline", post(decline_role))
        .route("/api/v1/incidents/{id}/roles/{role}/withdraw", post(withdraw_offer))
        .route("/api/v1/incidents/{id}/investigators", post(add_investigator))
        .route("/api/v1/incidents/{id}/investigators/{user_id}", delete(remove_investigator))
        .route("/api/v1/incidents/{id}/stage", post(move_stage))
        .route("/api/v1/incidents/{id}/stage/output", put(write_output))
        .route("/api/v1/incidents/{id}/stage/tactics", put(check_tactic))
        .route("/api/v1/incidents/{id}/hypotheses", post(propose_hypothesis))
        .route("/api/v1/incidents/{id}/hypotheses/{number}/verdict", post(judge_hypothesis))
        .route("/api/v1/incidents/{id}/document", get(document).put(edit_document))
        .route("/api/v1/incidents/{id}/document/revisions", get(revisions))
        .route("/api/v1/incidents/{id}/document/diff", get(diff))
        .route("/api/v1/incidents/{id}/timeline", get(timeline))
        .route("/api/v1/incidents/{id}/timeline/{entry_id}/pin", put(pin))
        .route("/api/v1/incidents/{id}/notes", post(add_note))
        .route("/api/v1/incidents/{id}/alerts", post(link_alert))
        .route("/api/v1/incidents/{id}/updates", get(updates).post(post_update))
        .route("/api/v1/status", get(status))
        .route("/api/v1/alerts/{id}/assessment", get(assessment))
        .route("/api/v1/services/{id}/playbooks", get(playbooks).post(create_playbook))
        .route("/api/v1/services/{id}/playbooks/{playbook_id}", delete(delete_playbook))
        .route("/api/v1/services/{id}/declaration-criteria", get(criteria).put(set_criteria))
        .route("/api/v1/users/me/subscriptions", get(subscriptions).post(subscribe))
        .route("/api/v1/users/me/subscriptions/{id}", delete(unsubscribe))
}

#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", params(IncidentQuery),
    responses((status = 200, body = IncidentPage), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<IncidentQuery>,
) -> ApiResult<Json<IncidentPage>> {
    Ok(Json(incidents::list(&state, &caller, &query).await?))
}

#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents", request_body = DeclareIncident,
    description = "Declares an incident from alerts (linked to it) or from a problem report. The declarer is Incident Commander until a hand-off is accepted; the document is issued from the template.",
    responses((status = 201, body = Incident), (status = 422, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn declare(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<DeclareIncident>,
) -> ApiResult<(StatusCode, Json<Incident>)> {
    Ok((StatusCode::CREATED, Json(incidents::declare(&state, &caller, body).await?)))
}

#[utoipa::path(get, path = "/api/v1/incidents/severities", tag = "incidents",
    description = "SEV1 to SEV4, what each means and how often stakeholders expect an update.",
    responses((status = 200, body = Vec<SeverityMeaning>)), security(("bearer" = [])))]
pub async fn severities(State(state): State<AppState>, _caller: Caller) -> Json<Vec<SeverityMeaning>> {
    Json(incidents::severities(&state))
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents",
    params(("id" = String, Path, description = "The incident's id or its number")),
    responses((status = 200, body = IncidentView), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<IncidentView>> {
    Ok(Json(incidents::get(&state, &caller, &id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetState {
    /// `investigating`, `identified`, `monitoring` or `resolved`; a resolved incident reopens to
    /// `investigating`. Resolving needs the cure output.
    pub state: String,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/state", tag = "incidents", params(("id" = String, Path)), request_body = SetState,
    responses((status = 200, body = Incident), (status = 409, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_state(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SetState>,
) -> ApiResult<Json<Incident>> {
    let change = Change::SetState { state: incidents::parse_state(&body.state)? };
    Ok(Json(incidents::change(&state, &caller, &id, change).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetSeverity {
    /// `sev1` … `sev4`.
    pub severity: String,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/severity", tag = "incidents", params(("id" = String, Path)), request_body = SetSeverity,
    responses((status = 200, body = Incident), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn set_severity(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SetSeverity>,
) -> ApiResult<Json<Incident>> {
    let change = Change::SetSeverity { severity: incidents::parse_severity(&body.severity)? };
    Ok(Json(incidents::change(&state, &caller, &id, change).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetImpact {
    pub customer_facing: bool,
    pub data_impact: bool,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/impact", tag = "incidents", params(("id" = String, Path)), request_body = SetImpact,
    responses((status = 200, body = Incident)), security(("bearer" = [])))]
pub async fn set_impact(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SetImpact>,
) -> ApiResult<Json<Incident>> {
    let change = Change::SetImpact { customer_facing: body.customer_facing, data_impact: body.data_impact };
    Ok(Json(incidents::change(&state, &caller, &id, change).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NamePerson {
    pub user_id: String,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/roles/{role}/offer", tag = "incidents",
    params(("id" = String, Path), ("role" = String, Path, description = "`commander`, `comms_lead` or `ops_lead`")),
    request_body = NamePerson,
    description = "Offers a role to a person. Nothing changes until they accept; the Incident Commander role is offered by its holder (or an admin), the leads by the Incident Commander.",
    responses((status = 200, body = Incident), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn offer_role(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, role)): Path<(String, String)>,
    ApiJson(body): ApiJson<NamePerson>,
) -> ApiResult<Json<Incident>> {
    let role = incidents::parse_role(&role)?;
    Ok(Json(incidents::offer_role(&state, &caller, &id, role, &body.user_id).await?))
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/roles/{role}/accept", tag = "incidents",
    params(("id" = String, Path), ("role" = String, Path)),
    description = "The offered person accepts (\"I confirm I am now the IC\"); the role changes hands now.",
    responses((status = 200, body = Incident), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn accept_role(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, role)): Path<(String, String)>,
) -> ApiResult<Json<Incident>> {
    let role = incidents::parse_role(&role)?;
    Ok(Json(incidents::answer_offer(&state, &caller, &id, role, RoleStep::Accept).await?))
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/roles/{role}/decline", tag = "incidents",
    params(("id" = String, Path), ("role" = String, Path)),
    responses((status = 200, body = Incident), (status = 403, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn decline_role(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, role)): Path<(String, String)>,
) -> ApiResult<Json<Incident>> {
    let role = incidents::parse_role(&role)?;
    Ok(Json(incidents::answer_offer(&state, &caller, &id, role, RoleStep::Decline).await?))
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/roles/{role}/withdraw", tag = "incidents",
    params(("id" = String, Path), ("role" = String, Path)),
    responses((status = 200, body = Incident), (status = 403, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn withdraw_offer(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, role)): Path<(String, String)>,
) -> ApiResult<Json<Incident>> {
    let role = incidents::parse_role(&role)?;
    Ok(Json(incidents::answer_offer(&state, &caller, &id, role, RoleStep::Withdraw).await?))
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/investigators", tag = "incidents", params(("id" = String, Path)),
    request_body = NamePerson, description = "The Ops Lead (the Incident Commander while there is none) adds an investigator.",
    responses((status = 200, body = Incident), (status = 403, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn add_investigator(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NamePerson>,
) -> ApiResult<Json<Incident>> {
    Ok(Json(incidents::add_investigator(&state, &caller, &id, &body.user_id).await?))
}

#[utoipa::path(delete, path = "/api/v1/incidents/{id}/investigators/{user_id}", tag = "incidents",
    params(("id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = Incident), (status = 403, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn remove_investigator(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, user_id)): Path<(String, String)>,
) -> ApiResult<Json<Incident>> {
    let change = Change::RemoveInvestigator { user: muster_core::ids::UserId(user_id) };
    Ok(Json(incidents::change(&state, &caller, &id, change).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveStage {
    /// `triage`, `examine`, `diagnose`, `test` or `cure`: the next stage (the current stage's
    /// output must be written), or any earlier one.
    pub stage: String,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/stage", tag = "incidents", params(("id" = String, Path)), request_body = MoveStage,
    responses((status = 200, body = Incident), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn move_stage(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MoveStage>,
) -> ApiResult<Json<Incident>> {
    let change = Change::MoveStage { stage: incidents::parse_stage(&body.stage)? };
    Ok(Json(incidents::change(&state, &caller, &id, change).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteOutput {
    /// The stage the output is for; it must be the current stage (the default).
    pub stage: Option<String>,
    /// The stage's output.
    pub output: String,
    /// Cure only: `fully_working`, `mitigated_with_known_fix` or `mitigated_with_monitoring`.
    pub outcome: Option<String>,
}

#[utoipa::path(put, path = "/api/v1/incidents/{id}/stage/output", tag = "incidents", params(("id" = String, Path)), request_body = WriteOutput,
    responses((status = 200, body = Incident), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn write_output(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WriteOutput>,
) -> ApiResult<Json<Incident>> {
    let written = incidents::write_output(
        &state,
        &caller,
        &id,
        body.stage.as_deref(),
        body.output,
        body.outcome.as_deref(),
    );
    Ok(Json(written.await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckTactic {
    pub stage: String,
    /// The tactic's position in the stage's checklist, from 0.
    pub tactic: usize,
    pub checked: bool,
}

#[utoipa::path(put, path = "/api/v1/incidents/{id}/stage/tactics", tag = "incidents", params(("id" = String, Path)), request_body = CheckTactic,
    responses((status = 200, body = Incident)), security(("bearer" = [])))]
pub async fn check_tactic(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CheckTactic>,
) -> ApiResult<Json<Incident>> {
    let change = Change::CheckTactic {
        stage: incidents::parse_stage(&body.stage)?,
        tactic: body.tactic,
        checked: body.checked,
    };
    Ok(Json(incidents::change(&state, &caller, &id, change).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeHypothesis {
    pub statement: String,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/hypotheses", tag = "incidents", params(("id" = String, Path)),
    request_body = ProposeHypothesis, description = "Adds a possible cause to the shortlist; only while diagnosing.",
    responses((status = 200, body = Incident), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn propose_hypothesis(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ProposeHypothesis>,
) -> ApiResult<Json<Incident>> {
    Ok(Json(
        incidents::change(&state, &caller, &id, Change::ProposeHypothesis { statement: body.statement })
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JudgeHypothesis {
    /// `confirmed` or `refuted`.
    pub verdict: String,
    pub evidence: String,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/hypotheses/{number}/verdict", tag = "incidents",
    params(("id" = String, Path), ("number" = u32, Path)), request_body = JudgeHypothesis,
    description = "Confirms or refutes a hypothesis with its evidence; only while testing.",
    responses((status = 200, body = Incident), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn judge_hypothesis(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, number)): Path<(String, u32)>,
    ApiJson(body): ApiJson<JudgeHypothesis>,
) -> ApiResult<Json<Incident>> {
    let change = Change::JudgeHypothesis {
        number,
        verdict: incidents::parse_verdict(&body.verdict)?,
        evidence: body.evidence,
    };
    Ok(Json(incidents::change(&state, &caller, &id, change).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RevisionQuery {
    /// A revision number; the latest when absent.
    pub revision: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}/document", tag = "incidents", params(("id" = String, Path), RevisionQuery),
    responses((status = 200, body = DocumentRevision), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn document(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<RevisionQuery>,
) -> ApiResult<Json<DocumentRevision>> {
    Ok(Json(incidents::document(&state, &caller, &id, query.revision).await?))
}

#[utoipa::path(put, path = "/api/v1/incidents/{id}/document", tag = "incidents", params(("id" = String, Path)), request_body = EditDocument,
    description = "Saves a new revision. `base_revision` must be the latest: an edit made on an older one answers 409, names who saved since, and saves nothing.",
    responses((status = 200, body = DocumentRevision), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn edit_document(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<EditDocument>,
) -> ApiResult<Json<DocumentRevision>> {
    Ok(Json(incidents::edit_document(&state, &caller, &id, body).await?))
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}/document/revisions", tag = "incidents", params(("id" = String, Path)),
    responses((status = 200, body = Vec<DocumentRevision>)), security(("bearer" = [])))]
pub async fn revisions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<DocumentRevision>>> {
    Ok(Json(incidents::revisions(&state, &caller, &id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    /// The older revision (default: the one before `to`).
    pub from: Option<u32>,
    /// The newer revision (default: the latest).
    pub to: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}/document/diff", tag = "incidents", params(("id" = String, Path), DiffQuery),
    responses((status = 200, body = DocumentDiff)), security(("bearer" = [])))]
pub async fn diff(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<DiffQuery>,
) -> ApiResult<Json<DocumentDiff>> {
    Ok(Json(incidents::diff(&state, &caller, &id, query.from, query.to).await?))
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}/timeline", tag = "incidents", params(("id" = String, Path)),
    responses((status = 200, body = Vec<TimelineEntry>)), security(("bearer" = [])))]
pub async fn timeline(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<TimelineEntry>>> {
    Ok(Json(incidents::timeline(&state, &caller, &id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Pin {
    pub pinned: bool,
}

#[utoipa::path(put, path = "/api/v1/incidents/{id}/timeline/{entry_id}/pin", tag = "incidents",
    params(("id" = String, Path), ("entry_id" = String, Path)), request_body = Pin,
    responses((status = 200, body = TimelineEntry)), security(("bearer" = [])))]
pub async fn pin(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, entry_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<Pin>,
) -> ApiResult<Json<TimelineEntry>> {
    Ok(Json(incidents::pin(&state, &caller, &id, &entry_id, body.pinned).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Note {
    pub text: String,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/notes", tag = "incidents", params(("id" = String, Path)), request_body = Note,
    responses((status = 201, body = TimelineEntry), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn add_note(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Note>,
) -> ApiResult<(StatusCode, Json<TimelineEntry>)> {
    Ok((StatusCode::CREATED, Json(incidents::add_note(&state, &caller, &id, &body.text).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkAlert {
    pub alert_id: String,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/alerts", tag = "incidents", params(("id" = String, Path)), request_body = LinkAlert,
    responses((status = 200, body = Incident), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn link_alert(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<LinkAlert>,
) -> ApiResult<Json<Incident>> {
    Ok(Json(incidents::link_alert(&state, &caller, &id, &body.alert_id).await?))
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}/updates", tag = "incidents", params(("id" = String, Path)),
    responses((status = 200, body = Vec<StakeholderUpdate>)), security(("bearer" = [])))]
pub async fn updates(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<StakeholderUpdate>>> {
    Ok(Json(incidents::updates(&state, &caller, &id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostUpdate {
    /// `internal` (stakeholders inside the company) or `public` (also the status page).
    pub audience: String,
    pub body: String,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/updates", tag = "incidents", params(("id" = String, Path)), request_body = PostUpdate,
    description = "The Comms Lead (the Incident Commander while there is none) posts a stakeholder update; the next is due one update interval later.",
    responses((status = 201, body = StakeholderUpdate), (status = 403, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn post_update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PostUpdate>,
) -> ApiResult<(StatusCode, Json<StakeholderUpdate>)> {
    let audience = incidents::parse_audience(&body.audience)?;
    Ok((StatusCode::CREATED, Json(incidents::post_update(&state, &caller, &id, audience, &body.body).await?)))
}

#[utoipa::path(get, path = "/api/v1/status", tag = "incidents",
    description = "The public status page as JSON: open and recently resolved incidents with their public updates. Needs no sign-in.",
    responses((status = 200, body = Vec<PublicIncident>)))]
pub async fn status(State(state): State<AppState>) -> ApiResult<Json<Vec<PublicIncident>>> {
    Ok(Json(incidents::public_status(&state).await?))
}

#[utoipa::path(get, path = "/api/v1/alerts/{id}/assessment", tag = "incidents", params(("id" = String, Path)),
    description = "Is it an incident? The service's playbooks that match the alert, its declaration criteria and which are met, whether the responder should be prompted to declare, and the incidents the alert is linked to.",
    responses((status = 200, body = Assessment), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn assessment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Assessment>> {
    Ok(Json(incidents::assess(&state, &caller, &AlertId(id)).await?))
}

#[utoipa::path(get, path = "/api/v1/services/{id}/playbooks", tag = "incidents", params(("id" = String, Path)),
    responses((status = 200, body = Vec<Playbook>)), security(("bearer" = [])))]
pub async fn playbooks(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Playbook>>> {
    Ok(Json(incidents::playbooks(&state, &caller, &ServiceId(id)).await?))
}

#[utoipa::path(post, path = "/api/v1/services/{id}/playbooks", tag = "incidents", params(("id" = String, Path)),
    request_body = CreatePlaybook, description = "Adds a standard-response playbook: alerts that match it are handled by its steps, without an incident.",
    responses((status = 201, body = Playbook), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn create_playbook(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreatePlaybook>,
) -> ApiResult<(StatusCode, Json<Playbook>)> {
    Ok((StatusCode::CREATED, Json(incidents::create_playbook(&state, &caller, &ServiceId(id), body).await?)))
}

#[utoipa::path(delete, path = "/api/v1/services/{id}/playbooks/{playbook_id}", tag = "incidents",
    params(("id" = String, Path), ("playbook_id" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn delete_playbook(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, playbook_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    incidents::delete_playbook(&state, &caller, &ServiceId(id), &PlaybookId(playbook_id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/services/{id}/declaration-criteria", tag = "incidents", params(("id" = String, Path)),
    responses((status = 200, body = DeclarationCriteria)), security(("bearer" = [])))]
pub async fn criteria(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<DeclarationCriteria>> {
    Ok(Json(incidents::criteria(&state, &caller, &ServiceId(id)).await?))
}

#[utoipa::path(put, path = "/api/v1/services/{id}/declaration-criteria", tag = "incidents", params(("id" = String, Path)),
    request_body = DeclarationCriteria,
    responses((status = 200, body = DeclarationCriteria), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn set_criteria(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DeclarationCriteria>,
) -> ApiResult<Json<DeclarationCriteria>> {
    Ok(Json(incidents::set_criteria(&state, &caller, &ServiceId(id), body).await?))
}

#[utoipa::path(get, path = "/api/v1/users/me/subscriptions", tag = "incidents",
    responses((status = 200, body = Vec<Subscription>)), security(("bearer" = [])))]
pub async fn subscriptions(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<Subscription>>> {
    Ok(Json(incidents::subscriptions(&state, &caller).await?))
}

#[utoipa::path(post, path = "/api/v1/users/me/subscriptions", tag = "incidents", request_body = Subscribe,
    description = "Follow the stakeholder updates of one incident, or of every incident affecting a service, through one of your verified contact methods. Stakeholders may subscribe too.",
    responses((status = 201, body = Subscription), (status = 422, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn subscribe(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<Subscribe>,
) -> ApiResult<(StatusCode, Json<Subscription>)> {
    Ok((StatusCode::CREATED, Json(incidents::subscribe(&state, &caller, body).await?)))
}

#[utoipa::path(delete, path = "/api/v1/users/me/subscriptions/{id}", tag = "incidents", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn unsubscribe(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    incidents::unsubscribe(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
