//! `/api/v1/schedules` and the on-call questions: who is on call now or at any time, for a
//! schedule, a service's tiers or everyone, and the shifts of a schedule or a person.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{delete as delete_route, get, post, put},
};
use jiff::Timestamp;
use muster_core::{
    authz::Permission,
    ids::{CoverRequestId, OverrideId, RotationId, ScheduleId, ServiceId, TeamId, UserId},
    schedule::{CoverRequest, templates::Tier},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ListQuery, Listing};
use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    json::{ApiJson, ApiQuery},
    schedules::{
        self, CoverRequestView, CreateCoverRequest, CreateOverride, CreateSchedule, FromTemplate, Names,
        OverrideView, ScheduleOnCall, ScheduleView, SetParticipants, SetServiceSchedule, ShiftView,
    },
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/schedules", get(list).post(create))
        .route("/api/v1/schedules/from-template", post(from_template))
        .route("/api/v1/schedules/{id}", get(get_one).delete(delete))
        .route("/api/v1/schedules/{id}/team", put(set_team))
        .route("/api/v1/schedules/{id}/oncall", get(schedule_on_call))
        .route("/api/v1/schedules/{id}/shifts", get(schedule_shifts))
        .route("/api/v1/schedules/{id}/handoffs", get(schedule_handoffs))
        .route("/api/v1/schedules/{id}/overrides", post(add_override))
        .route("/api/v1/schedules/{id}/take", post(take_pager))
        .route("/api/v1/schedules/{id}/cover-requests", get(list_cover).post(ask_for_cover))
        .route("/api/v1/schedules/{id}/cover-requests/{request_id}/accept", post(accept_cover))
        .route("/api/v1/schedules/{id}/cover-requests/{request_id}/withdraw", post(withdraw_cover))
        .route("/api/v1/schedules/{id}/overrides/{override_id}", delete_route(remove_override))
        .route("/api/v1/schedules/{id}/rotations/{rotation_id}/participants", put(set_participants))
        .route("/api/v1/oncall", get(everyone_on_call))
        .route("/api/v1/services/{id}/oncall", get(service_on_call))
        .route("/api/v1/services/{id}/schedules/{tier}", put(set_service_schedule))
        .route("/api/v1/users/{id}/shifts", get(person_shifts))
}

/// `?at=` on on-call questions.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AtQuery {
    /// The instant to ask about (RFC 3339, e.g. `2026-11-23T09:00:00Z`); now when absent.
    #[param(value_type = Option<String>, format = DateTime)]
    at: Option<Timestamp>,
}

/// `?from=&until=` on shift lists.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct WindowQuery {
    /// Start of the window (RFC 3339); now when absent.
    #[param(value_type = Option<String>, format = DateTime)]
    from: Option<Timestamp>,
    /// End of the window, exclusive; a week after `from` when absent; at most 400 days after it.
    #[param(value_type = Option<String>, format = DateTime)]
    until: Option<Timestamp>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OnCallAnswer {
    #[schema(value_type = String, format = DateTime)]
    at: Timestamp,
    schedules: Vec<ScheduleOnCall>,
}

#[utoipa::path(get, path = "/api/v1/schedules", tag = "schedules", params(ListQuery),
    responses((status = 200, body = Listing<ScheduleView>)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Listing<ScheduleView>>> {
    caller.require(Permission::ReadDirectory, "list schedules")?;
    let page = query.page()?;
    let schedules = state.store.list_schedules(page).await?;
    Ok(Json(Listing::new(schedules.iter().map(ScheduleView::from).collect(), page)))
}

#[utoipa::path(post, path = "/api/v1/schedules", tag = "schedules", request_body = CreateSchedule,
    responses((status = 201, body = ScheduleView), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateSchedule>,
) -> ApiResult<(StatusCode, Json<ScheduleView>)> {
    let schedule = schedules::create(&state, &caller, body).await?;
    Ok((StatusCode::CREATED, Json(ScheduleView::from(&schedule))))
}

#[utoipa::path(post, path = "/api/v1/schedules/from-template", tag = "schedules", request_body = FromTemplate,
    description = "Creates the seed's designs in one step: `tiers` makes three schedules (and attaches them to `service_id` when given).",
    responses((status = 201, body = Vec<ScheduleView>), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn from_template(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<FromTemplate>,
) -> ApiResult<(StatusCode, Json<Vec<ScheduleView>>)> {
    let created = schedules::create_from_template(&state, &caller, body).await?;
    Ok((StatusCode::CREATED, Json(created.iter().map(ScheduleView::from).collect())))
}

#[utoipa::path(get, path = "/api/v1/schedules/{id}", tag = "schedules", params(("id" = String, Path)),
    responses((status = 200, body = ScheduleView), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ScheduleView>> {
    caller.require(Permission::ReadDirectory, "read schedules")?;
    Ok(Json(ScheduleView::from(&state.store.get_schedule(&ScheduleId(id)).await?)))
}

#[utoipa::path(delete, path = "/api/v1/schedules/{id}", tag = "schedules", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    schedules::delete(&state, &caller, &ScheduleId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetTeam {
    /// The owning team; `null` for none.
    pub team_id: Option<TeamId>,
}

#[utoipa::path(put, path = "/api/v1/schedules/{id}/team", tag = "schedules", params(("id" = String, Path)), request_body = SetTeam,
    description = "Gives the schedule to a team (or to none): the team's rotation sizing and weekly hand-off cover the schedules it owns.",
    responses((status = 200, body = ScheduleView), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn set_team(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SetTeam>,
) -> ApiResult<Json<ScheduleView>> {
    let schedule = schedules::set_team(&state, &caller, &ScheduleId(id), body.team_id).await?;
    Ok(Json(ScheduleView::from(&schedule)))
}

#[utoipa::path(get, path = "/api/v1/schedules/{id}/oncall", tag = "on call", params(("id" = String, Path), AtQuery),
    responses((status = 200, body = OnCallAnswer)), security(("bearer" = [])))]
pub async fn schedule_on_call(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<AtQuery>,
) -> ApiResult<Json<OnCallAnswer>> {
    caller.require(Permission::ReadDirectory, "read schedules")?;
    let at = query.at.unwrap_or_else(|| state.now());
    let schedule = state.store.get_schedule(&ScheduleId(id)).await?;
    let schedules = schedules::on_call(&state, &[(None, schedule)], at).await?;
    Ok(Json(OnCallAnswer { at, schedules }))
}

#[utoipa::path(get, path = "/api/v1/oncall", tag = "on call", params(AtQuery),
    description = "Who is on call on every schedule.",
    responses((status = 200, body = OnCallAnswer)), security(("bearer" = [])))]
pub async fn everyone_on_call(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<AtQuery>,
) -> ApiResult<Json<OnCallAnswer>> {
    caller.require(Permission::ReadDirectory, "read schedules")?;
    let at = query.at.unwrap_or_else(|| state.now());
    let all: Vec<_> = state.store.all_schedules().await?.into_iter().map(|s| (None, s)).collect();
    Ok(Json(OnCallAnswer { at, schedules: schedules::on_call(&state, &all, at).await? }))
}

#[utoipa::path(get, path = "/api/v1/services/{id}/oncall", tag = "on call", params(("id" = String, Path), AtQuery),
    description = "Who is on call for each tier (primary, secondary, tickets) of a service.",
    responses((status = 200, body = OnCallAnswer), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn service_on_call(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<AtQuery>,
) -> ApiResult<Json<OnCallAnswer>> {
    caller.require(Permission::ReadDirectory, "read schedules")?;
    let at = query.at.unwrap_or_else(|| state.now());
    let tiers = schedules::service_tiers(&state, &ServiceId(id)).await?;
    Ok(Json(OnCallAnswer { at, schedules: schedules::on_call(&state, &tiers, at).await? }))
}

#[utoipa::path(put, path = "/api/v1/services/{id}/schedules/{tier}", tag = "on call",
    params(("id" = String, Path), ("tier" = String, Path, description = "primary, secondary or tickets")),
    request_body = SetServiceSchedule,
    responses((status = 204), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn set_service_schedule(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, tier)): Path<(String, String)>,
    ApiJson(body): ApiJson<SetServiceSchedule>,
) -> ApiResult<StatusCode> {
    let tier: Tier = tier.parse().map_err(ApiError::from)?;
    schedules::set_service_schedule(&state, &caller, &ServiceId(id), tier, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/schedules/{id}/shifts", tag = "on call", params(("id" = String, Path), WindowQuery),
    description = "The final layered result over a window: one shift per person and reason (rule or override).",
    responses((status = 200, body = Vec<ShiftView>), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn schedule_shifts(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<WindowQuery>,
) -> ApiResult<Json<Vec<ShiftView>>> {
    caller.require(Permission::ReadDirectory, "read schedules")?;
    let (from, until) = schedules::window(query.from, query.until, state.now())?;
    let schedule = state.store.get_schedule(&ScheduleId(id)).await?;
    let shifts = schedule.layers.shifts(from, until);
    let names = Names::of(&state, shifts.iter().map(|s| s.person.clone()).collect()).await?;
    Ok(Json(shifts.iter().map(|s| names.shift(&schedule.id, s)).collect()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HandOffView {
    #[schema(value_type = String, format = DateTime)]
    at: Timestamp,
    outgoing: Vec<String>,
    incoming: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/schedules/{id}/handoffs", tag = "on call", params(("id" = String, Path)),
    description = "The latest 50 recorded hand-offs (changes of who is on call), names of who went off and who came on.",
    responses((status = 200, body = Vec<HandOffView>)), security(("bearer" = [])))]
pub async fn schedule_handoffs(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<HandOffView>>> {
    caller.require(Permission::ReadDirectory, "read schedules")?;
    let id = ScheduleId(id);
    state.store.get_schedule(&id).await?;
    let handoffs = state.store.recent_handoffs(&id, 50).await?;
    // Collected first: a borrowing iterator held across the await would make the future not `Send`.
    let people: Vec<UserId> =
        handoffs.iter().flat_map(|h| h.outgoing.iter().chain(&h.incoming).cloned()).collect();
    let names = Names::of(&state, people).await?;
    let named = |ids: &[UserId]| ids.iter().map(|id| names.name(id)).collect();
    Ok(Json(
        handoffs
            .iter()
            .map(|h| HandOffView { at: h.at, outgoing: named(&h.outgoing), incoming: named(&h.incoming) })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/users/{id}/shifts", tag = "on call", params(("id" = String, Path), WindowQuery),
    description = "A person's shifts on every schedule over a window (by default the coming week).",
    responses((status = 200, body = Vec<ShiftView>)), security(("bearer" = [])))]
pub async fn person_shifts(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<WindowQuery>,
) -> ApiResult<Json<Vec<ShiftView>>> {
    caller.require(Permission::ReadDirectory, "read schedules")?;
    let person = if id == "me" { caller.user.id.clone() } else { UserId(id) };
    let (from, until) = schedules::window(query.from, query.until, state.now())?;
    Ok(Json(schedules::person_shifts(&state, &person, from, until).await?))
}

#[utoipa::path(post, path = "/api/v1/schedules/{id}/overrides", tag = "schedules", params(("id" = String, Path)),
    request_body = CreateOverride,
    description = "Adds, removes or replaces a person for an interval. Refused when the replaced person is not on call then, or when it overlaps another override for the same person.",
    responses((status = 201, body = OverrideView), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn add_override(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreateOverride>,
) -> ApiResult<(StatusCode, Json<OverrideView>)> {
    let created = schedules::add_override(&state, &caller, &ScheduleId(id), body).await?;
    Ok((StatusCode::CREATED, Json(OverrideView::from(&created))))
}

#[utoipa::path(post, path = "/api/v1/schedules/{id}/take", tag = "schedules", params(("id" = String, Path)),
    description = "Take the pager now: you replace the person on call until the end of their current shift.",
    responses((status = 201, body = OverrideView), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn take_pager(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<OverrideView>)> {
    let created = schedules::take_pager(&state, &caller, &ScheduleId(id)).await?;
    Ok((StatusCode::CREATED, Json(OverrideView::from(&created))))
}

#[utoipa::path(get, path = "/api/v1/schedules/{id}/cover-requests", tag = "schedules", params(("id" = String, Path)),
    description = "Requests for cover that have not ended, open or settled.",
    responses((status = 200, body = Vec<CoverRequestView>)), security(("bearer" = [])))]
pub async fn list_cover(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<CoverRequestView>>> {
    caller.require(Permission::ReadDirectory, "read schedules")?;
    Ok(Json(schedules::cover_requests(&state, &ScheduleId(id)).await?))
}

#[utoipa::path(post, path = "/api/v1/schedules/{id}/cover-requests", tag = "schedules", params(("id" = String, Path)),
    request_body = CreateCoverRequest,
    description = "Ask someone to take part of your time on call. Refused unless you are on call at some time in the interval.",
    responses((status = 201, body = CoverRequestView), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn ask_for_cover(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreateCoverRequest>,
) -> ApiResult<(StatusCode, Json<CoverRequestView>)> {
    let created = schedules::ask_for_cover(&state, &caller, &ScheduleId(id), body).await?;
    Ok((StatusCode::CREATED, cover_view(&state, &created).await?))
}

#[utoipa::path(post, path = "/api/v1/schedules/{id}/cover-requests/{request_id}/accept", tag = "schedules",
    params(("id" = String, Path), ("request_id" = String, Path)),
    description = "Take the request: an override puts you on call in the requester's place.",
    responses((status = 200, body = CoverRequestView), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn accept_cover(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, request_id)): Path<(String, String)>,
) -> ApiResult<Json<CoverRequestView>> {
    let accepted =
        schedules::accept_cover(&state, &caller, &ScheduleId(id), &CoverRequestId(request_id)).await?;
    cover_view(&state, &accepted).await
}

#[utoipa::path(post, path = "/api/v1/schedules/{id}/cover-requests/{request_id}/withdraw", tag = "schedules",
    params(("id" = String, Path), ("request_id" = String, Path)),
    responses((status = 200, body = CoverRequestView), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn withdraw_cover(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, request_id)): Path<(String, String)>,
) -> ApiResult<Json<CoverRequestView>> {
    let withdrawn =
        schedules::withdraw_cover(&state, &caller, &ScheduleId(id), &CoverRequestId(request_id)).await?;
    cover_view(&state, &withdrawn).await
}

async fn cover_view(state: &AppState, request: &CoverRequest) -> ApiResult<Json<CoverRequestView>> {
    let names = Names::of(state, vec![request.requester.clone()]).await?;
    Ok(Json(CoverRequestView::new(request, &names)))
}

#[utoipa::path(delete, path = "/api/v1/schedules/{id}/overrides/{override_id}", tag = "schedules",
    params(("id" = String, Path), ("override_id" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn remove_override(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, override_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    schedules::remove_override(&state, &caller, &ScheduleId(id), &OverrideId(override_id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/api/v1/schedules/{id}/rotations/{rotation_id}/participants", tag = "schedules",
    params(("id" = String, Path), ("rotation_id" = String, Path)), request_body = SetParticipants,
    description = "Reorders a rotation from its next shift on; shifts already started keep their person.",
    responses((status = 200, body = ScheduleView), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn set_participants(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, rotation_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<SetParticipants>,
) -> ApiResult<Json<ScheduleView>> {
    let schedule =
        schedules::set_participants(&state, &caller, &ScheduleId(id), &RotationId(rotation_id), body).await?;
    Ok(Json(ScheduleView::from(&schedule)))
}
