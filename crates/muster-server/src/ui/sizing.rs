//! The rotation sizing page: pick a team and a window; for each of its schedules, the load its
//! shifts measured and every design of the seed's sized for it, the recommended one marked, with
//! the people needed beyond those who took the shifts, and the CSV of the same table.

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
    sizing::{self, SizingReport},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/reports/sizing", get(page))
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
#[template(path = "report_sizing.html")]
struct SizingPage {
    layout: Layout,
    /// What the window is when no days are given.
    default_days: i64,
    teams: Vec<Team>,
    filters: Filters,
    report: Option<SizingReport>,
    csv_url: String,
    errors: Vec<FieldError>,
}

impl SizingPage {
    fn is_team(&self, team: &Team) -> bool {
        team.id.as_str() == self.filters.team
    }

    fn percent(&self, share: &f64) -> String {
        format!("{:.0} %", share * 100.0)
    }

    fn seats(&self, design: &muster_core::load::Design) -> String {
        design.seats.iter().map(|s| s.label()).collect::<Vec<_>>().join(" + ")
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
        let found = match super::reports::day_window(
            &state,
            &caller.time_zone(),
            (&filters.from, &filters.until),
            crate::reports::DEFAULT_DAYS,
        ) {
            Ok(window) => sizing::sizing(&state, &caller, &team, window).await,
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
            format!("/api/v1/reports/sizing?{query}")
        })
        .unwrap_or_default();
    let view = SizingPage {
        layout: Layout::new(&caller, "reports", None, state.now()),
        default_days: crate::reports::DEFAULT_DAYS,
        teams,
        filters,
        report,
        csv_url,
        errors: errors.clone(),
    };
    render(form_status(&errors), &view)
}
