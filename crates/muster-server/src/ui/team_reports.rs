//! What the team report pages (rotation sizing, the weekly hand-off) share: the team and window
//! the reader picked, and the CSV address of the report shown.

use jiff::Timestamp;
use muster_core::{FieldError, ids::TeamId, team::Team};
use serde::Deserialize;

use super::{UiError, form_errors, non_empty, query_string, reports::day_window};
use crate::{error::ApiError, state::AppState};

/// A report window: from, until.
type Window = (Timestamp, Timestamp);

/// The team and the window's days, in the reader's zone, as picked on the page.
#[derive(Debug, Default, Deserialize)]
pub(super) struct TeamFilters {
    #[serde(default)]
    pub team: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub until: String,
}

impl TeamFilters {
    pub fn is_team(&self, team: &Team) -> bool {
        team.id.as_str() == self.team
    }

    /// The team picked and its window (the last `days` days by default); none until a team is.
    pub fn chosen(
        &self,
        state: &AppState,
        zone: &jiff::tz::TimeZone,
        days: i64,
    ) -> Result<Option<(String, Window)>, ApiError> {
        let Some(team) = non_empty(&self.team) else { return Ok(None) };
        Ok(Some((team, day_window(state, zone, (&self.from, &self.until), days)?)))
    }
}

/// The CSV address of the team report at `path` over the window shown.
pub(super) fn csv_url(path: &str, team: &TeamId, (from, until): Window) -> String {
    let (from, until) = (from.to_string(), until.to_string());
    let query =
        query_string(&[("team", team.as_str()), ("from", &from), ("until", &until), ("format", "csv")]);
    format!("{path}?{query}")
}

/// The report a page shows, or, when the request was refused, the problems to show on its form.
pub(super) fn report_or_errors<R>(
    found: Result<Option<R>, ApiError>,
) -> Result<(Option<R>, Vec<FieldError>), UiError> {
    match found {
        Ok(report) => Ok((report, Vec::new())),
        Err(error) => Ok((None, form_errors(error)?)),
    }
}
