//! The reading club over the API: `/api/v1/postmortems/of-the-month`, votes, the reading list
//! and review sessions.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::{
    auth::Caller,
    error::ApiResult,
    json::{ApiJson, ApiQuery},
    reading_club::{self, RecordSession},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/postmortems/of-the-month", get(of_the_month).put(choose))
        .route("/api/v1/postmortems/{id}/vote", post(vote))
        .route("/api/v1/reading-list", get(reading_list).post(add_to_reading_list))
        .route("/api/v1/reading-list/{postmortem_id}", axum::routing::delete(remove_from_reading_list))
        .route("/api/v1/review-sessions", get(sessions).post(record_session))
}

fn json(value: impl serde::Serialize) -> Json<Value> {
    Json(serde_json::to_value(value).unwrap_or(Value::Null))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MonthQuery {
    /// `YYYY-MM`; the caller's current month when absent.
    pub month: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/postmortems/of-the-month", tag = "reading club", params(MonthQuery),
    description = "A month's vote: standings, an admin's choice, the winner (none on a tie) and the caller's own vote.",
    responses((status = 200, body = Object), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn of_the_month(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> ApiResult<Json<Value>> {
    Ok(json(reading_club::month_vote(&state, &caller, q.month.as_deref()).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Vote {
    /// `YYYY-MM`; the caller's current month when absent.
    pub month: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/postmortems/{id}/vote", tag = "reading club", params(("id" = String, Path)),
    request_body = Vote, description = "Votes for a published postmortem as the postmortem of the month; one vote per person per month, and voting again moves it.",
    responses((status = 200, body = Object), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn vote(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Vote>,
) -> ApiResult<Json<Value>> {
    Ok(json(reading_club::vote(&state, &caller, &id, body.month.as_deref()).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub month: Option<String>,
    pub postmortem_id: String,
}

#[utoipa::path(put, path = "/api/v1/postmortems/of-the-month", tag = "reading club", request_body = Choice,
    description = "An admin chooses the postmortem of the month, overriding the vote; recorded in the audit log.",
    responses((status = 200, body = Object), (status = 403, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn choose(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<Choice>,
) -> ApiResult<Json<Value>> {
    Ok(json(reading_club::choose(&state, &caller, body.month.as_deref(), &body.postmortem_id).await?))
}

#[utoipa::path(get, path = "/api/v1/reading-list", tag = "reading club",
    responses((status = 200, body = Vec<Object>)), security(("bearer" = [])))]
pub async fn reading_list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    Ok(json(reading_club::reading_list(&state, &caller).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Listing {
    pub postmortem_id: String,
    /// Why it is worth reading.
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/reading-list", tag = "reading club", request_body = Listing,
    description = "Puts a published postmortem on the reading list (or changes its note).",
    responses((status = 201, body = Object), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn add_to_reading_list(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<Listing>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let entry = reading_club::add_to_reading_list(&state, &caller, &body.postmortem_id, &body.note).await?;
    Ok((StatusCode::CREATED, json(entry)))
}

#[utoipa::path(delete, path = "/api/v1/reading-list/{postmortem_id}", tag = "reading club", params(("postmortem_id" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn remove_from_reading_list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    reading_club::remove_from_reading_list(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/review-sessions", tag = "reading club", description = "The latest 50 review sessions, most recent first.",
    responses((status = 200, body = Vec<Object>)), security(("bearer" = [])))]
pub async fn sessions(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    Ok(json(reading_club::sessions(&state, &caller).await?))
}

#[utoipa::path(post, path = "/api/v1/review-sessions", tag = "reading club", request_body = RecordSession,
    description = "Records a review session: its date, the published postmortems discussed and who attended.",
    responses((status = 201, body = Object), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn record_session(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<RecordSession>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    Ok((StatusCode::CREATED, json(reading_club::record_session(&state, &caller, body).await?)))
}
