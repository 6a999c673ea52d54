//! The weekly on-call hand-off report page: pick a team (and a window, the last week by
//! default); each rotation's shifts and who is on call next, the week's incidents, what is still
//! open, and the noisiest alerts, each table with its CSV.

use axum::{
    Router,
    extract::{Query, State},
    routing::get,
};
use muster_core::{FieldError, page::Page, team::Team};
use serde::Deserialize;

use super::{Layout, SignedIn, UiResult, form_errors, form_status, non_empty, query_string, render};
use crate::{
    error::ApiError,
    handoff_report::{self, HandoffReport},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/reports/handoff", get(page))
}

#[derive(Debug, Default, Deserialize)]
struct Filters {
    #[serde(default)]
    team: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
}

#[derive(askama::Template)]
#[template(path = "report_handoff.html")]
struct HandoffPage {
    layout: Layout,
    /// What the window is when no days are given.
    default_days: i64,
    teams: Vec<Team>,
    filters: Filters,
    report: Option<HandoffReport>,
    csv_url: String,
    errors: Vec<FieldError>,
}

impl HandoffPage {
    fn is_team(&self, team: &Team) -> bool {
        team.id.as_str() == self.filters.team
    }
}

async fn page(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Query(filters): Query<Filters>,
) -> UiResult {
    let teams =
        state.store.list_teams(Page { limit: Page::MAX_LIMIT, offset: 0 }).await.map_err(ApiError::from)?;
    let mut errors = Vec::new();
    let mut report = None;
    if let Some(team) = non_empty(&filters.team) {
        let window = super::reports::day_window(
            &state,
            &caller.time_zone(),
            (&filters.from, &filters.until),
            handoff_report::DEFAULT_DAYS,
        );
        let found = match window {
            Ok(window) => handoff_report::handoff(&state, &caller, &team, window).await,
            Err(error) => Err(error),
        };
        match found {
            Ok(found) => report = Some(found),
            Err(error) => errors = form_errors(error)?,
        }
    }
    let csv_url = report
        .as_ref()
        .map(|r| {
            let (from, until) = (r.from.to_string(), r.until.to_string());
            let query = query_string(&[
                ("team", r.team_id.as_str()),
                ("from", &from),
                ("until", &until),
                ("format", "csv"),
            ]);
            format!("/api/v1/reports/handoff?{query}")
        })
        .unwrap_or_default();
    let view = HandoffPage {
        layout: Layout::new(&caller, "reports", None, state.now()),
        default_days: handoff_report::DEFAULT_DAYS,
        teams,
        filters,
        report,
        csv_url,
        errors: errors.clone(),
    };
    render(form_status(&errors), &view)
}
