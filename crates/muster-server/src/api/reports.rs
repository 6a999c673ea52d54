//! `/api/v1/reports/…`: the load report of a schedule, toil, a team's rotation sizing and weekly
//! hand-off (each as JSON or CSV), and marking alerts as ticket work or pages as useful, which
//! the reports count.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;

use crate::{
    auth::Caller,
    csv,
    error::{ApiError, ApiResult},
    handoff_report::{self, HandoffReport},
    json::ApiQuery,
    reports::{self, LoadReport},
    sizing::SizingReport,
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reports/load", get(load))
        .route("/api/v1/reports/toil", get(toil))
        .route("/api/v1/reports/sizing", get(sizing))
        .route("/api/v1/reports/handoff", get(handoff))
        .route("/api/v1/alerts/{id}/ticket-work", post(mark_ticket_work))
        .route("/api/v1/alerts/{id}/useful", post(vote_on_page))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LoadQuery {
    /// The schedule whose shifts are measured.
    pub schedule: String,
    /// RFC 3339; 28 days before `until` by default.
    pub from: Option<String>,
    /// RFC 3339; now by default.
    pub until: Option<String>,
    /// `json` (the default) or `csv`.
    pub format: Option<String>,
    /// With `format=csv`: `shifts` (the default), `people`, `pages_by_hour` or `advice`.
    pub table: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/reports/load", tag = "reports", params(LoadQuery),
    description = "Operational load per shift of a schedule (pages, interruptions, off-hours and night pages, tickets, incidents against the budget) and per person.",
    responses((status = 200, body = LoadReport), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn load(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<LoadQuery>,
) -> ApiResult<Response> {
    let window = reports::window(&state, q.from.as_deref(), q.until.as_deref())?;
    let report = reports::load(&state, &caller, &q.schedule, window).await?;
    match q.format.as_deref().map(str::trim) {
        None | Some("") | Some("json") => Ok(Json(report).into_response()),
        Some("csv") => {
            let table = csv::table(q.table.as_deref(), &reports::LOAD_TABLES)?;
            Ok(csv::download(&format!("load-{table}"), reports::load_csv(&report, table)))
        }
        Some(_) => Err(ApiError::field("format", "must be json or csv")),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ToilQuery {
    /// RFC 3339; 28 days before `until` by default.
    pub from: Option<String>,
    /// RFC 3339; now by default.
    pub until: Option<String>,
    /// `json` (the default) or `csv`.
    pub format: Option<String>,
    /// With `format=csv`: `noisiest` (the default), `repeat_pages`, `off_hours`, `responses` or
    /// `weekly`.
    pub table: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/reports/toil", tag = "reports", params(ToilQuery),
    description = "The noisiest alerts, keys that paged again and again, alerts acknowledged and resolved with nothing done, and MTTA, MTTR and response targets per service and priority.",
    responses((status = 200, body = muster_core::load::Toil), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn toil(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ToilQuery>,
) -> ApiResult<Response> {
    let window = reports::window(&state, q.from.as_deref(), q.until.as_deref())?;
    let toil = reports::toil_report(&state, &caller, window).await?;
    match q.format.as_deref().map(str::trim) {
        None | Some("") | Some("json") => Ok(Json(toil).into_response()),
        Some("csv") => {
            let table = csv::table(q.table.as_deref(), &reports::TOIL_TABLES)?;
            Ok(csv::download(&format!("toil-{table}"), reports::toil_csv(&toil, table)))
        }
        Some(_) => Err(ApiError::field("format", "must be json or csv")),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SizingQuery {
    /// The team whose schedules are sized.
    pub team: String,
    /// RFC 3339; 28 days before `until` by default.
    pub from: Option<String>,
    /// RFC 3339; now by default.
    pub until: Option<String>,
    /// `json` (the default) or `csv`: one row per schedule and design.
    pub format: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/reports/sizing", tag = "reports", params(SizingQuery),
    description = "Rotation sizing on the seed's model: for each of the team's schedules, the load its shifts measured, how many people each design (primary; with a secondary 9–5; with tickets people; Primary 1 and 2) needs and what share of their time goes to operations, and the people needed beyond those now.",
    responses((status = 200, body = SizingReport), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn sizing(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<SizingQuery>,
) -> ApiResult<Response> {
    let window = reports::window(&state, q.from.as_deref(), q.until.as_deref())?;
    let report = crate::sizing::sizing(&state, &caller, &q.team, window).await?;
    match q.format.as_deref().map(str::trim) {
        None | Some("") | Some("json") => Ok(Json(report).into_response()),
        Some("csv") => Ok(csv::download("sizing", crate::sizing::sizing_csv(&report))),
        Some(_) => Err(ApiError::field("format", "must be json or csv")),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HandoffQuery {
    /// The team whose week on call is reported.
    pub team: String,
    /// RFC 3339; 7 days before `until` by default.
    pub from: Option<String>,
    /// RFC 3339; now by default.
    pub until: Option<String>,
    /// `json` (the default) or `csv`.
    pub format: Option<String>,
    /// With `format=csv`: `shifts` (the default), `incidents`, `open_incidents`, `open_alerts` or
    /// `noisiest`.
    pub table: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/reports/handoff", tag = "reports", params(HandoffQuery),
    description = "The weekly on-call hand-off report of a team: each of its schedules' shifts with their load and who is on call in the week ahead, the incidents of the week, what is still open on the team's services, and the week's noisiest alerts.",
    responses((status = 200, body = HandoffReport), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn handoff(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<HandoffQuery>,
) -> ApiResult<Response> {
    let window =
        reports::window_or_last(&state, q.from.as_deref(), q.until.as_deref(), handoff_report::DEFAULT_DAYS)?;
    let report = handoff_report::handoff(&state, &caller, &q.team, window).await?;
    match q.format.as_deref().map(str::trim) {
        None | Some("") | Some("json") => Ok(Json(report).into_response()),
        Some("csv") => {
            let table = csv::table(q.table.as_deref(), &handoff_report::TABLES)?;
            Ok(csv::download(&format!("handoff-{table}"), handoff_report::handoff_csv(&report, table)))
        }
        Some(_) => Err(ApiError::field("format", "must be json or csv")),
    }
}

#[utoipa::path(post, path = "/api/v1/alerts/{id}/ticket-work", tag = "reports", params(("id" = String, Path)),
    description = "Marks the alert as ticket work you handled; the load report counts it in your shift.",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn mark_ticket_work(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    reports::mark_ticket_work(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PageVote {
    pub useful: bool,
}

#[utoipa::path(post, path = "/api/v1/alerts/{id}/useful", tag = "reports", params(("id" = String, Path)), request_body = PageVote,
    description = "Your answer to \"was this page useful?\"; answering again changes it. The toil report counts the answers per alert.",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn vote_on_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    crate::json::ApiJson(body): crate::json::ApiJson<PageVote>,
) -> ApiResult<StatusCode> {
    reports::vote_on_page(&state, &caller, &id, body.useful).await?;
    Ok(StatusCode::NO_CONTENT)
}
