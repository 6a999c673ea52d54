//! Status pages: the public one at `/status` (no sign-in: open and recently resolved incidents
//! with their public updates only, times in UTC), and the stakeholders' view at
//! `/status/internal` with internal updates too, in the reader's zone.

use axum::{Router, extract::State, routing::get};
use muster_core::incident::{Incident, StakeholderUpdate};

use super::{Layout, SignedIn, UiResult, render};
use crate::{
    incidents::{self, PublicIncident},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/status", get(public)).route("/status/internal", get(internal))
}

#[derive(askama::Template)]
#[template(path = "status.html")]
struct PublicPage {
    incidents: Vec<PublicIncident>,
}

impl PublicPage {
    fn utc(&self, at: &jiff::Timestamp) -> String {
        at.strftime("%Y-%m-%d %H:%M UTC").to_string()
    }
}

async fn public(State(state): State<AppState>) -> UiResult {
    let view = PublicPage { incidents: incidents::public_status(&state).await? };
    render(axum::http::StatusCode::OK, &view)
}

#[derive(askama::Template)]
#[template(path = "status_internal.html")]
struct InternalPage {
    layout: Layout,
    board: Vec<(Incident, Vec<StakeholderUpdate>)>,
}

async fn internal(State(state): State<AppState>, SignedIn(caller): SignedIn) -> UiResult {
    let board = incidents::internal_status(&state, &caller).await?;
    let view = InternalPage { layout: Layout::new(&caller, "status", None, state.now()), board };
    render(axum::http::StatusCode::OK, &view)
}
