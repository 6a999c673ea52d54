//! The reading club, shared by the API and the web UI: the postmortem of the month (anyone
//! signed in votes; an admin may choose instead), the reading list, and review sessions. The
//! month is the caller's, in their own time zone, unless they name one.

use muster_core::{
    authz::Permission,
    ids::{PostmortemId, UserId},
    postmortem::Month,
    user::Role,
};
use muster_store::{MonthVote, NewReviewSession, ReadingListEntry, ReviewSession};
use serde::Deserialize;

use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    incidents::participant,
    postmortems::resolve_postmortem,
    state::AppState,
};

/// `month` as named (`2026-12`), or the caller's current month.
pub fn month(state: &AppState, caller: &Caller, month: Option<&str>) -> ApiResult<Month> {
    match month.map(str::trim).filter(|m| !m.is_empty()) {
        Some(text) => Ok(Month::parse("month", text)?),
        None => Ok(Month::of(state.now(), &caller.time_zone())),
    }
}

pub async fn month_vote(state: &AppState, caller: &Caller, named: Option<&str>) -> ApiResult<MonthVote> {
    caller.require(Permission::ReadIncidents, "read postmortems")?;
    let month = month(state, caller, named)?;
    Ok(state.store.month_vote(&month, &caller.user.id).await?)
}

pub async fn vote(
    state: &AppState,
    caller: &Caller,
    postmortem: &str,
    named: Option<&str>,
) -> ApiResult<MonthVote> {
    caller.require(Permission::ReadIncidents, "vote for postmortems")?;
    let month = month(state, caller, named)?;
    let id = resolve_postmortem(state, postmortem).await?;
    state.store.vote_for_postmortem(&month, &caller.user.id, &id, state.now()).await?;
    Ok(state.store.month_vote(&month, &caller.user.id).await?)
}

pub async fn choose(
    state: &AppState,
    caller: &Caller,
    named: Option<&str>,
    postmortem: &str,
) -> ApiResult<MonthVote> {
    if caller.user.role != Role::Admin {
        return Err(ApiError::Forbidden(
            "choose the postmortem of the month: admins do; everyone else votes",
        ));
    }
    let month = month(state, caller, named)?;
    let id = resolve_postmortem(state, postmortem).await?;
    state.store.choose_postmortem_of_the_month(&month, &id, &participant(caller).person, state.now()).await?;
    Ok(state.store.month_vote(&month, &caller.user.id).await?)
}

pub async fn reading_list(state: &AppState, caller: &Caller) -> ApiResult<Vec<ReadingListEntry>> {
    caller.require(Permission::ReadIncidents, "read postmortems")?;
    Ok(state.store.reading_list().await?)
}

pub async fn add_to_reading_list(
    state: &AppState,
    caller: &Caller,
    postmortem: &str,
    note: &str,
) -> ApiResult<ReadingListEntry> {
    caller.require(Permission::RespondToIncidents, "change the reading list")?;
    let id = resolve_postmortem(state, postmortem).await?;
    Ok(state.store.add_to_reading_list(&id, note, &participant(caller).person, state.now()).await?)
}

pub async fn remove_from_reading_list(state: &AppState, caller: &Caller, postmortem: &str) -> ApiResult<()> {
    caller.require(Permission::RespondToIncidents, "change the reading list")?;
    Ok(state.store.remove_from_reading_list(&PostmortemId(postmortem.to_owned())).await?)
}

/// A review session as sent.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordSession {
    /// `YYYY-MM-DD`.
    pub held_on: String,
    pub title: String,
    #[serde(default)]
    pub notes: String,
    pub postmortem_ids: Vec<String>,
    pub attendee_ids: Vec<String>,
}

pub async fn record_session(
    state: &AppState,
    caller: &Caller,
    body: RecordSession,
) -> ApiResult<ReviewSession> {
    caller.require(Permission::RespondToIncidents, "record review sessions")?;
    let held_on = body
        .held_on
        .trim()
        .parse::<jiff::civil::Date>()
        .map_err(|_| ApiError::field("held_on", "must be a date such as 2026-12-03"))?;
    let mut postmortems = Vec::with_capacity(body.postmortem_ids.len());
    for id in &body.postmortem_ids {
        postmortems.push(resolve_postmortem(state, id).await?);
    }
    let new = NewReviewSession {
        held_on,
        title: body.title,
        notes: body.notes,
        postmortems,
        attendees: body.attendee_ids.into_iter().map(|id| UserId(id.trim().to_owned())).collect(),
    };
    Ok(state.store.record_review_session(new, &participant(caller).person, state.now()).await?)
}

pub async fn sessions(state: &AppState, caller: &Caller) -> ApiResult<Vec<ReviewSession>> {
    caller.require(Permission::ReadIncidents, "read review sessions")?;
    Ok(state.store.review_sessions(50).await?)
}
