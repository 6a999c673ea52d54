//! `/api/v1/services`: monitored services and their integration keys.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{delete as delete_route, get},
};
use jiff::Timestamp;
use muster_core::{
    authz::Permission,
    ids::{IntegrationKeyId, ServiceId},
    service::{Ingestion, IntegrationKey, IntegrationKind, Service},
};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ListQuery, Listing};
use crate::{
    auth::Caller,
    directory::{self, CreateKey, CreateService, UpdateService},
    error::ApiResult,
    json::{ApiJson, ApiQuery},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/services", get(list).post(create))
        .route("/api/v1/services/{id}", get(get_one).patch(update).delete(delete))
        .route("/api/v1/services/{id}/keys", get(list_keys).post(create_key))
        .route("/api/v1/services/{id}/keys/{key_id}", delete_route(revoke_key))
}

/// An integration key with where to send alerts with it.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationKeyView {
    pub id: IntegrationKeyId,
    pub kind: IntegrationKind,
    pub name: String,
    /// The secret to configure in the monitor.
    pub key: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Timestamp>,
    pub ingestion: Ingestion,
}

impl IntegrationKeyView {
    pub fn new(key: IntegrationKey, public_url: &str) -> Self {
        let ingestion = key.kind.ingestion(public_url, &key.key);
        IntegrationKeyView {
            id: key.id,
            kind: key.kind,
            name: key.name,
            key: key.key,
            created_at: key.created_at,
            revoked_at: key.revoked_at,
            ingestion,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/services", tag = "services", params(ListQuery),
    responses((status = 200, body = Listing<Service>), (status = 401, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Listing<Service>>> {
    caller.require(Permission::ReadDirectory, "list services")?;
    let page = query.page()?;
    Ok(Json(Listing::new(state.store.list_services(page).await?, page)))
}

#[utoipa::path(post, path = "/api/v1/services", tag = "services", request_body = CreateService,
    responses((status = 201, body = Service), (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateService>,
) -> ApiResult<(StatusCode, Json<Service>)> {
    let service = directory::create_service(&state, &caller, body).await?;
    Ok((StatusCode::CREATED, Json(service)))
}

#[utoipa::path(get, path = "/api/v1/services/{id}", tag = "services", params(("id" = String, Path)),
    responses((status = 200, body = Service), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Service>> {
    caller.require(Permission::ReadDirectory, "read services")?;
    Ok(Json(state.store.get_service(&ServiceId(id)).await?))
}

#[utoipa::path(patch, path = "/api/v1/services/{id}", tag = "services", params(("id" = String, Path)), request_body = UpdateService,
    responses((status = 200, body = Service), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateService>,
) -> ApiResult<Json<Service>> {
    let service = directory::update_service(&state, &caller, &ServiceId(id), body).await?;
    Ok(Json(service))
}

#[utoipa::path(delete, path = "/api/v1/services/{id}", tag = "services", params(("id" = String, Path)),
    description = "Deletes the service and revokes its integration keys; its history stays.",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    directory::delete_service(&state, &caller, &ServiceId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/services/{id}/keys", tag = "services", params(("id" = String, Path)),
    responses((status = 200, body = Vec<IntegrationKeyView>), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_keys(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<IntegrationKeyView>>> {
    caller.require(Permission::ReadDirectory, "read integration keys")?;
    let public_url = state.config.public_url();
    let keys = state.store.list_integration_keys(&ServiceId(id)).await?;
    Ok(Json(keys.into_iter().map(|k| IntegrationKeyView::new(k, &public_url)).collect()))
}

#[utoipa::path(post, path = "/api/v1/services/{id}/keys", tag = "services", params(("id" = String, Path)), request_body = CreateKey,
    responses((status = 201, body = IntegrationKeyView), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreateKey>,
) -> ApiResult<(StatusCode, Json<IntegrationKeyView>)> {
    let key = directory::create_key(&state, &caller, &ServiceId(id), body).await?;
    Ok((StatusCode::CREATED, Json(IntegrationKeyView::new(key, &state.config.public_url()))))
}

#[utoipa::path(delete, path = "/api/v1/services/{id}/keys/{key_id}", tag = "services",
    params(("id" = String, Path), ("key_id" = String, Path)),
    description = "Revokes the key; monitors using it are refused from then on.",
    responses((status = 200, body = IntegrationKeyView), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_key(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, key_id)): Path<(String, String)>,
) -> ApiResult<Json<IntegrationKeyView>> {
    let key = directory::revoke_key(&state, &caller, &ServiceId(id), &IntegrationKeyId(key_id)).await?;
    Ok(Json(IntegrationKeyView::new(key, &state.config.public_url())))
}
