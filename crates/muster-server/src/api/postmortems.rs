//! `/api/v1/postmortems` and `/api/v1/action-items`: drafts, the review workflow, comments,
//! action items, export and search. A postmortem is named by its id or by its incident's number.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post, put},
};
use muster_core::{
    incident::DocumentDiff,
    postmortem::{ActionItem, PostmortemChange, PostmortemDocument},
};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::{
    auth::Caller,
    error::ApiResult,
    json::{ApiJson, ApiQuery},
    postmortems::{self, AddActionItem, ExportFormat, PostmortemView},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/postmortems", get(list))
        .route("/api/v1/postmortems/search", get(search))
        .route("/api/v1/postmortems/{id}", get(get_one))
        .route("/api/v1/incidents/{id}/postmortem", post(start))
        .route("/api/v1/postmortems/{id}/document", put(edit))
        .route("/api/v1/postmortems/{id}/reviewers", put(set_reviewers))
        .route("/api/v1/postmortems/{id}/flags/{flag_id}/dismiss", post(dismiss))
        .route("/api/v1/postmortems/{id}/submit", post(submit))
        .route("/api/v1/postmortems/{id}/approve", post(approve))
        .route("/api/v1/postmortems/{id}/request-changes", post(request_changes))
        .route("/api/v1/postmortems/{id}/publish", post(publish))
        .route("/api/v1/postmortems/{id}/corrections", post(correct))
        .route("/api/v1/postmortems/{id}/comments", post(comment))
        .route("/api/v1/postmortems/{id}/action-items", post(add_action_item))
        .route("/api/v1/postmortems/{id}/export", get(export))
        .route("/api/v1/postmortems/{id}/diff", get(diff))
        .route("/api/v1/action-items", get(action_items))
        .route("/api/v1/action-items/{id}/status", post(set_action_status))
}

fn stored(value: muster_store::StoredPostmortem) -> Json<Value> {
    Json(serde_json::to_value(value).unwrap_or(Value::Null))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `draft`, `in_review` or `published`; all when absent.
    pub status: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/postmortems", tag = "postmortems", params(ListQuery),
    responses((status = 200, body = Vec<Object>)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    let found = postmortems::list(&state, &caller, q.status.as_deref()).await?;
    Ok(Json(serde_json::to_value(found).unwrap_or(Value::Null)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Words, all of which must occur in a published postmortem.
    pub q: String,
}

#[utoipa::path(get, path = "/api/v1/postmortems/search", tag = "postmortems", params(SearchQuery),
    description = "Full-text search over published postmortems.",
    responses((status = 200, body = Vec<Object>)), security(("bearer" = [])))]
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Json<Value>> {
    let hits = postmortems::search(&state, &caller, &q.q).await?;
    Ok(Json(serde_json::to_value(hits).unwrap_or(Value::Null)))
}

#[utoipa::path(get, path = "/api/v1/postmortems/{id}", tag = "postmortems",
    params(("id" = String, Path, description = "The postmortem's id, or its incident's number")),
    description = "The structured postmortem with its requirement, open blameless flags, action items, comments and history.",
    responses((status = 200, body = PostmortemView), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<PostmortemView>> {
    Ok(Json(postmortems::get(&state, &caller, &id).await?))
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/postmortem", tag = "postmortems", params(("id" = String, Path)),
    description = "Starts the postmortem of a resolved incident (a required one is drafted at the resolve already), or returns it.",
    responses((status = 201, body = Object), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn start(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    Ok((StatusCode::CREATED, stored(postmortems::start(&state, &caller, &id).await?)))
}

async fn run(
    state: &AppState,
    caller: &Caller,
    id: &str,
    change: PostmortemChange,
) -> ApiResult<Json<Value>> {
    Ok(stored(postmortems::change(state, caller, id, change).await?))
}

#[utoipa::path(put, path = "/api/v1/postmortems/{id}/document", tag = "postmortems", params(("id" = String, Path)),
    request_body = PostmortemDocument, description = "Replaces the draft's text (authors; not once published). An edit in review clears the approvals.",
    responses((status = 200, body = Object), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn edit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(document): ApiJson<PostmortemDocument>,
) -> ApiResult<Json<Value>> {
    run(&state, &caller, &id, PostmortemChange::Edit { document: Box::new(document) }).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reviewers {
    pub user_ids: Vec<String>,
}

#[utoipa::path(put, path = "/api/v1/postmortems/{id}/reviewers", tag = "postmortems", params(("id" = String, Path)),
    request_body = Reviewers, responses((status = 200, body = Object)), security(("bearer" = [])))]
pub async fn set_reviewers(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Reviewers>,
) -> ApiResult<Json<Value>> {
    let reviewers = postmortems::reviewers(&state, &body.user_ids).await?;
    run(&state, &caller, &id, PostmortemChange::SetReviewers { reviewers }).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/postmortems/{id}/flags/{flag_id}/dismiss", tag = "postmortems",
    params(("id" = String, Path), ("flag_id" = String, Path)), request_body = Reason,
    description = "Dismisses a blameless flag with the reason the sentence is not blaming.",
    responses((status = 200, body = Object), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn dismiss(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, flag_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<Reason>,
) -> ApiResult<Json<Value>> {
    run(&state, &caller, &id, PostmortemChange::Dismiss { flag_id, reason: body.reason }).await
}

#[utoipa::path(post, path = "/api/v1/postmortems/{id}/submit", tag = "postmortems", params(("id" = String, Path)),
    description = "Submits the draft for review: it needs a reviewer and no open blameless flag (409 `blameless` names the first).",
    responses((status = 200, body = Object), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    run(&state, &caller, &id, PostmortemChange::Submit).await
}

#[utoipa::path(post, path = "/api/v1/postmortems/{id}/approve", tag = "postmortems", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 403, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    run(&state, &caller, &id, PostmortemChange::Approve).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestChanges {
    pub comment: String,
}

#[utoipa::path(post, path = "/api/v1/postmortems/{id}/request-changes", tag = "postmortems", params(("id" = String, Path)),
    request_body = RequestChanges, responses((status = 200, body = Object)), security(("bearer" = [])))]
pub async fn request_changes(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RequestChanges>,
) -> ApiResult<Json<Value>> {
    run(&state, &caller, &id, PostmortemChange::RequestChanges { comment: body.comment }).await
}

#[utoipa::path(post, path = "/api/v1/postmortems/{id}/publish", tag = "postmortems", params(("id" = String, Path)),
    description = "Publishes once every named reviewer approved; an admin may publish without, which is recorded.",
    responses((status = 200, body = Object), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    run(&state, &caller, &id, PostmortemChange::Publish).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    pub document: PostmortemDocument,
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/postmortems/{id}/corrections", tag = "postmortems", params(("id" = String, Path)),
    request_body = Correction, description = "A correction to a published postmortem: a new version, the old one kept whole.",
    responses((status = 200, body = Object), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn correct(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Correction>,
) -> ApiResult<Json<Value>> {
    run(
        &state,
        &caller,
        &id,
        PostmortemChange::Correct { document: Box::new(body.document), reason: body.reason },
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    /// A section's name: `executive_summary`, `problem_summary`, `impact`, `timeline`,
    /// `root_cause`, `trigger`, `resolution`, `went_well`, `went_wrong`, `got_lucky`.
    pub section: String,
    pub body: String,
}

#[utoipa::path(post, path = "/api/v1/postmortems/{id}/comments", tag = "postmortems", params(("id" = String, Path)),
    request_body = NewComment, responses((status = 201, body = Object), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn comment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewComment>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let comment = postmortems::comment(&state, &caller, &id, &body.section, &body.body).await?;
    Ok((StatusCode::CREATED, Json(serde_json::to_value(comment).unwrap_or(Value::Null))))
}

#[utoipa::path(post, path = "/api/v1/postmortems/{id}/action-items", tag = "postmortems", params(("id" = String, Path)),
    request_body = AddActionItem, responses((status = 201, body = ActionItem), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn add_action_item(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AddActionItem>,
) -> ApiResult<(StatusCode, Json<ActionItem>)> {
    Ok((StatusCode::CREATED, Json(postmortems::add_action_item(&state, &caller, &id, body).await?)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ActionQuery {
    /// Only open and in-progress items (the default); `false` for all.
    pub open: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/action-items", tag = "postmortems", params(ActionQuery),
    description = "Action items across all postmortems, soonest due first.",
    responses((status = 200, body = Vec<ActionItem>)), security(("bearer" = [])))]
pub async fn action_items(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ActionQuery>,
) -> ApiResult<Json<Vec<ActionItem>>> {
    Ok(Json(postmortems::action_items(&state, &caller, q.open.unwrap_or(true)).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionStatusChange {
    /// `open`, `in_progress`, `done` or `wont_do`.
    pub status: String,
    /// Required for `wont_do`.
    pub reason: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/action-items/{id}/status", tag = "postmortems", params(("id" = String, Path)),
    request_body = ActionStatusChange, responses((status = 200, body = ActionItem), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn set_action_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ActionStatusChange>,
) -> ApiResult<Json<ActionItem>> {
    Ok(Json(
        postmortems::set_action_status(&state, &caller, &id, &body.status, body.reason.as_deref()).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `markdown` or `html`.
    pub format: String,
}

#[utoipa::path(get, path = "/api/v1/postmortems/{id}/export", tag = "postmortems", params(("id" = String, Path), ExportQuery),
    description = "The postmortem as CommonMark (`text/markdown`) or a printable HTML page.",
    responses((status = 200, description = "the document", content_type = "text/markdown")), security(("bearer" = [])))]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    Ok(match q.format.parse::<ExportFormat>()? {
        ExportFormat::Markdown => (
            [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
            postmortems::markdown(&state, &caller, &id).await?,
        )
            .into_response(),
        ExportFormat::Html => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            postmortems::html(&state, &caller, &id).await?,
        )
            .into_response(),
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    /// The older version; by default the one before `to`.
    pub from: Option<u32>,
    /// The newer version; by default the latest.
    pub to: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/postmortems/{id}/diff", tag = "postmortems", params(("id" = String, Path), DiffQuery),
    description = "How a published postmortem's text changed between two versions, section by section; by default the latest correction.",
    responses((status = 200, body = DocumentDiff), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn diff(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> ApiResult<Json<DocumentDiff>> {
    Ok(Json(postmortems::diff(&state, &caller, &id, q.from, q.to).await?))
}
