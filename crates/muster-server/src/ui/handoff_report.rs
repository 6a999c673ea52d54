//! The weekly on-call hand-off report page: pick a team (and a window, the last week by
//! default); each rotation's shifts and who is on call next, the week's incidents, what is still
//! open, and the noisiest alerts, each table with its CSV.

use axum::{
    Router,
    extract::{Query, State},
    routing::get,
};
use muster_core::{FieldError, team::Team};

use super::{
    Layout, SignedIn, UiResult, all_teams, form_status, render,
    team_reports::{TeamFilters, csv_url, report_or_errors},
};
use crate::{
    handoff_report::{self, HandoffReport},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/reports/handoff", get(page))
}

#[derive(askama::Template)]
#[template(path = "report_handoff.html")]
struct HandoffPage {
    layout: Layout,
    /// What the window is when no days are given.
    default_days: i64,
    teams: Vec<Team>,
    filters: TeamFilters,
    report: Option<HandoffReport>,
    csv_url: String,
    errors: Vec<FieldError>,
}

impl HandoffPage {}

async fn page(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Query(filters): Query<TeamFilters>,
) -> UiResult {
    let found = match filters.chosen(&state, &caller.time_zone(), handoff_report::DEFAULT_DAYS) {
        Ok(Some((team, window))) => handoff_report::handoff(&state, &caller, &team, window).await.map(Some),
        Ok(None) => Ok(None),
        Err(error) => Err(error),
    };
    let (report, errors) = report_or_errors(found)?;
    let csv_url = report
        .as_ref()
        .map(|r| csv_url("/api/v1/reports/handoff", &r.team_id, (r.from, r.until)))
        .unwrap_or_default();
    let view = HandoffPage {
        layout: Layout::new(&caller, "reports", None, state.now()),
        default_days: handoff_report::DEFAULT_DAYS,
        teams: all_teams(&state).await?,
        filters,
        report,
        csv_url,
        errors: errors.clone(),
    };
    render(form_status(&errors), &view)
}
