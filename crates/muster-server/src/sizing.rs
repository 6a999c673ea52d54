//! The rotation sizing report of a team: for each of its schedules, what the shifts had to absorb
//! over the window (from the load report), every design of the seed's sized for it, the one that
//! needs the fewest people, and how that compares with the people who took the shifts. Shared by
//! the API, the web UI and the command line.

use jiff::Timestamp;
use muster_core::{
    authz::Permission,
    ids::{ScheduleId, TeamId},
    load::{Demand, Design, SizingModel, recommended, size},
};
use serde::Serialize;

use crate::{auth::Caller, csv::Csv, error::ApiResult, reports, state::AppState};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RotationSizing {
    pub schedule_id: ScheduleId,
    pub schedule_name: String,
    /// Who took the rotation's shifts in the window.
    pub people_now: Vec<String>,
    #[schema(value_type = Object)]
    pub demand: Demand,
    /// Share of the working time of the people now that the measured incidents and tickets took.
    pub measured_ops_share: f64,
    #[schema(value_type = Vec<Object>)]
    pub designs: Vec<Design>,
    /// The design with the fewest people that absorbs the load; none when no design does.
    pub recommended: Option<String>,
    /// How many people the recommended design needs beyond those now (0 when they suffice).
    pub more_people_needed: Option<u32>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SizingReport {
    pub team_id: TeamId,
    pub team_name: String,
    #[schema(value_type = String, format = DateTime)]
    pub from: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub until: Timestamp,
    #[schema(value_type = Object)]
    pub model: SizingModel,
    pub rotations: Vec<RotationSizing>,
}

pub async fn sizing(
    state: &AppState,
    caller: &Caller,
    team: &str,
    (from, until): (Timestamp, Timestamp),
) -> ApiResult<SizingReport> {
    caller.require(Permission::ReadAlerts, "read rotation sizing")?;
    let team = state.store.get_team(&TeamId(team.to_owned())).await?;
    let model = SizingModel::with_budget(reports::policy(state).incidents_per_12_hours);
    let days = until.min(state.now()).duration_since(from).as_secs_f64() / 86_400.0;
    let mut rotations = Vec::new();
    let schedules = state.store.all_schedules().await?;
    for schedule in schedules.iter().filter(|s| s.team_id.as_ref() == Some(&team.id)) {
        let load = reports::load(state, caller, schedule.id.as_str(), (from, until)).await?;
        let shifts: Vec<_> = load.shifts.iter().map(|s| s.load.clone()).collect();
        let demand = Demand::of_shifts(&shifts, days);
        let designs = size(&demand, &model);
        let people_now: Vec<String> = load.people.iter().map(|p| p.name.clone()).collect();
        let best = recommended(&designs);
        let weeks = days / 7.0;
        let working_time = people_now.len() as f64 * model.working_hours_per_week * weeks;
        let measured = demand.incident_hours + f64::from(demand.tickets) * model.ticket_hours;
        rotations.push(RotationSizing {
            schedule_id: schedule.id.clone(),
            schedule_name: schedule.name.clone(),
            measured_ops_share: if working_time > 0.0 {
                (measured / working_time * 100.0).round() / 100.0
            } else {
                0.0
            },
            recommended: best.map(|d| d.name.clone()),
            more_people_needed: best
                .map(|d| d.people.saturating_sub(u32::try_from(people_now.len()).unwrap_or(u32::MAX))),
            people_now,
            demand,
            designs,
        });
    }
    Ok(SizingReport { team_id: team.id, team_name: team.name, from, until, model, rotations })
}

/// One row per rotation and design.
pub fn sizing_csv(report: &SizingReport) -> String {
    let mut csv = Csv::new(&[
        "schedule",
        "people_now",
        "design",
        "absorbs",
        "people",
        "ops_share",
        "capacity_hours_per_day",
        "demand_hours_per_day",
        "recommended",
    ]);
    for rotation in &report.rotations {
        for design in &rotation.designs {
            csv.row([
                rotation.schedule_name.clone(),
                rotation.people_now.len().to_string(),
                design.name.clone(),
                design.absorbs.to_string(),
                design.people.to_string(),
                design.ops_share.to_string(),
                design.capacity_hours_per_day.to_string(),
                design.demand_hours_per_day.to_string(),
                (rotation.recommended.as_deref() == Some(design.name.as_str())).to_string(),
            ]);
        }
    }
    csv.finish()
}
