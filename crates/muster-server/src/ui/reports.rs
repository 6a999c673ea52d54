//! The load report page: pick a schedule and a window; every shift with its pages, interruptions,
//! off-hours and night pages, tickets and incidents, those over budget flagged, each person's
//! totals, a chart of incidents per shift against the budget (SVG drawn here, no script), and
//! the CSV of the same table.

use axum::{
    Router,
    extract::{Query, State},
    routing::get,
};
use jiff::Timestamp;
use muster_core::{FieldError, page::Page, schedule::Schedule};
use serde::Deserialize;

use super::{Layout, SignedIn, UiResult, form_errors, form_status, non_empty, query_string, render};
use crate::{
    error::ApiError,
    reports::{self, LoadReport},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/reports/load", get(load)).route("/reports/toil", get(toil))
}

#[derive(Debug, Default, Deserialize)]
struct LoadFilters {
    #[serde(default)]
    schedule: String,
    /// `YYYY-MM-DD` in the reader's zone, inclusive.
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
}

#[derive(askama::Template)]
#[template(path = "report_load.html")]
struct LoadPage {
    layout: Layout,
    /// What the window is when no days are given.
    default_days: i64,
    schedules: Vec<Schedule>,
    filters: LoadFilters,
    report: Option<LoadReport>,
    chart: String,
    hours: String,
    csv_url: String,
    errors: Vec<FieldError>,
}

impl LoadPage {
    fn is_schedule(&self, schedule: &Schedule) -> bool {
        schedule.id.as_str() == self.filters.schedule
    }

    fn hours(&self, minutes: &i64) -> String {
        format!("{:.1}", *minutes as f64 / 60.0)
    }
}

/// A day in the reader's zone as the start of that day (or of the next, for `until`).
fn day_start(
    field: &str,
    text: &str,
    zone: &jiff::tz::TimeZone,
    next: bool,
) -> Result<Option<Timestamp>, ApiError> {
    let Some(text) = non_empty(text) else { return Ok(None) };
    let mut date: jiff::civil::Date =
        text.parse().map_err(|_| ApiError::field(field, "must be a date such as 2026-11-23"))?;
    if next {
        date = date.tomorrow().map_err(|_| ApiError::field(field, "is out of range"))?;
    }
    let at = date.to_zoned_datetime(zone.clone()).map_err(|_| ApiError::field(field, "is out of range"))?;
    Ok(Some(at.timestamp()))
}

/// The window of a report page: `from` and `until` as days in `zone`, both inclusive; the last
/// `days` days when empty.
pub(super) fn day_window(
    state: &AppState,
    zone: &jiff::tz::TimeZone,
    (from, until): (&str, &str),
    days: i64,
) -> Result<(Timestamp, Timestamp), ApiError> {
    let from = day_start("from", from, zone, false)?;
    let until = day_start("until", until, zone, true)?;
    let (from, until) = (from.map(|t| t.to_string()), until.map(|t| t.to_string()));
    reports::window_or_last(state, from.as_deref(), until.as_deref(), days)
}

/// Incidents per shift as bars, red when over budget, with each shift's budget as a tick.
fn chart(report: &LoadReport) -> String {
    let shifts = &report.shifts;
    if shifts.is_empty() {
        return String::new();
    }
    let most = shifts
        .iter()
        .map(|s| (s.load.incidents.len() as f64).max(s.load.incident_budget))
        .fold(1.0_f64, f64::max)
        .ceil();
    let (width, height, pad) = (720.0, 200.0, 24.0);
    let step = (width - pad) / shifts.len() as f64;
    let bar = (step * 0.7).max(1.0);
    let y = |value: f64| height - pad - value / most * (height - 2.0 * pad);
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"Incidents per shift against the budget\" viewBox=\"0 0 {width} {height}\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\">\
         <line x1=\"{pad}\" y1=\"{base}\" x2=\"{width}\" y2=\"{base}\" stroke=\"#888\"/>\
         <text x=\"0\" y=\"{top}\" font-size=\"11\">{most}</text><text x=\"0\" y=\"{base}\" font-size=\"11\">0</text>",
        base = y(0.0),
        top = y(most) + 4.0,
    );
    for (index, shift) in shifts.iter().enumerate() {
        let x = pad + index as f64 * step;
        let count = shift.load.incidents.len() as f64;
        let colour = if shift.load.over_budget { "#c0392b" } else { "#2e7d32" };
        let name = shift.name.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        svg.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{top:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\" fill=\"{colour}\"><title>{name}, {start}: {count} incident(s), budget {budget}</title></rect>\
             <line x1=\"{x:.1}\" x2=\"{x2:.1}\" y1=\"{by:.1}\" y2=\"{by:.1}\" stroke=\"#1565c0\" stroke-width=\"2\"/>",
            top = y(count),
            h = y(0.0) - y(count),
            start = shift.load.start,
            budget = shift.load.incident_budget,
            x2 = x + bar,
            by = y(shift.load.incident_budget),
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// The shifts' pages by hour of the day, as 24 bars.
fn hours_chart(report: &LoadReport) -> String {
    let most = f64::from(report.pages_by_hour.iter().copied().max().unwrap_or(0).max(1));
    let (width, height, pad) = (720.0, 140.0, 20.0);
    let step = (width - pad) / 24.0;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"Pages by hour of the day\" viewBox=\"0 0 {width} {height}\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    for (hour, count) in report.pages_by_hour.iter().enumerate() {
        let x = pad + hour as f64 * step;
        let h = f64::from(*count) / most * (height - 2.0 * pad);
        let colour = if !(7..22).contains(&hour) { "#6a1b9a" } else { "#546e7a" };
        svg.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" fill=\"{colour}\"><title>{hour:02}:00: {count} page(s)</title></rect>",
            y = height - pad - h,
            w = step * 0.8,
        ));
        if hour % 3 == 0 {
            svg.push_str(&format!("<text x=\"{x:.1}\" y=\"{height}\" font-size=\"10\">{hour:02}</text>"));
        }
    }
    svg.push_str("</svg>");
    svg
}

async fn load(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Query(filters): Query<LoadFilters>,
) -> UiResult {
    let schedules = state
        .store
        .list_schedules(Page { limit: Page::MAX_LIMIT, offset: 0 })
        .await
        .map_err(ApiError::from)?;
    let zone = caller.time_zone();
    let mut errors = Vec::new();
    let mut report = None;
    if let Some(schedule) = non_empty(&filters.schedule) {
        match day_window(&state, &zone, (&filters.from, &filters.until), reports::DEFAULT_DAYS) {
            Ok(window) => match reports::load(&state, &caller, &schedule, window).await {
                Ok(found) => report = Some(found),
                Err(error) => errors = form_errors(error)?,
            },
            Err(error) => errors = form_errors(error)?,
        }
    }
    let csv_url = report
        .as_ref()
        .map(|r| {
            format!(
                "/api/v1/reports/load?{}",
                query_string(&[
                    ("schedule", r.schedule_id.as_str()),
                    ("from", &r.from.to_string()),
                    ("until", &r.until.to_string()),
                    ("format", "csv")
                ])
            )
        })
        .unwrap_or_default();
    let view = LoadPage {
        layout: Layout::new(&caller, "reports", None, state.now()),
        default_days: reports::DEFAULT_DAYS,
        schedules,
        chart: report.as_ref().map(chart).unwrap_or_default(),
        hours: report.as_ref().map(hours_chart).unwrap_or_default(),
        csv_url,
        report,
        filters,
        errors: errors.clone(),
    };
    render(form_status(&errors), &view)
}

#[derive(Debug, Default, Deserialize)]
struct ToilFilters {
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
}

#[derive(askama::Template)]
#[template(path = "report_toil.html")]
struct ToilPage {
    layout: Layout,
    /// What the window is when no days are given.
    default_days: i64,
    filters: ToilFilters,
    toil: Option<muster_core::load::Toil>,
    trend: String,
    csv_url: String,
    errors: Vec<FieldError>,
}

impl ToilPage {
    fn minutes(&self, value: &Option<f64>) -> String {
        value.map_or_else(|| "—".to_owned(), |m| format!("{m:.1}"))
    }
}

/// MTTA and MTTR week by week, as two lines.
fn trend_chart(weeks: &[muster_core::load::WeekFigures]) -> String {
    if weeks.len() < 2 {
        return String::new();
    }
    let most =
        weeks.iter().flat_map(|w| [w.mtta_minutes, w.mttr_minutes]).flatten().fold(1.0_f64, f64::max).ceil();
    let (width, height, pad) = (720.0, 160.0, 24.0);
    let step = (width - 2.0 * pad) / (weeks.len() - 1) as f64;
    let point = |index: usize, value: f64| {
        format!("{:.1},{:.1}", pad + index as f64 * step, height - pad - value / most * (height - 2.0 * pad))
    };
    let line = |pick: fn(&muster_core::load::WeekFigures) -> Option<f64>| {
        weeks
            .iter()
            .enumerate()
            .filter_map(|(i, w)| pick(w).map(|v| point(i, v)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"Mean time to acknowledge and to resolve, week by week\" viewBox=\"0 0 {width} {height}\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\">\
         <text x=\"0\" y=\"{top}\" font-size=\"11\">{most} min</text>\
         <polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2\" points=\"{mtta}\"><title>MTTA</title></polyline>\
         <polyline fill=\"none\" stroke=\"#c0392b\" stroke-width=\"2\" points=\"{mttr}\"><title>MTTR</title></polyline>",
        top = pad,
        mtta = line(|w| w.mtta_minutes),
        mttr = line(|w| w.mttr_minutes),
    );
    for (index, week) in weeks.iter().enumerate() {
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{height}\" font-size=\"10\">{}</text>",
            pad + index as f64 * step - 14.0,
            week.week.get(5..).unwrap_or(&week.week)
        ));
    }
    svg.push_str("</svg>");
    svg
}

async fn toil(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Query(filters): Query<ToilFilters>,
) -> UiResult {
    let zone = caller.time_zone();
    let (toil, csv_url, errors) =
        match day_window(&state, &zone, (&filters.from, &filters.until), reports::DEFAULT_DAYS) {
            Ok(window) => {
                let csv = format!(
                    "/api/v1/reports/toil?{}",
                    query_string(&[
                        ("from", &window.0.to_string()),
                        ("until", &window.1.to_string()),
                        ("format", "csv")
                    ])
                );
                (Some(reports::toil_report(&state, &caller, window).await?), csv, vec![])
            }
            Err(error) => (None, String::new(), form_errors(error)?),
        };
    let trend = toil.as_ref().map(|t| trend_chart(&t.weekly)).unwrap_or_default();
    let view = ToilPage {
        layout: Layout::new(&caller, "reports", None, state.now()),
        default_days: reports::DEFAULT_DAYS,
        filters,
        toil,
        trend,
        csv_url,
        errors: errors.clone(),
    };
    render(form_status(&errors), &view)
}
