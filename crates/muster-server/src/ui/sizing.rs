//! The rotation sizing page: pick a team and a window; for each of its schedules, the load its
//! shifts measured and every design of the seed's sized for it, the recommended one marked, with
//! the people needed beyond those who took the shifts, and the CSV of the same table.

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
    sizing::{self, SizingReport},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/reports/sizing", get(page))
}

#[derive(askama::Template)]
#[template(path = "report_sizing.html")]
struct SizingPage {
    layout: Layout,
    /// What the window is when no days are given.
    default_days: i64,
    teams: Vec<Team>,
    filters: TeamFilters,
    report: Option<SizingReport>,
    csv_url: String,
    errors: Vec<FieldError>,
}

impl SizingPage {
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
    Query(filters): Query<TeamFilters>,
) -> UiResult {
    let found = match filters.chosen(&state, &caller.time_zone(), crate::reports::DEFAULT_DAYS) {
        Ok(Some((team, window))) => sizing::sizing(&state, &caller, &team, window).await.map(Some),
        Ok(None) => Ok(None),
        Err(error) => Err(error),
    };
    let (report, errors) = report_or_errors(found)?;
    let csv_url = report
        .as_ref()
        .map(|r| csv_url("/api/v1/reports/sizing", &r.team_id, (r.from, r.until)))
        .unwrap_or_default();
    let view = SizingPage {
        layout: Layout::new(&caller, "reports", None, state.now()),
        default_days: crate::reports::DEFAULT_DAYS,
        teams: all_teams(&state).await?,
        filters,
        report,
        csv_url,
        errors: errors.clone(),
    };
    render(form_status(&errors), &view)
}
