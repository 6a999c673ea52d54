//! Incident pages: the list, the declaration form, and the incident room — roles and hand-offs,
//! the investigation stage with its checklist and output, hypotheses, the document, stakeholder
//! updates and the timeline on one page that refreshes for everyone in it as anything changes.
//!
//! The room refreshes by re-fetching itself on every incident event. Text being typed survives a
//! refresh: every text box has a stable id and `hx-preserve`, and the stage output's id names its
//! stage, so a box typed for a stage the investigation has left disappears with it.

use axum::{
    Router,
    extract::{Path, Query, State},
    routing::{get, post},
};
use muster_core::{
    FieldError,
    authz::Permission,
    ids::{ServiceId, UserId},
    incident::{
        Change, CureOutcome, DocumentDiff, DocumentRevision, DocumentSections, Incident, IncidentSeverity,
        IncidentState, Role, Stage, StakeholderUpdate, TimelineEntry,
    },
    page::Page,
    service::Service,
    user::{Role as UserRole, User},
};
use serde::Deserialize;

use super::{
    CsrfForm, Layout, NoFields, SignedIn, UiResult, form_errors, form_status, non_empty, query_string,
    render, see_other,
};
use crate::{
    auth::Caller,
    error::ApiError,
    incidents::{
        self, DeclareIncident, EditDocument, IncidentQuery, ProblemReportInput, RoleStep, StageView,
    },
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/incidents", get(list).post(declare))
        .route("/incidents/new", get(new_form))
        .route("/incidents/{id}", get(room))
        .route("/incidents/{id}/roles/offer", post(offer_role))
        .route("/incidents/{id}/roles/{role}/{step}", post(answer_offer))
        .route("/incidents/{id}/investigators", post(add_investigator))
        .route("/incidents/{id}/investigators/{user_id}/remove", post(remove_investigator))
        .route("/incidents/{id}/stage", post(move_stage))
        .route("/incidents/{id}/stage/output", post(write_output))
        .route("/incidents/{id}/stage/tactics", post(check_tactic))
        .route("/incidents/{id}/hypotheses", post(propose_hypothesis))
        .route("/incidents/{id}/hypotheses/{number}/verdict", post(judge_hypothesis))
        .route("/incidents/{id}/state", post(set_state))
        .route("/incidents/{id}/severity", post(set_severity))
        .route("/incidents/{id}/document", post(edit_document))
        .route("/incidents/{id}/document/edit", get(edit_form))
        .route("/incidents/{id}/document/diff", get(diff))
        .route("/incidents/{id}/updates", post(post_update))
        .route("/incidents/{id}/notes", post(add_note))
        .route("/incidents/{id}/alerts", post(link_alert))
        .route("/incidents/{id}/timeline/{entry_id}/pin", post(pin))
}

async fn all_services(state: &AppState) -> Result<Vec<Service>, ApiError> {
    Ok(state.store.list_services(Page { limit: Page::MAX_LIMIT, offset: 0 }).await?)
}

fn service_name(services: &[Service], id: &ServiceId) -> String {
    services.iter().find(|s| &s.id == id).map(|s| s.name.clone()).unwrap_or_else(|| id.to_string())
}

#[derive(Debug, Default, Deserialize)]
struct ListFilters {
    state: Option<String>,
    #[serde(default)]
    service: String,
    #[serde(default)]
    cursor: String,
    done: Option<String>,
}

struct ListRow {
    incident: Incident,
    services: String,
}

#[derive(askama::Template)]
#[template(path = "incidents.html")]
struct IncidentsPage {
    layout: Layout,
    rows: Vec<ListRow>,
    services: Vec<Service>,
    state: String,
    service: String,
    self_url: String,
    next_url: Option<String>,
    can_declare: bool,
    errors: Vec<FieldError>,
}

async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Query(filters): Query<ListFilters>,
) -> UiResult {
    let shown_state = filters.state.clone().unwrap_or_else(|| "open".to_owned());
    let query = IncidentQuery {
        state: Some(shown_state.clone()),
        service: non_empty(&filters.service),
        cursor: non_empty(&filters.cursor),
        limit: None,
    };
    let services = all_services(&state).await?;
    let (page, errors) = match incidents::list(&state, &caller, &query).await {
        Ok(page) => (page, vec![]),
        Err(error) => (incidents::IncidentPage { incidents: vec![], next_cursor: None }, form_errors(error)?),
    };
    let rows = page
        .incidents
        .into_iter()
        .map(|incident| ListRow {
            services: incident
                .services
                .iter()
                .map(|s| service_name(&services, s))
                .collect::<Vec<_>>()
                .join(", "),
            incident,
        })
        .collect();
    let base = [("state", shown_state.as_str()), ("service", filters.service.as_str())];
    let next_url = page.next_cursor.map(|cursor| {
        let mut pairs = base.to_vec();
        pairs.push(("cursor", &cursor));
        format!("/incidents?{}", query_string(&pairs))
    });
    let mut current = base.to_vec();
    current.push(("cursor", filters.cursor.as_str()));
    let view = IncidentsPage {
        layout: Layout::new(&caller, "incidents", filters.done.as_deref(), state.now()),
        rows,
        services,
        self_url: format!("/incidents?{}", query_string(&current)),
        next_url,
        state: shown_state,
        service: filters.service,
        can_declare: caller.user.role.allows(Permission::RespondToIncidents),
        errors: errors.clone(),
    };
    render(form_status(&errors), &view)
}

/// The declaration form as sent.
#[derive(Debug, Default, Deserialize)]
struct DeclareForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    alert_ids: String,
    #[serde(default)]
    service_id: String,
    customer_facing: Option<String>,
    data_impact: Option<String>,
    #[serde(default)]
    expected: String,
    #[serde(default)]
    actual: String,
    #[serde(default)]
    reproduce: String,
}

#[derive(askama::Template)]
#[template(path = "incident_new.html")]
struct NewIncidentPage {
    layout: Layout,
    form: DeclareForm,
    severities: Vec<incidents::SeverityMeaning>,
    services: Vec<Service>,
    /// The alerts the incident grows from, with their summaries.
    alerts: Vec<(String, String)>,
    errors: Vec<FieldError>,
}

#[derive(Debug, Default, Deserialize)]
struct NewQuery {
    /// Comma-separated alert ids to declare from.
    #[serde(default)]
    alert: String,
}

async fn new_page(state: &AppState, caller: &Caller, form: DeclareForm, errors: Vec<FieldError>) -> UiResult {
    caller.require(Permission::RespondToIncidents, "declare incidents")?;
    let ids: Vec<muster_core::ids::AlertId> =
        split_ids(&form.alert_ids).map(muster_core::ids::AlertId).collect();
    let alerts = state.store.alerts_by_ids(&ids).await.map_err(ApiError::from)?;
    let view = NewIncidentPage {
        layout: Layout::new(caller, "incidents", None, state.now()),
        severities: incidents::severities(state),
        services: all_services(state).await?,
        alerts: alerts.into_iter().map(|a| (a.id.to_string(), a.summary)).collect(),
        form,
        errors: errors.clone(),
    };
    render(form_status(&errors), &view)
}

fn split_ids(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

async fn new_form(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Query(q): Query<NewQuery>,
) -> UiResult {
    let form = DeclareForm { alert_ids: q.alert, severity: "sev2".into(), ..DeclareForm::default() };
    new_page(&state, &caller, form, vec![]).await
}

async fn declare(
    State(state): State<AppState>,
    CsrfForm { caller, form }: CsrfForm<DeclareForm>,
) -> UiResult {
    let body = DeclareIncident {
        title: form.title.clone(),
        severity: form.severity.clone(),
        service_ids: non_empty(&form.service_id).into_iter().collect(),
        customer_facing: form.customer_facing.is_some(),
        data_impact: form.data_impact.is_some(),
        alert_ids: split_ids(&form.alert_ids).collect(),
        problem_report: Some(ProblemReportInput {
            expected: form.expected.clone(),
            actual: form.actual.clone(),
            reproduce: form.reproduce.clone(),
        }),
    };
    match incidents::declare(&state, &caller, body).await {
        Ok(incident) => Ok(see_other(&format!("/incidents/{}", incident.number), "incident-declared")),
        Err(error) => new_page(&state, &caller, form, form_errors(error)?).await,
    }
}

/// What the viewer may do in the room; the store checks again on every change.
struct Powers {
    may_respond: bool,
    commands: bool,
    comms: bool,
    ops: bool,
    takes_part: bool,
}

impl Powers {
    fn of(incident: &Incident, viewer: &User) -> Powers {
        let admin = viewer.role == UserRole::Admin;
        let command = &incident.command;
        let open = incident.state.is_open();
        Powers {
            may_respond: viewer.role != UserRole::Stakeholder,
            commands: admin || command.holds(Role::Commander, &viewer.id),
            comms: admin || command.acts_as(Role::CommsLead, &viewer.id),
            ops: open && (admin || command.acts_as(Role::OpsLead, &viewer.id)),
            takes_part: admin || command.takes_part(&viewer.id),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "incident.html")]
struct RoomPage {
    layout: Layout,
    incident: Incident,
    stages: Vec<StageView>,
    document: DocumentRevision,
    revisions: Vec<DocumentRevision>,
    timeline: Vec<TimelineEntry>,
    updates: Vec<StakeholderUpdate>,
    services: String,
    /// Active responders and admins, who may be offered roles.
    people: Vec<User>,
    /// The viewer's verified contact methods, to follow the incident through.
    my_methods: Vec<muster_core::notify::ContactMethod>,
    /// The incident's postmortem, once there is one.
    postmortem: Option<muster_store::StoredPostmortem>,
    /// Published postmortems of similar past incidents.
    similar: Vec<muster_store::SearchHit>,
    powers: Powers,
    errors: Vec<FieldError>,
}

impl RoomPage {
    fn stage(&self) -> &StageView {
        &self.stages[self.incident.investigation.stage.index()]
    }

    fn next_stage(&self) -> Option<Stage> {
        self.incident.investigation.stage.next()
    }

    fn earlier_stages(&self) -> Vec<Stage> {
        Stage::ALL.into_iter().filter(|s| *s < self.incident.investigation.stage).collect()
    }

    fn holder(&self, role: &Role) -> String {
        self.incident.command.holder(*role).map(|p| p.name.clone()).unwrap_or_else(|| {
            format!("{} (the IC holds it until appointed)", self.incident.command.commander.name)
        })
    }

    fn offer_to_me(&self, role: &Role) -> bool {
        self.incident.command.offer(*role).is_some_and(|o| o.to.id == self.layout.viewer.id)
    }

    fn may_offer(&self, role: &Role) -> bool {
        self.incident.state.is_open()
            && (self.powers.commands
                || (*role != Role::Commander && self.incident.command.holds(*role, &self.layout.viewer.id)))
    }

    fn is_stage(&self, stage: Stage) -> bool {
        self.incident.investigation.stage == stage
    }

    fn offer_of(&self, role: &Role) -> Option<&muster_core::incident::RoleOffer> {
        self.incident.command.offer(*role)
    }

    fn offerable_roles(&self) -> Vec<Role> {
        Role::ALL.into_iter().filter(|r| self.may_offer(r)).collect()
    }

    fn is_severity(&self, severity: &IncidentSeverity) -> bool {
        self.incident.severity == *severity
    }

    fn is_outcome(&self, outcome: &CureOutcome) -> bool {
        self.incident.investigation.cure_outcome == Some(*outcome)
    }

    fn confirmed(&self, hypothesis: &muster_core::incident::Hypothesis) -> bool {
        hypothesis.verdict == Some(muster_core::incident::HypothesisVerdict::Confirmed)
    }

    fn states(&self) -> Vec<IncidentState> {
        match self.incident.state {
            IncidentState::Resolved => vec![IncidentState::Investigating],
            current => IncidentState::ALL.into_iter().filter(|s| *s != current).collect(),
        }
    }

    fn state_label(&self, state: &IncidentState) -> &'static str {
        match (self.incident.state, state) {
            (IncidentState::Resolved, _) => "Reopen",
            (_, IncidentState::Investigating) => "Investigating",
            (_, IncidentState::Identified) => "Identified",
            (_, IncidentState::Monitoring) => "Monitoring",
            (_, IncidentState::Resolved) => "Resolve",
        }
    }

    fn severities(&self) -> [IncidentSeverity; 4] {
        IncidentSeverity::ALL
    }

    fn outcomes(&self) -> [CureOutcome; 3] {
        CureOutcome::ALL
    }

    fn document_sections(&self) -> Vec<(&'static str, &str)> {
        DocumentSections::HEADINGS
            .iter()
            .map(|(_, heading)| *heading)
            .zip(self.document.sections.texts())
            .collect()
    }

    // The counts below name the viewer's text boxes: a box keeps what is being typed across live
    // refreshes until its author's own post makes the count, and so the box, new.

    fn notes_by_me(&self) -> usize {
        let me = &self.layout.viewer.id;
        self.timeline
            .iter()
            .filter(|e| {
                e.kind == muster_core::incident::TimelineKind::Note
                    && e.actor.as_ref().is_some_and(|a| &a.id == me)
            })
            .count()
    }

    fn updates_by_me(&self) -> usize {
        self.updates.iter().filter(|u| u.posted_by.id == self.layout.viewer.id).count()
    }

    fn proposed_by_me(&self) -> usize {
        self.incident.hypotheses.iter().filter(|h| h.proposed_by.id == self.layout.viewer.id).count()
    }
}

async fn room_page(
    state: &AppState,
    caller: &Caller,
    id: &str,
    done: Option<&str>,
    errors: Vec<FieldError>,
) -> UiResult {
    let found = incidents::get(state, caller, id).await?;
    let incident_id = found.incident.id.as_str().to_owned();
    let timeline = incidents::timeline(state, caller, &incident_id).await?;
    let updates = incidents::updates(state, caller, &incident_id).await?;
    let revisions = incidents::revisions(state, caller, &incident_id).await?;
    let services = all_services(state).await?;
    let postmortem = state.store.postmortem_of_incident(&found.incident.id).await.map_err(ApiError::from)?;
    let people = super::responders(state).await?;
    let view = RoomPage {
        layout: Layout::new(caller, "incidents", done, state.now()),
        powers: Powers::of(&found.incident, &caller.user),
        services: found
            .incident
            .services
            .iter()
            .map(|s| service_name(&services, s))
            .collect::<Vec<_>>()
            .join(", "),
        stages: found.stages,
        similar: found.similar,
        document: found.document,
        incident: found.incident,
        revisions,
        timeline,
        updates,
        people,
        my_methods: verified_methods(state, caller).await?,
        postmortem,
        errors: errors.clone(),
    };
    render(form_status(&errors), &view)
}

/// The caller's verified contact methods, for "follow" forms.
pub(super) async fn verified_methods(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<muster_core::notify::ContactMethod>, ApiError> {
    let methods = state.store.contact_methods_of(&caller.user.id).await?;
    Ok(methods.into_iter().filter(|m| m.is_verified()).collect())
}

#[derive(Debug, Default, Deserialize)]
struct Done {
    done: Option<String>,
}

async fn room(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    Query(q): Query<Done>,
) -> UiResult {
    room_page(&state, &caller, &id, q.done.as_deref(), vec![]).await
}

/// Runs a room action: on success back to the room with a notice, on a refused form the room
/// with the problems beside it.
async fn act(
    state: &AppState,
    caller: &Caller,
    id: &str,
    done: &str,
    result: Result<impl Sized, ApiError>,
) -> UiResult {
    match result {
        Ok(_) => Ok(see_other(&format!("/incidents/{id}"), done)),
        Err(error) => room_page(state, caller, id, None, form_errors(error)?).await,
    }
}

#[derive(Debug, Deserialize)]
struct OfferForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    user_id: String,
}

async fn offer_role(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<OfferForm>,
) -> UiResult {
    let result = match incidents::parse_role(&form.role) {
        Ok(role) => incidents::offer_role(&state, &caller, &id, role, &form.user_id).await,
        Err(error) => Err(error),
    };
    act(&state, &caller, &id, "role-offered", result).await
}

async fn answer_offer(
    State(state): State<AppState>,
    Path((id, role, step)): Path<(String, String, String)>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    let step = match step.as_str() {
        "accept" => RoleStep::Accept,
        "decline" => RoleStep::Decline,
        "withdraw" => RoleStep::Withdraw,
        _ => return Err(ApiError::NotFound("page").into()),
    };
    let result = match incidents::parse_role(&role) {
        Ok(role) => incidents::answer_offer(&state, &caller, &id, role, step).await,
        Err(error) => Err(error),
    };
    let done = match step {
        RoleStep::Accept => "role-accepted",
        RoleStep::Decline => "role-declined",
        RoleStep::Withdraw => "offer-withdrawn",
    };
    act(&state, &caller, &id, done, result).await
}

#[derive(Debug, Deserialize)]
struct PersonForm {
    #[serde(default)]
    user_id: String,
}

async fn add_investigator(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<PersonForm>,
) -> UiResult {
    let result = incidents::add_investigator(&state, &caller, &id, &form.user_id).await;
    act(&state, &caller, &id, "investigator-added", result).await
}

async fn remove_investigator(
    State(state): State<AppState>,
    Path((id, user_id)): Path<(String, String)>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    let result =
        incidents::change(&state, &caller, &id, Change::RemoveInvestigator { user: UserId(user_id) }).await;
    act(&state, &caller, &id, "investigator-removed", result).await
}

#[derive(Debug, Deserialize)]
struct StageForm {
    #[serde(default)]
    stage: String,
}

async fn move_stage(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<StageForm>,
) -> UiResult {
    let result = match incidents::parse_stage(&form.stage) {
        Ok(stage) => incidents::change(&state, &caller, &id, Change::MoveStage { stage }).await,
        Err(error) => Err(error),
    };
    act(&state, &caller, &id, "stage-moved", result).await
}

#[derive(Debug, Deserialize)]
struct OutputForm {
    #[serde(default)]
    stage: String,
    #[serde(default)]
    output: String,
    outcome: Option<String>,
}

async fn write_output(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<OutputForm>,
) -> UiResult {
    let result = incidents::write_output(
        &state,
        &caller,
        &id,
        Some(&form.stage),
        form.output,
        form.outcome.as_deref(),
    )
    .await;
    act(&state, &caller, &id, "output-saved", result).await
}

#[derive(Debug, Deserialize)]
struct TacticForm {
    #[serde(default)]
    stage: String,
    tactic: usize,
    #[serde(default)]
    checked: String,
}

async fn check_tactic(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<TacticForm>,
) -> UiResult {
    let result = match incidents::parse_stage(&form.stage) {
        Ok(stage) => {
            let change = Change::CheckTactic { stage, tactic: form.tactic, checked: form.checked == "true" };
            incidents::change(&state, &caller, &id, change).await
        }
        Err(error) => Err(error),
    };
    act(&state, &caller, &id, "tactic-saved", result).await
}

#[derive(Debug, Deserialize)]
struct HypothesisForm {
    #[serde(default)]
    statement: String,
}

async fn propose_hypothesis(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<HypothesisForm>,
) -> UiResult {
    let result =
        incidents::change(&state, &caller, &id, Change::ProposeHypothesis { statement: form.statement })
            .await;
    act(&state, &caller, &id, "hypothesis-proposed", result).await
}

#[derive(Debug, Deserialize)]
struct VerdictForm {
    #[serde(default)]
    verdict: String,
    #[serde(default)]
    evidence: String,
}

async fn judge_hypothesis(
    State(state): State<AppState>,
    Path((id, number)): Path<(String, u32)>,
    CsrfForm { caller, form }: CsrfForm<VerdictForm>,
) -> UiResult {
    let result = match incidents::parse_verdict(&form.verdict) {
        Ok(verdict) => {
            let change = Change::JudgeHypothesis { number, verdict, evidence: form.evidence };
            incidents::change(&state, &caller, &id, change).await
        }
        Err(error) => Err(error),
    };
    act(&state, &caller, &id, "hypothesis-judged", result).await
}

#[derive(Debug, Deserialize)]
struct StateForm {
    #[serde(default)]
    state: String,
}

async fn set_state(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<StateForm>,
) -> UiResult {
    let result = match incidents::parse_state(&form.state) {
        Ok(new_state) => incidents::change(&state, &caller, &id, Change::SetState { state: new_state }).await,
        Err(error) => Err(error),
    };
    act(&state, &caller, &id, "state-changed", result).await
}

#[derive(Debug, Deserialize)]
struct SeverityForm {
    #[serde(default)]
    severity: String,
}

async fn set_severity(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<SeverityForm>,
) -> UiResult {
    let result = match incidents::parse_severity(&form.severity) {
        Ok(severity) => incidents::change(&state, &caller, &id, Change::SetSeverity { severity }).await,
        Err(error) => Err(error),
    };
    act(&state, &caller, &id, "severity-changed", result).await
}

#[derive(askama::Template)]
#[template(path = "incident_document.html")]
struct DocumentPage {
    layout: Layout,
    incident: Incident,
    base_revision: u32,
    sections: DocumentSections,
    errors: Vec<FieldError>,
}

impl DocumentPage {
    /// Each section's field name, heading and text, for the form.
    fn fields(&self) -> Vec<(&'static str, &'static str, &str)> {
        DocumentSections::HEADINGS
            .iter()
            .zip(self.sections.texts())
            .map(|((field, heading), text)| (*field, *heading, text))
            .collect()
    }
}

async fn edit_form(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> UiResult {
    let found = incidents::get(&state, &caller, &id).await?;
    let view = DocumentPage {
        layout: Layout::new(&caller, "incidents", None, state.now()),
        base_revision: found.document.revision,
        sections: found.document.sections,
        incident: found.incident,
        errors: vec![],
    };
    render(form_status(&[]), &view)
}

/// The document form. The revision is text: a flattened form hands every value over as a string.
#[derive(Debug, Deserialize)]
struct DocumentForm {
    #[serde(default)]
    base_revision: String,
    #[serde(flatten)]
    sections: DocumentSections,
}

async fn edit_document(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<DocumentForm>,
) -> UiResult {
    let saved = match form.base_revision.trim().parse() {
        Ok(base_revision) => {
            let edit = EditDocument { base_revision, sections: form.sections.clone() };
            incidents::edit_document(&state, &caller, &id, edit).await
        }
        Err(_) => Err(ApiError::field("base_revision", "must be the number of the revision you edited")),
    };
    match saved {
        Ok(_) => Ok(see_other(&format!("/incidents/{id}"), "document-saved")),
        Err(error) => {
            // The form keeps what was typed, so nothing is lost to a conflict; the person can
            // compare it with the latest revision and save again on top of it.
            let errors = form_errors(error)?;
            let found = incidents::get(&state, &caller, &id).await?;
            let view = DocumentPage {
                layout: Layout::new(&caller, "incidents", None, state.now()),
                base_revision: found.document.revision,
                sections: form.sections,
                incident: found.incident,
                errors: errors.clone(),
            };
            render(form_status(&errors), &view)
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct DiffQuery {
    from: Option<u32>,
    to: Option<u32>,
}

#[derive(askama::Template)]
#[template(path = "incident_diff.html")]
struct DiffPage {
    layout: Layout,
    incident: Incident,
    diff: DocumentDiff,
}

async fn diff(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    Query(q): Query<DiffQuery>,
) -> UiResult {
    let found = incidents::get(&state, &caller, &id).await?;
    let diff = incidents::diff(&state, &caller, &id, q.from, q.to).await?;
    let view = DiffPage {
        layout: Layout::new(&caller, "incidents", None, state.now()),
        incident: found.incident,
        diff,
    };
    render(form_status(&[]), &view)
}

#[derive(Debug, Deserialize)]
struct UpdateForm {
    #[serde(default)]
    audience: String,
    #[serde(default)]
    body: String,
}

async fn post_update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<UpdateForm>,
) -> UiResult {
    let result = match incidents::parse_audience(&form.audience) {
        Ok(audience) => incidents::post_update(&state, &caller, &id, audience, &form.body).await,
        Err(error) => Err(error),
    };
    act(&state, &caller, &id, "update-posted", result).await
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
    let result = incidents::add_note(&state, &caller, &id, &form.text).await;
    act(&state, &caller, &id, "incident-note-added", result).await
}

#[derive(Debug, Deserialize)]
struct AlertForm {
    #[serde(default)]
    alert_id: String,
}

async fn link_alert(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<AlertForm>,
) -> UiResult {
    let result = incidents::link_alert(&state, &caller, &id, &form.alert_id).await;
    act(&state, &caller, &id, "alert-linked", result).await
}

#[derive(Debug, Deserialize)]
struct PinForm {
    #[serde(default)]
    pinned: String,
}

async fn pin(
    State(state): State<AppState>,
    Path((id, entry_id)): Path<(String, String)>,
    CsrfForm { caller, form }: CsrfForm<PinForm>,
) -> UiResult {
    let result = incidents::pin(&state, &caller, &id, &entry_id, form.pinned == "true").await;
    act(&state, &caller, &id, "entry-pinned", result).await
}
