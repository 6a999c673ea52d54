//! `/api/v1/users/me/contact-methods` and `/notification-rules`: how you are reached; an alert's
//! page with its delivery log; the dead letters.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{delete, get, post},
};
use muster_core::{
    ids::{AlertId, ContactMethodId, NotificationRuleId},
    notify::{ContactMethod, Notification, NotificationRule},
};

use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    json::ApiJson,
    paging::{
        self, CreateContactMethod, CreateNotificationRule, CreatedContactMethod, PageView,
        VerifyContactMethod,
    },
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users/me/contact-methods", get(contact_methods).post(add_contact_method))
        .route("/api/v1/users/me/contact-methods/{id}", delete(remove_contact_method))
        .route("/api/v1/users/me/contact-methods/{id}/verify", post(verify))
        .route("/api/v1/users/me/contact-methods/{id}/resend", post(resend))
        .route("/api/v1/users/me/contact-methods/{id}/test", post(send_test))
        .route("/api/v1/users/me/notification-rules", get(rules).post(add_rule))
        .route("/api/v1/users/me/notification-rules/{id}", delete(remove_rule))
        .route("/api/v1/users/me/notifications", get(my_notifications))
        .route("/api/v1/alerts/{id}/page", get(alert_page))
        .route("/api/v1/notifications/dead-letters", get(dead_letters))
}

#[utoipa::path(get, path = "/api/v1/users/me/contact-methods", tag = "notifications",
    responses((status = 200, body = Vec<ContactMethod>)), security(("bearer" = [])))]
pub async fn contact_methods(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<ContactMethod>>> {
    Ok(Json(state.store.contact_methods_of(&caller.user.id).await?))
}

#[utoipa::path(post, path = "/api/v1/users/me/contact-methods", tag = "notifications", request_body = CreateContactMethod,
    description = "Adds a contact method and sends a six-digit code through it; the method is used once the code is typed back (`…/verify`).",
    responses((status = 201, body = CreatedContactMethod), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_contact_method(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateContactMethod>,
) -> ApiResult<(StatusCode, Json<CreatedContactMethod>)> {
    Ok((StatusCode::CREATED, Json(paging::add_contact_method(&state, &caller, body).await?)))
}

#[utoipa::path(delete, path = "/api/v1/users/me/contact-methods/{id}", tag = "notifications", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn remove_contact_method(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    paging::remove_contact_method(&state, &caller, &ContactMethodId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/users/me/contact-methods/{id}/verify", tag = "notifications",
    params(("id" = String, Path)), request_body = VerifyContactMethod,
    responses((status = 200, body = ContactMethod), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn verify(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<VerifyContactMethod>,
) -> ApiResult<Json<ContactMethod>> {
    Ok(Json(paging::verify(&state, &caller, &ContactMethodId(id), &body.code).await?))
}

#[utoipa::path(post, path = "/api/v1/users/me/contact-methods/{id}/resend", tag = "notifications",
    params(("id" = String, Path)), description = "Sends a new verification code; the old one stops working.",
    responses((status = 200, body = ContactMethod), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn resend(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ContactMethod>> {
    Ok(Json(paging::resend_code(&state, &caller, &ContactMethodId(id)).await?))
}

#[utoipa::path(post, path = "/api/v1/users/me/contact-methods/{id}/test", tag = "notifications",
    params(("id" = String, Path)), description = "Sends a test message through a verified method now.",
    responses((status = 202, body = Notification), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn send_test(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<Notification>)> {
    Ok((StatusCode::ACCEPTED, Json(paging::send_test(&state, &caller, &ContactMethodId(id)).await?)))
}

#[utoipa::path(get, path = "/api/v1/users/me/notification-rules", tag = "notifications",
    responses((status = 200, body = Vec<NotificationRule>)), security(("bearer" = [])))]
pub async fn rules(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<NotificationRule>>> {
    Ok(Json(state.store.notification_rules_of(&caller.user.id).await?))
}

#[utoipa::path(post, path = "/api/v1/users/me/notification-rules", tag = "notifications", request_body = CreateNotificationRule,
    description = "Notify through one of your contact methods this many minutes after a page reaches you.",
    responses((status = 201, body = NotificationRule), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_rule(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateNotificationRule>,
) -> ApiResult<(StatusCode, Json<NotificationRule>)> {
    Ok((StatusCode::CREATED, Json(paging::add_rule(&state, &caller, body).await?)))
}

#[utoipa::path(delete, path = "/api/v1/users/me/notification-rules/{id}", tag = "notifications", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn remove_rule(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    paging::remove_rule(&state, &caller, &NotificationRuleId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/users/me/notifications", tag = "notifications",
    description = "Your last 100 notifications, newest first, with their delivery status.",
    responses((status = 200, body = Vec<Notification>)), security(("bearer" = [])))]
pub async fn my_notifications(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<Notification>>> {
    Ok(Json(state.store.notifications_of_user(&caller.user.id, 100).await?))
}

#[utoipa::path(get, path = "/api/v1/alerts/{id}/page", tag = "alerts", params(("id" = String, Path)),
    description = "The alert's page: the policy version it froze, its response target and outcome, and every notification it sent.",
    responses((status = 200, body = PageView), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn alert_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<PageView>> {
    paging::page_of_alert(&state, &caller, &AlertId(id)).await?.map(Json).ok_or(ApiError::NotFound("page"))
}

#[utoipa::path(get, path = "/api/v1/notifications/dead-letters", tag = "notifications",
    description = "Notifications that failed every attempt, newest first (at most 200).",
    responses((status = 200, body = Vec<Notification>), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn dead_letters(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<Notification>>> {
    Ok(Json(paging::dead_letters(&state, &caller).await?))
}
