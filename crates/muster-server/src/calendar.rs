//! iCalendar feeds of on-call shifts (RFC 5545), for calendar apps that subscribe by URL.
//!
//! A calendar app cannot sign in, so each person gets a secret feed address
//! (`/ical/{token}/me.ics` for their own shifts, `/ical/{token}/schedules/{id}.ics` for a whole
//! schedule) made and revoked through the API or the Settings page. The token is stored only as a
//! hash; an unknown or revoked token gets a plain 404 that says nothing more. Feeds cover the past
//! 30 days and the next 180.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use jiff::{SignedDuration, Timestamp};
use muster_core::{
    ical::{CalendarEvent, calendar},
    ids::ScheduleId,
    schedule::{Schedule, Shift, Source},
    user::User,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    schedules::{Names, shifts_of},
    secrets::{random_hex, token_hash},
    state::AppState,
};

const PAST: SignedDuration = SignedDuration::from_hours(24 * 30);
const AHEAD: SignedDuration = SignedDuration::from_hours(24 * 180);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users/me/calendar", post(create_feed).delete(revoke_feed))
        .route("/ical/{token}/me.ics", get(person_feed))
        .route("/ical/{token}/schedules/{file}", get(schedule_feed))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarAddresses {
    /// Your own shifts on every schedule. Shown once; anyone with it can read your shifts.
    pub person_feed: String,
    /// Append `{schedule_id}.ics` for a whole schedule's feed.
    pub schedule_feed_prefix: String,
}

/// Makes a new secret feed address for the caller, revoking the old one.
pub async fn new_addresses(state: &AppState, caller: &Caller) -> ApiResult<CalendarAddresses> {
    let token = format!("cal_{}", random_hex(24));
    state
        .store
        .replace_calendar_feed(&caller.user.id, &token_hash(&token), &caller.actor(), state.now())
        .await?;
    let base = format!("{}/ical/{token}", state.config.public_url());
    Ok(CalendarAddresses {
        person_feed: format!("{base}/me.ics"),
        schedule_feed_prefix: format!("{base}/schedules/"),
    })
}

#[utoipa::path(post, path = "/api/v1/users/me/calendar", tag = "on call",
    description = "Makes a new secret iCalendar address for your shifts, replacing (and revoking) any earlier one.",
    responses((status = 201, body = CalendarAddresses)), security(("bearer" = [])))]
pub async fn create_feed(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<(StatusCode, Json<CalendarAddresses>)> {
    Ok((StatusCode::CREATED, Json(new_addresses(&state, &caller).await?)))
}

#[utoipa::path(delete, path = "/api/v1/users/me/calendar", tag = "on call",
    description = "Revokes your calendar address: subscribed apps stop receiving updates.",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn revoke_feed(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    if state.store.revoke_calendar_feed(&caller.user.id, &caller.actor(), state.now()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("calendar address"))
    }
}

async fn feed_owner(state: &AppState, token: &str) -> Result<User, Response> {
    match state.store.calendar_feed_user(&token_hash(token)).await {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err((StatusCode::NOT_FOUND, "no such calendar").into_response()),
        Err(error) => Err(ApiError::from(error).into_response()),
    }
}

fn ics(text: String) -> Response {
    ([(header::CONTENT_TYPE, "text/calendar; charset=utf-8")], text).into_response()
}

/// Why a shift exists, in words for the event's description.
fn reason(schedule: &Schedule, source: &Source) -> String {
    match source {
        Source::Rotation { rule, rotation, .. } => {
            let name = schedule
                .layers
                .rotations
                .iter()
                .find(|r| &r.id == rotation)
                .map_or("a rotation", |r| r.name.as_str());
            format!("Rotation {name} (rule {})", rule + 1)
        }
        Source::Person { rule } => format!("Rule {}", rule + 1),
        Source::Override { .. } => "Override".to_owned(),
    }
}

fn event(schedule: &Schedule, shift: &Shift, summary: String) -> CalendarEvent {
    CalendarEvent {
        uid: format!("{}.{}.{}@muster", schedule.id, shift.person, shift.start.as_second()),
        start: shift.start,
        end: shift.end,
        summary,
        description: format!("{} · schedule {}", reason(schedule, &shift.source), schedule.name),
    }
}

fn window(now: Timestamp) -> (Timestamp, Timestamp) {
    (now - PAST, now + AHEAD)
}

async fn person_feed(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let user = match feed_owner(&state, &token).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let now = state.now();
    let (from, until) = window(now);
    let schedules = match state.store.all_schedules().await {
        Ok(schedules) => schedules,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let events: Vec<CalendarEvent> = shifts_of(&schedules, &user.id, from, until)
        .iter()
        .map(|(schedule, shift)| event(schedule, shift, format!("On call: {}", schedule.name)))
        .collect();
    ics(calendar(&format!("{} on call", user.name), &events, now))
}

async fn schedule_feed(
    State(state): State<AppState>,
    Path((token, file)): Path<(String, String)>,
) -> Response {
    if let Err(response) = feed_owner(&state, &token).await {
        return response;
    }
    let Some(id) = file.strip_suffix(".ics") else {
        return (StatusCode::NOT_FOUND, "no such calendar").into_response();
    };
    let schedule = match state.store.get_schedule(&ScheduleId(id.to_owned())).await {
        Ok(schedule) => schedule,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let now = state.now();
    let (from, until) = window(now);
    let shifts = schedule.layers.shifts(from, until);
    let names = match Names::of(&state, shifts.iter().map(|s| s.person.clone()).collect()).await {
        Ok(names) => names,
        Err(error) => return error.into_response(),
    };
    let events: Vec<CalendarEvent> = shifts
        .iter()
        .map(|shift| event(&schedule, shift, format!("{} on call", names.name(&shift.person))))
        .collect();
    ics(calendar(&schedule.name, &events, now))
}
