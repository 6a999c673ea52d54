//! Escalation operations shared by the API and the web UI: policies (create, replace as a new
//! version, delete) and the policy and response targets a service pages with. Each checks the
//! caller's permission, calls the store and publishes the change.

use muster_core::{
    authz::Permission,
    escalation::{EscalationPolicy, NewEscalationPolicy, ResponseTargets, ServiceEscalation},
    ids::{EscalationPolicyId, ServiceId},
};

use crate::{auth::Caller, error::ApiResult, events::Topic, state::AppState};

pub async fn create_policy(
    state: &AppState,
    caller: &Caller,
    new: &NewEscalationPolicy,
) -> ApiResult<EscalationPolicy> {
    caller.require(Permission::ManageServices, "create escalation policies")?;
    let policy = state.store.create_escalation_policy(new, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::EscalationPolicy, policy.id.as_str(), "created");
    Ok(policy)
}

pub async fn replace_policy(
    state: &AppState,
    caller: &Caller,
    id: &EscalationPolicyId,
    new: &NewEscalationPolicy,
) -> ApiResult<EscalationPolicy> {
    caller.require(Permission::ManageServices, "change escalation policies")?;
    let policy = state.store.replace_escalation_policy(id, new, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::EscalationPolicy, policy.id.as_str(), "updated");
    Ok(policy)
}

pub async fn delete_policy(state: &AppState, caller: &Caller, id: &EscalationPolicyId) -> ApiResult<()> {
    caller.require(Permission::ManageServices, "delete escalation policies")?;
    state.store.delete_escalation_policy(id, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::EscalationPolicy, id.as_str(), "deleted");
    Ok(())
}

/// Changes to a service's response targets; each left out keeps its value.
#[derive(Debug, Clone, Copy, Default)]
pub struct TargetChanges {
    pub business_critical_minutes: Option<u32>,
    pub urgent_minutes: Option<u32>,
    /// 0 turns the timeout off.
    pub acknowledgement_timeout_minutes: Option<u32>,
}

/// Sets a service's policy (`None`: it pages no one) and the targets given.
pub async fn set_service_escalation(
    state: &AppState,
    caller: &Caller,
    service: &ServiceId,
    policy: Option<EscalationPolicyId>,
    changes: TargetChanges,
) -> ApiResult<ServiceEscalation> {
    caller.require(Permission::ManageServices, "set how services page")?;
    let current = state.store.service_escalation(service).await?;
    let targets = ResponseTargets::parse(
        current.response_targets,
        changes.business_critical_minutes,
        changes.urgent_minutes,
        changes.acknowledgement_timeout_minutes,
    )?;
    let escalation = state
        .store
        .set_service_escalation(service, policy.as_ref(), targets, &caller.actor(), state.now())
        .await?;
    state.events.publish(Topic::Service, service.as_str(), "updated");
    Ok(escalation)
}
