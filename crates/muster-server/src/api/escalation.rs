//! `/api/v1/escalation-policies`: whom a page notifies and when; and
//! `/api/v1/services/{id}/escalation`: the policy a service pages through and its response targets.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::get,
};
use muster_core::{
    authz::Permission,
    escalation::{EscalationPolicy, NewEscalationPolicy, ServiceEscalation, StepInput},
    ids::{EscalationPolicyId, ServiceId},
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ListQuery, Listing};
use crate::{
    auth::Caller,
    error::ApiResult,
    escalation,
    json::{ApiJson, ApiQuery},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/escalation-policies", get(list).post(create))
        .route("/api/v1/escalation-policies/{id}", get(get_one).put(replace).delete(delete))
        .route("/api/v1/services/{id}/escalation", get(service_escalation).put(set_service_escalation))
}

/// A whole policy, to create or to replace one with.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyBody {
    name: String,
    description: Option<String>,
    /// The steps in order. The first is notified when a page starts; each waits
    /// `escalate_after_minutes` (1 to 1440) for an acknowledgement before the next is notified.
    /// Targets: `{"kind": "tier", "tier": "primary"}` (the paged service's on-call in that tier),
    /// `{"kind": "schedule", "id": …}`, `{"kind": "user", "id": …}`, `{"kind": "team", "id": …}`
    /// (every member).
    steps: Vec<StepInput>,
    /// Extra rounds through the steps after the first, 0 to 9 (default 0).
    repeat: Option<u32>,
}

impl PolicyBody {
    fn parse(&self) -> Result<NewEscalationPolicy, muster_core::Invalid> {
        NewEscalationPolicy::parse(&self.name, self.description.as_deref(), &self.steps, self.repeat)
    }
}

#[utoipa::path(get, path = "/api/v1/escalation-policies", tag = "escalation", params(ListQuery),
    responses((status = 200, body = Listing<EscalationPolicy>), (status = 401, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Listing<EscalationPolicy>>> {
    caller.require(Permission::ReadDirectory, "list escalation policies")?;
    let page = query.page()?;
    Ok(Json(Listing::new(state.store.list_escalation_policies(page).await?, page)))
}

#[utoipa::path(post, path = "/api/v1/escalation-policies", tag = "escalation", request_body = PolicyBody,
    responses((status = 201, body = EscalationPolicy), (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<PolicyBody>,
) -> ApiResult<(StatusCode, Json<EscalationPolicy>)> {
    let policy = escalation::create_policy(&state, &caller, &body.parse()?).await?;
    Ok((StatusCode::CREATED, Json(policy)))
}

#[utoipa::path(get, path = "/api/v1/escalation-policies/{id}", tag = "escalation", params(("id" = String, Path)),
    responses((status = 200, body = EscalationPolicy), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<EscalationPolicy>> {
    caller.require(Permission::ReadDirectory, "read escalation policies")?;
    Ok(Json(state.store.get_escalation_policy(&EscalationPolicyId(id)).await?))
}

#[utoipa::path(put, path = "/api/v1/escalation-policies/{id}", tag = "escalation", params(("id" = String, Path)),
    request_body = PolicyBody,
    description = "Replaces the whole policy and moves its version on. Pages already under way keep the version they started with.",
    responses((status = 200, body = EscalationPolicy), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PolicyBody>,
) -> ApiResult<Json<EscalationPolicy>> {
    Ok(Json(escalation::replace_policy(&state, &caller, &EscalationPolicyId(id), &body.parse()?).await?))
}

#[utoipa::path(delete, path = "/api/v1/escalation-policies/{id}", tag = "escalation", params(("id" = String, Path)),
    description = "Deletes a policy that no service pages through.",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    escalation::delete_policy(&state, &caller, &EscalationPolicyId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/services/{id}/escalation", tag = "escalation", params(("id" = String, Path)),
    responses((status = 200, body = ServiceEscalation), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn service_escalation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ServiceEscalation>> {
    caller.require(Permission::ReadDirectory, "read how services page")?;
    Ok(Json(state.store.service_escalation(&ServiceId(id)).await?))
}

/// How a service pages. Targets left out keep their current value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceEscalationBody {
    /// The policy to page through; `null` pages no one.
    escalation_policy_id: Option<String>,
    /// Minutes to acknowledge a business-critical page, 1 to 1440 (default 5).
    business_critical_minutes: Option<u32>,
    /// Minutes to acknowledge an urgent page, 1 to 1440 (default 30).
    urgent_minutes: Option<u32>,
    /// Minutes after which an acknowledged alert that is still open pages again, 1 to 1440;
    /// 0 turns this off (the default).
    acknowledgement_timeout_minutes: Option<u32>,
}

#[utoipa::path(put, path = "/api/v1/services/{id}/escalation", tag = "escalation", params(("id" = String, Path)),
    request_body = ServiceEscalationBody,
    responses((status = 200, body = ServiceEscalation), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_service_escalation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ServiceEscalationBody>,
) -> ApiResult<Json<ServiceEscalation>> {
    let policy = body.escalation_policy_id.map(EscalationPolicyId);
    let changes = escalation::TargetChanges {
        business_critical_minutes: body.business_critical_minutes,
        urgent_minutes: body.urgent_minutes,
        acknowledgement_timeout_minutes: body.acknowledgement_timeout_minutes,
    };
    let escalation =
        escalation::set_service_escalation(&state, &caller, &ServiceId(id), policy, changes).await?;
    Ok(Json(escalation))
}
