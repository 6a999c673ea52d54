//! The reading club page: this month's vote for the postmortem of the month (and an admin's
//! choice), the reading list, and review sessions with what was discussed and who came.

use axum::{
    Router,
    extract::{Path, Query, State},
    routing::{get, post},
};
use muster_core::{FieldError, authz::Permission, user::User};
use muster_store::{MonthVote, ReadingListEntry, ReviewSession, StoredPostmortem};
use serde::Deserialize;

use super::{
    CsrfForm, Layout, NoFields, SignedIn, UiResult, form_errors, form_status, render, responders, see_other,
};
use crate::{
    auth::Caller,
    error::ApiError,
    postmortems,
    reading_club::{self, RecordSession},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/postmortems/club", get(page))
        .route("/postmortems/club/choice", post(choose))
        .route("/postmortems/club/reading-list", post(add_to_reading_list))
        .route("/postmortems/club/reading-list/{postmortem_id}/remove", post(remove_from_reading_list))
        .route("/postmortems/club/sessions", post(record_session))
        .route("/postmortems/{id}/vote", post(vote))
}

#[derive(askama::Template)]
#[template(path = "reading_club.html")]
struct ClubPage {
    layout: Layout,
    vote: MonthVote,
    reading_list: Vec<ReadingListEntry>,
    sessions: Vec<ReviewSession>,
    published: Vec<StoredPostmortem>,
    people: Vec<User>,
    errors: Vec<FieldError>,
}

impl ClubPage {
    fn may_respond(&self) -> bool {
        self.layout.viewer.role.allows(Permission::RespondToIncidents)
    }

    fn is_my_vote(&self, postmortem: &StoredPostmortem) -> bool {
        self.vote.my_vote.as_ref() == Some(&postmortem.postmortem.id)
    }

    fn votes_for(&self, postmortem: &StoredPostmortem) -> u32 {
        let id = &postmortem.postmortem.id;
        self.vote.standings.iter().find(|s| &s.postmortem.postmortem_id == id).map_or(0, |s| s.votes)
    }
}

#[derive(Debug, Default, Deserialize)]
struct ClubQuery {
    month: Option<String>,
    done: Option<String>,
}

async fn club_page(
    state: &AppState,
    caller: &Caller,
    query: &ClubQuery,
    errors: Vec<FieldError>,
) -> UiResult {
    let view = ClubPage {
        layout: Layout::new(caller, "postmortems", query.done.as_deref(), state.now()),
        vote: reading_club::month_vote(state, caller, query.month.as_deref()).await?,
        reading_list: reading_club::reading_list(state, caller).await?,
        sessions: reading_club::sessions(state, caller).await?,
        published: postmortems::list(state, caller, Some("published")).await?,
        people: responders(state).await?,
        errors: errors.clone(),
    };
    render(form_status(&errors), &view)
}

async fn page(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Query(q): Query<ClubQuery>,
) -> UiResult {
    club_page(&state, &caller, &q, vec![]).await
}

/// Back to the club page with a notice, or the page with the problem beside its form.
async fn act(
    state: &AppState,
    caller: &Caller,
    done: &str,
    result: Result<impl Sized, ApiError>,
) -> UiResult {
    match result {
        Ok(_) => Ok(see_other("/postmortems/club", done)),
        Err(error) => club_page(state, caller, &ClubQuery::default(), form_errors(error)?).await,
    }
}

async fn vote(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    let result = reading_club::vote(&state, &caller, &id, None).await;
    act(&state, &caller, "vote-cast", result).await
}

#[derive(Debug, Deserialize)]
struct PostmortemForm {
    #[serde(default)]
    postmortem_id: String,
    #[serde(default)]
    note: String,
}

async fn choose(
    State(state): State<AppState>,
    CsrfForm { caller, form }: CsrfForm<PostmortemForm>,
) -> UiResult {
    let result = reading_club::choose(&state, &caller, None, &form.postmortem_id).await;
    act(&state, &caller, "month-chosen", result).await
}

async fn add_to_reading_list(
    State(state): State<AppState>,
    CsrfForm { caller, form }: CsrfForm<PostmortemForm>,
) -> UiResult {
    let result = reading_club::add_to_reading_list(&state, &caller, &form.postmortem_id, &form.note).await;
    act(&state, &caller, "reading-listed", result).await
}

async fn remove_from_reading_list(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    let result = reading_club::remove_from_reading_list(&state, &caller, &id).await;
    act(&state, &caller, "reading-unlisted", result).await
}

/// The session form: its pickers of postmortems and attendees arrive as repeated fields.
async fn record_session(
    State(state): State<AppState>,
    CsrfForm { caller, form }: CsrfForm<Vec<(String, String)>>,
) -> UiResult {
    let one = |key: &str| form.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default();
    let all = |key: &str| form.iter().filter(|(k, _)| k == key).map(|(_, v)| v.clone()).collect();
    let session = RecordSession {
        held_on: one("held_on"),
        title: one("title"),
        notes: one("notes"),
        postmortem_ids: all("postmortem_id"),
        attendee_ids: all("attendee_id"),
    };
    let result = reading_club::record_session(&state, &caller, session).await;
    act(&state, &caller, "session-recorded", result).await
}
