//! The seed's advice on operational load, each with the figures behind it: shifts with no pages
//! or tickets leave time for documentation and tidy-up work (easily dropped when load returns); a
//! service with consistently few incidents may not need SRE and can move to its product team; a
//! rotation consistently over its budget should go into ops mode (stick to SRE principles, reduce
//! SLOs, freeze changes), and needs the people that [`super::sizing`] works out.

use serde::Serialize;

use super::{Demand, ShiftLoad, SizingModel, recommended, size};

/// A rotation is consistently over budget when at least this share of its shifts is, over at
/// least [`MIN_SHIFTS`] shifts.
pub const OVER_BUDGET_SHARE: f64 = 0.5;
pub const MIN_SHIFTS: usize = 4;
/// A service has consistently few incidents with at most this many per 28 days, over a window
/// of at least 28 days.
pub const FEW_INCIDENTS_PER_28_DAYS: f64 = 1.0;

/// What a service saw in the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceActivity {
    pub name: String,
    pub incidents: u32,
    pub pages: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Advice {
    /// `documentation`, `product_team` or `ops_mode`.
    pub kind: &'static str,
    pub advice: String,
    /// The figures it rests on, in words.
    pub because: String,
}

/// The advice for a rotation's `shifts` over `window_days`, and the `services` it serves.
pub fn advice(
    shifts: &[ShiftLoad],
    services: &[ServiceActivity],
    window_days: f64,
    model: &SizingModel,
) -> Vec<Advice> {
    let mut found = Vec::new();
    let quiet = shifts.iter().filter(|s| s.pages == 0 && s.tickets == 0 && s.incidents.is_empty()).count();
    if quiet > 0 {
        found.push(Advice {
            kind: "documentation",
            advice: "Use the quiet shifts for documentation and tidy-up work, the kind that is easily dropped when pages return.".into(),
            because: format!("{quiet} of {} shifts had no pages, tickets or incidents.", shifts.len()),
        });
    }
    let over = shifts.iter().filter(|s| s.over_budget).count();
    if shifts.len() >= MIN_SHIFTS && over as f64 >= OVER_BUDGET_SHARE * shifts.len() as f64 {
        let incidents: usize = shifts.iter().map(|s| s.incidents.len()).sum();
        let budget: f64 = shifts.iter().map(|s| s.incident_budget).sum();
        found.push(Advice {
            kind: "ops_mode",
            advice: format!(
                "Put the services into ops mode: stick to SRE principles, reduce their SLOs and freeze changes until the load is back within budget. {}",
                staffing(shifts, window_days, model)
            ),
            because: format!(
                "{over} of {} shifts were over budget: {incidents} incidents against a budget of {budget:.1}.",
                shifts.len()
            ),
        });
    }
    if window_days >= 28.0 {
        for service in services {
            let per_28_days = f64::from(service.incidents) * 28.0 / window_days;
            if per_28_days <= FEW_INCIDENTS_PER_28_DAYS {
                found.push(Advice {
                    kind: "product_team",
                    advice: format!(
                        "{} may not need SRE: consider moving it to its product team's management.",
                        service.name
                    ),
                    because: format!(
                        "{} incident(s) and {} page(s) in {:.0} days.",
                        service.incidents, service.pages, window_days
                    ),
                });
            }
        }
    }
    found
}

/// How many people the rotation needs for its load, against how many took its shifts.
fn staffing(shifts: &[ShiftLoad], window_days: f64, model: &SizingModel) -> String {
    let mut people: Vec<_> = shifts.iter().map(|s| &s.person).collect();
    people.sort();
    people.dedup();
    let today = people.len() as u32;
    let designs = size(&Demand::of_shifts(shifts, window_days), model);
    match recommended(&designs) {
        Some(design) if design.people > today => format!(
            "The load needs {} ({} people): {} more than the {today} on the rotation now.",
            design.name,
            design.people,
            design.people - today
        ),
        Some(design) => format!(
            "The load fits {} with the {today} people on the rotation: share the work out.",
            design.name
        ),
        None => "No design of the seed's absorbs this load: it has to come down.".to_owned(),
    }
}
