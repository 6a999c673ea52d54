//! `/api/v1/teams`: teams and their members.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, put},
};
use muster_core::{
    authz::Permission,
    ids::{TeamId, UserId},
    team::Team,
};

use super::{ListQuery, Listing};
use crate::{
    auth::Caller,
    directory::{self, CreateTeam, UpdateTeam},
    error::ApiResult,
    json::{ApiJson, ApiQuery},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/teams", get(list).post(create))
        .route("/api/v1/teams/{id}", get(get_one).patch(update).delete(delete))
        .route("/api/v1/teams/{id}/members/{user_id}", put(add_member).delete(remove_member))
}

#[utoipa::path(get, path = "/api/v1/teams", tag = "teams", params(ListQuery),
    responses((status = 200, body = Listing<Team>), (status = 401, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Listing<Team>>> {
    caller.require(Permission::ReadDirectory, "list teams")?;
    let page = query.page()?;
    Ok(Json(Listing::new(state.store.list_teams(page).await?, page)))
}

#[utoipa::path(post, path = "/api/v1/teams", tag = "teams", request_body = CreateTeam,
    responses((status = 201, body = Team), (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateTeam>,
) -> ApiResult<(StatusCode, Json<Team>)> {
    let team = directory::create_team(&state, &caller, body).await?;
    Ok((StatusCode::CREATED, Json(team)))
}

#[utoipa::path(get, path = "/api/v1/teams/{id}", tag = "teams", params(("id" = String, Path)),
    responses((status = 200, body = Team), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Team>> {
    caller.require(Permission::ReadDirectory, "read teams")?;
    Ok(Json(state.store.get_team(&TeamId(id)).await?))
}

#[utoipa::path(patch, path = "/api/v1/teams/{id}", tag = "teams", params(("id" = String, Path)), request_body = UpdateTeam,
    responses((status = 200, body = Team), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateTeam>,
) -> ApiResult<Json<Team>> {
    let team = directory::update_team(&state, &caller, &TeamId(id), body).await?;
    Ok(Json(team))
}

#[utoipa::path(delete, path = "/api/v1/teams/{id}", tag = "teams", params(("id" = String, Path)),
    description = "Deletes a team that owns no services.",
    responses((status = 204), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    directory::delete_team(&state, &caller, &TeamId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/api/v1/teams/{id}/members/{user_id}", tag = "teams",
    params(("id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = Team), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, user_id)): Path<(String, String)>,
) -> ApiResult<Json<Team>> {
    let team = directory::change_membership(&state, &caller, &TeamId(id), &UserId(user_id), true).await?;
    Ok(Json(team))
}

#[utoipa::path(delete, path = "/api/v1/teams/{id}/members/{user_id}", tag = "teams",
    params(("id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = Team), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, user_id)): Path<(String, String)>,
) -> ApiResult<Json<Team>> {
    let team = directory::change_membership(&state, &caller, &TeamId(id), &UserId(user_id), false).await?;
    Ok(Json(team))
}
