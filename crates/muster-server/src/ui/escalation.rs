//! Escalation policy pages (the list, a policy with its editor) and the escalation section of a
//! service page. The editor is a plain form: a handful of step slots, each with its wait and a
//! multiple choice of targets (tiers, schedules, people, teams), so it works without JavaScript.

use std::collections::HashMap;

use axum::{
    Router,
    extract::{Path, Query, State},
    routing::{get, post},
};
use muster_core::{
    FieldError,
    authz::Permission,
    escalation::{EscalationPolicy, EscalationTarget, NewEscalationPolicy, StepInput, TargetInput},
    ids::{EscalationPolicyId, ServiceId},
    page::Page,
    schedule::templates::Tier,
};
use serde::Deserialize;

use super::{
    CsrfForm, Layout, NoFields, PageQuery, SignedIn, UiResult, form_errors, form_status, render, see_other,
};
use crate::{auth::Caller, error::ApiError, escalation, state::AppState};

/// Step slots the editor offers; a policy may have at most `MAX_STEPS` through the API.
const SLOTS: usize = 5;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/escalation-policies", get(list).post(create))
        .route("/escalation-policies/{id}", get(show).post(replace))
        .route("/escalation-policies/{id}/delete", post(delete))
        .route("/services/{id}/escalation", post(set_service_escalation))
}

/// One choice in a step's target list.
struct TargetOption {
    value: String,
    label: String,
}

struct StepSlot {
    index: usize,
    minutes: String,
    selected: Vec<String>,
}

impl StepSlot {
    fn has(&self, value: &str) -> bool {
        self.selected.iter().any(|s| s == value)
    }
}

/// The editor's fields, as shown.
struct PolicyForm {
    name: String,
    description: String,
    repeat: String,
    slots: Vec<StepSlot>,
}

fn target_value(target: &EscalationTarget) -> String {
    match target {
        EscalationTarget::Tier { tier } => format!("tier:{}", tier.as_str()),
        EscalationTarget::Schedule { schedule_id } => format!("schedule:{schedule_id}"),
        EscalationTarget::User { user_id } => format!("user:{user_id}"),
        EscalationTarget::Team { team_id } => format!("team:{team_id}"),
    }
}

impl PolicyForm {
    fn empty() -> Self {
        let slots = (0..SLOTS)
            .map(|index| StepSlot {
                index,
                minutes: if index == 0 { "5".into() } else { String::new() },
                selected: Vec::new(),
            })
            .collect();
        PolicyForm { name: String::new(), description: String::new(), repeat: "0".into(), slots }
    }

    fn of(policy: &EscalationPolicy) -> Self {
        let mut form = PolicyForm::empty();
        form.name = policy.name.clone();
        form.description = policy.description.clone();
        form.repeat = policy.rules.repeat.to_string();
        for (slot, step) in form.slots.iter_mut().zip(&policy.rules.steps) {
            slot.minutes = step.escalate_after_minutes.to_string();
            slot.selected = step.targets.iter().map(target_value).collect();
        }
        form
    }

    /// Reads the posted fields; repeated `step{i}_targets` fields are the step's targets.
    fn posted(fields: &[(String, String)]) -> Self {
        let mut form = PolicyForm::empty();
        form.slots.iter_mut().for_each(|s| s.minutes.clear());
        for (key, value) in fields {
            match key.as_str() {
                "name" => form.name = value.clone(),
                "description" => form.description = value.clone(),
                "repeat" => form.repeat = value.clone(),
                _ => {
                    let Some((slot, field)) = key.strip_prefix("step").and_then(|rest| rest.split_once('_'))
                    else {
                        continue;
                    };
                    let Some(slot) = slot.parse::<usize>().ok().and_then(|i| form.slots.get_mut(i)) else {
                        continue;
                    };
                    match field {
                        "minutes" => slot.minutes = value.trim().to_owned(),
                        "targets" => slot.selected.push(value.clone()),
                        _ => {}
                    }
                }
            }
        }
        form
    }

    fn parse(&self) -> Result<NewEscalationPolicy, muster_core::Invalid> {
        let mut errors = Vec::new();
        let steps: Vec<StepInput> = self
            .slots
            .iter()
            .filter(|slot| !slot.minutes.is_empty() || !slot.selected.is_empty())
            .map(|slot| StepInput {
                escalate_after_minutes: slot.minutes.parse().ok(),
                targets: slot
                    .selected
                    .iter()
                    .map(|value| {
                        let (kind, id) = value.split_once(':').unwrap_or((value, ""));
                        let (id, tier) = if kind == "tier" {
                            (None, Some(id.to_owned()))
                        } else {
                            (Some(id.to_owned()), None)
                        };
                        TargetInput { kind: kind.to_owned(), id, tier }
                    })
                    .collect(),
            })
            .collect();
        let repeat = match self.repeat.trim() {
            "" => None,
            text => text.parse().map(Some).unwrap_or_else(|_| {
                errors.push(FieldError::new("repeat", "must be a whole number from 0 to 9"));
                None
            }),
        };
        let parsed = NewEscalationPolicy::parse(&self.name, Some(&self.description), &steps, repeat);
        match (parsed, errors.is_empty()) {
            (Ok(policy), true) => Ok(policy),
            (Ok(_), false) => Err(muster_core::Invalid(errors)),
            (Err(mut invalid), _) => {
                invalid.0.extend(errors);
                Err(invalid)
            }
        }
    }
}

/// Every target a step can name, with the labels people know them by.
async fn target_options(state: &AppState) -> Result<(Vec<TargetOption>, HashMap<String, String>), ApiError> {
    let mut options: Vec<TargetOption> = Tier::ALL
        .iter()
        .map(|tier| TargetOption {
            value: format!("tier:{}", tier.as_str()),
            label: format!("Whoever is on call as {} for the service", tier.as_str()),
        })
        .collect();
    let all = Page { limit: Page::MAX_LIMIT, offset: 0 };
    for schedule in state.store.all_schedules().await? {
        options.push(TargetOption {
            value: format!("schedule:{}", schedule.id),
            label: format!("On call in {}", schedule.name),
        });
    }
    for user in state.store.list_users(all).await?.into_iter().filter(|u| u.is_active()) {
        options.push(TargetOption { value: format!("user:{}", user.id), label: user.name });
    }
    for team in state.store.list_teams(all).await? {
        options.push(TargetOption {
            value: format!("team:{}", team.id),
            label: format!("Everyone in {}", team.name),
        });
    }
    let labels = options.iter().map(|o| (o.value.clone(), o.label.clone())).collect();
    Ok((options, labels))
}

#[derive(askama::Template)]
#[template(path = "escalation_policies.html")]
struct PoliciesPage {
    layout: Layout,
    policies: Vec<EscalationPolicy>,
    can_manage: bool,
    form: PolicyForm,
    options: Vec<TargetOption>,
    action: String,
    submit: &'static str,
    errors: Vec<FieldError>,
}

async fn list_page(
    state: &AppState,
    caller: &Caller,
    done: Option<&str>,
    form: PolicyForm,
    errors: Vec<FieldError>,
) -> UiResult {
    let policies = state
        .store
        .list_escalation_policies(Page { limit: Page::MAX_LIMIT, offset: 0 })
        .await
        .map_err(ApiError::from)?;
    let (options, _) = target_options(state).await?;
    let view = PoliciesPage {
        layout: Layout::new(caller, "escalation", done, state.now()),
        policies,
        can_manage: caller.user.role.allows(Permission::ManageServices),
        form,
        options,
        action: "/escalation-policies".to_owned(),
        submit: "Create policy",
        errors: errors.clone(),
    };
    render(form_status(&errors), &view)
}

async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Query(query): Query<PageQuery>,
) -> UiResult {
    list_page(&state, &caller, query.done.as_deref(), PolicyForm::empty(), vec![]).await
}

async fn create(
    State(state): State<AppState>,
    CsrfForm { caller, form }: CsrfForm<Vec<(String, String)>>,
) -> UiResult {
    let form = PolicyForm::posted(&form);
    let result = match form.parse() {
        Ok(new) => escalation::create_policy(&state, &caller, &new).await,
        Err(invalid) => Err(invalid.into()),
    };
    match result {
        Ok(policy) => Ok(see_other(&format!("/escalation-policies/{}", policy.id), "policy-created")),
        Err(error) => list_page(&state, &caller, None, form, form_errors(error)?).await,
    }
}

#[derive(askama::Template)]
#[template(path = "escalation_policy.html")]
struct PolicyPage {
    layout: Layout,
    policy: EscalationPolicy,
    labels: HashMap<String, String>,
    can_manage: bool,
    form: PolicyForm,
    options: Vec<TargetOption>,
    action: String,
    submit: &'static str,
    errors: Vec<FieldError>,
}

impl PolicyPage {
    fn target_label(&self, target: &EscalationTarget) -> String {
        let value = target_value(target);
        self.labels.get(&value).cloned().unwrap_or(value)
    }
}

async fn policy_page(
    state: &AppState,
    caller: &Caller,
    id: &EscalationPolicyId,
    done: Option<&str>,
    form: Option<PolicyForm>,
    errors: Vec<FieldError>,
) -> UiResult {
    caller.require(Permission::ReadDirectory, "read escalation policies")?;
    let policy = state.store.get_escalation_policy(id).await.map_err(ApiError::from)?;
    let (options, labels) = target_options(state).await?;
    let view = PolicyPage {
        layout: Layout::new(caller, "escalation", done, state.now()),
        form: form.unwrap_or_else(|| PolicyForm::of(&policy)),
        action: format!("/escalation-policies/{}", policy.id),
        submit: "Save as a new version",
        policy,
        labels,
        can_manage: caller.user.role.allows(Permission::ManageServices),
        options,
        errors: errors.clone(),
    };
    render(form_status(&errors), &view)
}

async fn show(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> UiResult {
    policy_page(&state, &caller, &EscalationPolicyId(id), query.done.as_deref(), None, vec![]).await
}

async fn replace(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<Vec<(String, String)>>,
) -> UiResult {
    let id = EscalationPolicyId(id);
    let form = PolicyForm::posted(&form);
    let result = match form.parse() {
        Ok(new) => escalation::replace_policy(&state, &caller, &id, &new).await,
        Err(invalid) => Err(invalid.into()),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/escalation-policies/{id}"), "policy-saved")),
        Err(error) => policy_page(&state, &caller, &id, None, Some(form), form_errors(error)?).await,
    }
}

async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    let id = EscalationPolicyId(id);
    match escalation::delete_policy(&state, &caller, &id).await {
        Ok(()) => Ok(see_other("/escalation-policies", "policy-deleted")),
        Err(error) => policy_page(&state, &caller, &id, None, None, form_errors(error)?).await,
    }
}

#[derive(Debug, Deserialize)]
struct ServiceEscalationForm {
    #[serde(default)]
    escalation_policy_id: String,
    #[serde(default)]
    business_critical_minutes: String,
    #[serde(default)]
    urgent_minutes: String,
    #[serde(default)]
    acknowledgement_timeout_minutes: String,
}

fn minutes(field: &str, text: &str) -> Result<Option<u32>, ApiError> {
    match text.trim() {
        "" => Ok(None),
        text => text
            .parse()
            .map(Some)
            .map_err(|_| muster_core::Invalid::one(field, "must be a whole number of minutes").into()),
    }
}

async fn set_service_escalation(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<ServiceEscalationForm>,
) -> UiResult {
    let service = ServiceId(id);
    let result = async {
        let changes = escalation::TargetChanges {
            business_critical_minutes: minutes("business_critical_minutes", &form.business_critical_minutes)?,
            urgent_minutes: minutes("urgent_minutes", &form.urgent_minutes)?,
            // An empty box turns the timeout off.
            acknowledgement_timeout_minutes: minutes(
                "acknowledgement_timeout_minutes",
                &form.acknowledgement_timeout_minutes,
            )?
            .or(Some(0)),
        };
        let policy = super::non_empty(&form.escalation_policy_id).map(EscalationPolicyId);
        escalation::set_service_escalation(&state, &caller, &service, policy, changes).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/services/{service}"), "escalation-saved")),
        Err(error) => {
            super::services::service_page(&state, &caller, &service, None, None, form_errors(error)?).await
        }
    }
}
