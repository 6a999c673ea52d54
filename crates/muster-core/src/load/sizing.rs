//! Rotation sizing, on the seed's model: a primary on call with no project work (pages, tickets
//! and incidents only), a secondary 9–5 who takes what the primary cannot, tickets people 9–5
//! who take the tickets off the primary, and, when nights are busy too, the day split between a
//! Primary 1 (06:00–17:59) and a Primary 2 (18:00–05:59). An incident costs six hours and an
//! on-call shift absorbs two of them.
//!
//! For each design, from the load a rotation measured, [`size`] works out whether it absorbs
//! that load, how many people it needs and what share of their working time goes to operations.
//! People are needed for two reasons, and the design takes the larger: nobody is on call more
//! than a quarter of the time, and nobody spends more than half their working time on operations
//! (the SRE book's limits: the other half is engineering).

use serde::Serialize;

use super::ShiftLoad;

/// What a rotation had to absorb over a window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Demand {
    pub days: f64,
    pub incidents: u32,
    /// What the incidents cost, each at least the model's incident time.
    pub incident_hours: f64,
    pub tickets: u32,
}

impl Demand {
    /// The demand a rotation's shifts measured over `days`.
    pub fn of_shifts(shifts: &[ShiftLoad], days: f64) -> Demand {
        Demand {
            days,
            incidents: shifts.iter().map(|s| u32::try_from(s.incidents.len()).unwrap_or(u32::MAX)).sum(),
            incident_hours: shifts.iter().map(|s| s.incident_minutes as f64 / 60.0).sum(),
            tickets: shifts.iter().map(|s| s.tickets).sum(),
        }
    }

    fn per_day(&self, amount: f64) -> f64 {
        if self.days > 0.0 { amount / self.days } else { 0.0 }
    }
}

/// The model's figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SizingModel {
    pub incident_hours: f64,
    pub incidents_per_shift: f64,
    /// What a ticket costs: the seed gives no figure, so this is an assumption, shown with it.
    pub ticket_hours: f64,
    pub working_hours_per_week: f64,
    /// The most of a week anyone is on call.
    pub max_on_call_share: f64,
    /// The most of their working time anyone spends on operations.
    pub max_ops_share: f64,
}

impl SizingModel {
    /// The seed's model with `incidents_per_12_hours` as the shift's budget.
    pub fn with_budget(incidents_per_12_hours: f64) -> SizingModel {
        SizingModel {
            incident_hours: 6.0,
            incidents_per_shift: incidents_per_12_hours,
            ticket_hours: 1.0,
            working_hours_per_week: 40.0,
            max_on_call_share: 0.25,
            max_ops_share: 0.5,
        }
    }
}

/// A seat of a design.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Seat {
    /// On call around the clock, with no project work.
    Primary,
    /// On call 06:00–17:59, with no project work.
    PrimaryDay,
    /// On call 18:00–05:59, with no project work.
    PrimaryNight,
    /// 9–5 on working days, taking what the primary cannot.
    Secondary,
    /// 9–5 on working days, working tickets.
    Tickets,
}

impl Seat {
    pub fn label(self) -> &'static str {
        match self {
            Seat::Primary => "Primary",
            Seat::PrimaryDay => "Primary 1 (06:00–17:59)",
            Seat::PrimaryNight => "Primary 2 (18:00–05:59)",
            Seat::Secondary => "Secondary 9–5",
            Seat::Tickets => "Tickets 9–5",
        }
    }

    /// Hours a week whoever holds the seat is on call (tickets people are not paged).
    fn on_call_hours(self) -> f64 {
        match self {
            Seat::Primary => 168.0,
            Seat::PrimaryDay | Seat::PrimaryNight => 84.0,
            Seat::Secondary => 40.0,
            Seat::Tickets => 0.0,
        }
    }

    /// Shifts a day that each absorb the model's incidents per shift.
    fn incident_shifts_per_day(self) -> f64 {
        match self {
            Seat::Primary | Seat::PrimaryDay | Seat::PrimaryNight => 1.0,
            Seat::Secondary | Seat::Tickets => 0.0,
        }
    }

    /// Whether the seat is held during working hours, when tickets are worked.
    fn covers_working_hours(self) -> bool {
        self != Seat::PrimaryNight
    }

    fn is_primary(self) -> bool {
        self.incident_shifts_per_day() > 0.0
    }
}

/// One design sized for the demand.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Design {
    pub name: String,
    pub seats: Vec<Seat>,
    /// Whether the seats can absorb the demand's incidents and tickets.
    pub absorbs: bool,
    /// Hours a day of incidents and tickets the seats can absorb, and what the demand needs.
    pub capacity_hours_per_day: f64,
    pub demand_hours_per_day: f64,
    pub people: u32,
    /// Share of the people's working time that goes to operations.
    pub ops_share: f64,
}

/// Working days as a share of all days: 9–5 seats are held five days in seven.
const WORKING_DAYS: f64 = 5.0 / 7.0;
const WORKING_DAY_HOURS: f64 = 8.0;

/// Every design the seed draws, in the order a growing load calls for them, sized for `demand`.
pub fn size(demand: &Demand, model: &SizingModel) -> Vec<Design> {
    let ticket_hours_per_day = demand.per_day(f64::from(demand.tickets) * model.ticket_hours);
    let tickets_people = (ticket_hours_per_day / (WORKING_DAY_HOURS * WORKING_DAYS)).ceil().max(1.0) as usize;
    let tickets = vec![Seat::Tickets; tickets_people];
    let designs: [(&str, Vec<Seat>); 5] = [
        ("Primary", vec![Seat::Primary]),
        ("Primary and secondary", vec![Seat::Primary, Seat::Secondary]),
        ("Primary, secondary and tickets", [vec![Seat::Primary, Seat::Secondary], tickets.clone()].concat()),
        ("Primary 1, Primary 2 and secondary", vec![Seat::PrimaryDay, Seat::PrimaryNight, Seat::Secondary]),
        (
            "Primary 1, Primary 2, secondary and tickets",
            [vec![Seat::PrimaryDay, Seat::PrimaryNight, Seat::Secondary], tickets].concat(),
        ),
    ];
    designs.into_iter().map(|(name, seats)| sized(name, seats, demand, model)).collect()
}

fn sized(name: &str, seats: Vec<Seat>, demand: &Demand, model: &SizingModel) -> Design {
    let incident_hours_per_day = demand.per_day(demand.incident_hours);
    let ticket_hours_per_day = demand.per_day(f64::from(demand.tickets) * model.ticket_hours);
    let count = |seat: Seat| seats.iter().filter(|s| **s == seat).count() as f64;
    let primary_hours: f64 = seats
        .iter()
        .map(|s| s.incident_shifts_per_day() * model.incidents_per_shift * model.incident_hours)
        .sum();
    let working_day = WORKING_DAY_HOURS * WORKING_DAYS;
    let secondary_hours = count(Seat::Secondary) * working_day;
    let tickets_hours = count(Seat::Tickets) * working_day;
    // Tickets people take the tickets first; what is left falls to the primary, then the
    // secondary, but only in working hours; incidents come at any hour.
    let tickets_left = (ticket_hours_per_day - tickets_hours).max(0.0);
    let working_hours_left = seats.iter().filter(|s| s.covers_working_hours() && **s != Seat::Tickets).count()
        as f64
        * working_day;
    let left_for_primaries = incident_hours_per_day + tickets_left;
    let secondary_load = (left_for_primaries - primary_hours).clamp(0.0, secondary_hours);
    let capacity = primary_hours + secondary_hours + tickets_hours;
    let demand_hours = incident_hours_per_day + ticket_hours_per_day;
    let on_call: f64 = seats.iter().map(|s| s.on_call_hours()).sum();
    let week = model.working_hours_per_week;
    let ops_per_week = seats.iter().filter(|s| s.is_primary()).count() as f64 * week
        + secondary_load * 7.0
        + count(Seat::Tickets) * week;
    let for_on_call = on_call / (168.0 * model.max_on_call_share);
    let for_ops = ops_per_week / (week * model.max_ops_share);
    let people = for_on_call.max(for_ops).ceil().max(1.0) as u32;
    Design {
        name: name.to_owned(),
        absorbs: tickets_left <= working_hours_left + 1e-9
            && left_for_primaries <= primary_hours + secondary_hours + 1e-9,
        capacity_hours_per_day: round(capacity),
        demand_hours_per_day: round(demand_hours),
        people,
        ops_share: round(ops_per_week / (f64::from(people) * week)),
        seats,
    }
}

fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// The design with the fewest people that absorbs the demand (the earlier on a tie), or none
/// when even the largest cannot.
pub fn recommended(designs: &[Design]) -> Option<&Design> {
    designs.iter().filter(|d| d.absorbs).min_by_key(|d| d.people)
}
