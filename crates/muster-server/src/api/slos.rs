//! SLOs, their Prometheus rules, ops mode and the deploy gate under `/api/v1/services/{id}`.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::{delete, get, post},
};
use muster_core::slo::{DeployException, GateDecision, NewSlo, OpsMode, Slo};
use serde::Deserialize;

use crate::{
    auth::Caller,
    csv::Csv,
    error::{ApiError, ApiResult},
    json::{ApiJson, ApiQuery},
    slos::{self, Burn, EnterOps, GrantException, OpsModeView, PostedCounts, SloView},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/services/{id}/slos", get(list).post(create))
        .route("/api/v1/services/{id}/slos/{slo_id}", delete(remove))
        .route("/api/v1/services/{id}/slos/{slo_id}/counts", post(post_counts))
        .route("/api/v1/services/{id}/slos/{slo_id}/burn", get(burn))
        .route("/api/v1/services/{id}/slo-rules", get(rules))
        .route("/api/v1/services/{id}/ops-mode", get(ops_mode).post(enter).delete(leave))
        .route("/api/v1/services/{id}/deploy-exceptions", post(grant_exception))
        .route("/api/v1/services/{id}/deploy-gate", get(gate))
}

#[utoipa::path(get, path = "/api/v1/services/{id}/slos", tag = "slos", params(("id" = String, Path)),
    description = "The service's SLOs with the objective in force (reduced during ops mode) and the error budget left over each window.",
    responses((status = 200, body = Vec<SloView>)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<SloView>>> {
    Ok(Json(slos::list(&state, &caller, &id).await?))
}

#[utoipa::path(post, path = "/api/v1/services/{id}/slos", tag = "slos", params(("id" = String, Path)), request_body = NewSlo,
    responses((status = 201, body = Slo), (status = 422, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewSlo>,
) -> ApiResult<(StatusCode, Json<Slo>)> {
    Ok((StatusCode::CREATED, Json(slos::create(&state, &caller, &id, body).await?)))
}

#[utoipa::path(delete, path = "/api/v1/services/{id}/slos/{slo_id}", tag = "slos", params(("id" = String, Path), ("slo_id" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, slo)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    slos::delete(&state, &caller, &id, &slo).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/services/{id}/slos/{slo_id}/counts", tag = "slos", params(("id" = String, Path), ("slo_id" = String, Path)),
    request_body = PostedCounts, description = "Good and total events of a period just ended, for SLOs measured without Prometheus.",
    responses((status = 204), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn post_counts(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, slo)): Path<(String, String)>,
    ApiJson(body): ApiJson<PostedCounts>,
) -> ApiResult<StatusCode> {
    slos::post_counts(&state, &caller, &id, &slo, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BurnQuery {
    /// `json` (the default) or `csv`: one row per day.
    pub format: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/services/{id}/slos/{slo_id}/burn", tag = "slos", params(("id" = String, Path), ("slo_id" = String, Path), BurnQuery),
    description = "How the SLO's error budget burned: the budget left each day over its window, each over the window that ends that day (from Prometheus when configured, else from posted counts).",
    responses((status = 200, body = Burn), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn burn(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, slo)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<BurnQuery>,
) -> ApiResult<Response> {
    let burn = slos::burn(&state, &caller, &id, &slo).await?;
    match q.format.as_deref().map(str::trim) {
        None | Some("") | Some("json") => Ok(Json(burn).into_response()),
        Some("csv") => {
            let mut csv = Csv::new(&["at", "remaining"]);
            for point in &burn.points {
                csv.row([point.at.to_string(), format!("{:.4}", point.remaining)]);
            }
            Ok(crate::csv::download(&format!("burn-{}", burn.name), csv.finish()))
        }
        Some(_) => Err(ApiError::field("format", "must be json or csv")),
    }
}

#[utoipa::path(get, path = "/api/v1/services/{id}/slo-rules", tag = "slos", params(("id" = String, Path)),
    description = "Prometheus recording and multi-window multi-burn-rate alerting rules for the service's SLOs (YAML, for `rule_files`).",
    responses((status = 200, description = "the rule file", content_type = "application/yaml")), security(("bearer" = [])))]
pub async fn rules(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let yaml = slos::rules(&state, &caller, &id).await?;
    Ok(([(header::CONTENT_TYPE, "application/yaml; charset=utf-8")], yaml).into_response())
}

#[utoipa::path(get, path = "/api/v1/services/{id}/ops-mode", tag = "slos", params(("id" = String, Path)),
    responses((status = 200, body = OpsModeView)), security(("bearer" = [])))]
pub async fn ops_mode(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<OpsModeView>> {
    Ok(Json(slos::ops_mode(&state, &caller, &id).await?))
}

#[utoipa::path(post, path = "/api/v1/services/{id}/ops-mode", tag = "slos", params(("id" = String, Path)), request_body = EnterOps,
    description = "Puts the service into ops mode: reduced objectives and a change freeze until it leaves.",
    responses((status = 201, body = OpsMode), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn enter(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<EnterOps>,
) -> ApiResult<(StatusCode, Json<OpsMode>)> {
    Ok((StatusCode::CREATED, Json(slos::enter(&state, &caller, &id, body).await?)))
}

#[utoipa::path(delete, path = "/api/v1/services/{id}/ops-mode", tag = "slos", params(("id" = String, Path)),
    description = "Takes the service out of ops mode, which restores its objectives and ends the freeze.",
    responses((status = 200, body = OpsMode), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn leave(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<OpsMode>> {
    Ok(Json(slos::leave(&state, &caller, &id).await?))
}

#[utoipa::path(post, path = "/api/v1/services/{id}/deploy-exceptions", tag = "slos", params(("id" = String, Path)), request_body = GrantException,
    description = "Lets one named deploy through the change freeze (admins and the owning team's members); logged in the audit log.",
    responses((status = 201, body = DeployException), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn grant_exception(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<GrantException>,
) -> ApiResult<(StatusCode, Json<DeployException>)> {
    Ok((StatusCode::CREATED, Json(slos::grant_exception(&state, &caller, &id, body).await?)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct GateQuery {
    /// The deploy's name (a version, a change number), matched against granted exceptions.
    pub deploy: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/services/{id}/deploy-gate", tag = "slos", params(("id" = String, Path), GateQuery),
    description = "Whether a deploy may proceed: 200 with `allowed: true`, or 423 Locked during ops mode with the reason and who can grant an exception.",
    responses((status = 200, body = GateDecision), (status = 423, body = GateDecision)), security(("bearer" = [])))]
pub async fn gate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<GateQuery>,
) -> ApiResult<(StatusCode, Json<GateDecision>)> {
    let decision = slos::gate(&state, &caller, &id, q.deploy.as_deref()).await?;
    let status = if decision.allowed { StatusCode::OK } else { StatusCode::LOCKED };
    Ok((status, Json(decision)))
}
