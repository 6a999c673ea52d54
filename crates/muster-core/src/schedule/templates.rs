//! The schedule designs from the seed, each made in one step.
//!
//! - **Tiers**: primary 24/7 (pages, tickets, no project work), secondary weekdays 09:00–17:00,
//!   tickets weekdays 09:00–17:00; each a weekly rotation handing off on Monday at 09:00.
//! - **Follow the sun**: a split primary, one team 06:00–18:00 and the other 18:00–06:00 in the
//!   schedule's zone, each team rotating weekly in its own zone.
//! - **Weekly** and **daily** rotations covering around the clock.

use jiff::{
    civil::{Date, Time, Weekday},
    tz::TimeZone,
};

use super::{
    layers::Layers,
    rotation::{Rotation, ShiftLength, first_handoff},
    rule::{Coverage, Rule, Weekdays, Window},
};
use crate::{
    Invalid,
    ids::{RotationId, UserId},
    user::parse_time_zone,
};

/// The roles of a service's on-call schedules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Primary,
    Secondary,
    Tickets,
}

impl std::str::FromStr for Tier {
    type Err = crate::FieldError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Tier::ALL
            .into_iter()
            .find(|tier| tier.as_str() == value)
            .ok_or_else(|| crate::FieldError::new("tier", "must be one of primary, secondary, tickets"))
    }
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Primary, Tier::Secondary, Tier::Tickets];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Primary => "primary",
            Tier::Secondary => "secondary",
            Tier::Tickets => "tickets",
        }
    }
}

fn nine() -> Time {
    Time::constant(9, 0, 0, 0)
}

fn office_hours() -> Window {
    Window::Between { start: nine(), end: Time::constant(17, 0, 0, 0) }
}

/// One rotation covered by one rule: the shape of every single-tier design.
struct Design {
    name: &'static str,
    handoff_day: Option<Weekday>,
    length: ShiftLength,
    weekdays: Weekdays,
    window: Window,
}

impl Design {
    fn build(self, zone: &str, start: Date, people: Vec<UserId>) -> Result<Layers, Invalid> {
        let id = RotationId(self.name.to_owned());
        let first = first_handoff(start, self.handoff_day, nine());
        let rotation = Rotation::new(id.clone(), self.name, zone, first, self.length, people)?;
        let rule = Rule::new(Coverage::Rotation(id), self.weekdays, self.window)?;
        Ok(Layers {
            time_zone: rotation.time_zone.clone(),
            rotations: vec![rotation],
            rules: vec![rule],
            overrides: vec![],
        })
    }
}

fn weekly_design(name: &'static str, weekdays: Weekdays, window: Window) -> Design {
    Design { name, handoff_day: Some(Weekday::Monday), length: ShiftLength::Weeks(1), weekdays, window }
}

/// A weekly rotation, handing off on Monday at 09:00, covering around the clock.
pub fn weekly(zone: &str, start: Date, people: Vec<UserId>) -> Result<Layers, Invalid> {
    weekly_design("weekly", Weekdays::EVERY_DAY, Window::AllDay).build(zone, start, people)
}

/// A daily rotation, handing off at 09:00, covering around the clock.
pub fn daily(zone: &str, start: Date, people: Vec<UserId>) -> Result<Layers, Invalid> {
    let design = Design {
        name: "daily",
        handoff_day: None,
        length: ShiftLength::Days(1),
        weekdays: Weekdays::EVERY_DAY,
        window: Window::AllDay,
    };
    design.build(zone, start, people)
}

/// The seed's three tiers: primary around the clock, secondary and tickets in office hours.
pub fn tiers(
    zone: &str,
    start: Date,
    primary: Vec<UserId>,
    secondary: Vec<UserId>,
    tickets: Vec<UserId>,
) -> Result<Vec<(Tier, Layers)>, Invalid> {
    Ok(vec![
        (
            Tier::Primary,
            weekly_design("primary", Weekdays::EVERY_DAY, Window::AllDay).build(zone, start, primary)?,
        ),
        (
            Tier::Secondary,
            weekly_design("secondary", Weekdays::MONDAY_TO_FRIDAY, office_hours())
                .build(zone, start, secondary)?,
        ),
        (
            Tier::Tickets,
            weekly_design("tickets", Weekdays::MONDAY_TO_FRIDAY, office_hours())
                .build(zone, start, tickets)?,
        ),
    ])
}

/// A team in its own time zone, for follow-the-sun.
#[derive(Debug, Clone)]
pub struct SunTeam<'a> {
    pub time_zone: &'a str,
    pub people: Vec<UserId>,
}

/// A split primary: `day` covers 06:00–18:00 and `night` 18:00–06:00 in `zone`, every day.
pub fn follow_the_sun(
    zone: &str,
    start: Date,
    day: SunTeam<'_>,
    night: SunTeam<'_>,
) -> Result<Layers, Invalid> {
    let monday = first_handoff(start, Some(Weekday::Monday), nine());
    let day_rotation = Rotation::new(
        RotationId("day".into()),
        "day team",
        day.time_zone,
        monday,
        ShiftLength::Weeks(1),
        day.people,
    )?;
    let night_rotation = Rotation::new(
        RotationId("night".into()),
        "night team",
        night.time_zone,
        monday,
        ShiftLength::Weeks(1),
        night.people,
    )?;
    let six = Time::constant(6, 0, 0, 0);
    let eighteen = Time::constant(18, 0, 0, 0);
    let rules = vec![
        Rule::new(
            Coverage::Rotation(day_rotation.id.clone()),
            Weekdays::EVERY_DAY,
            Window::Between { start: six, end: eighteen },
        )?,
        Rule::new(
            Coverage::Rotation(night_rotation.id.clone()),
            Weekdays::EVERY_DAY,
            Window::Between { start: eighteen, end: six },
        )?,
    ];
    let time_zone = TimeZone::get(&parse_time_zone("time_zone", zone)?)
        .map_err(|_| Invalid::one("time_zone", "is not in the bundled time-zone database"))?;
    Ok(Layers { time_zone, rotations: vec![day_rotation, night_rotation], rules, overrides: vec![] })
}

#[cfg(test)]
mod tests {
    use jiff::{Timestamp, civil::date};

    use super::*;
    use crate::schedule::wall::instant_of;

    fn people(names: &[&str]) -> Vec<UserId> {
        names.iter().map(|n| UserId((*n).to_owned())).collect()
    }

    /// Who is on call at half past each hour of `day` in `zone`: a person's initial, `.` for nobody,
    /// `+` for more than one.
    fn hours(layers: &Layers, zone: &str, day: Date) -> String {
        let zone = TimeZone::get(zone).expect("zone");
        (0..24)
            .map(|hour| {
                let at: Timestamp = instant_of(&zone, day.at(hour, 30, 0, 0)).expect("in range");
                match layers.on_call_at(at).as_slice() {
                    [] => '.',
                    [one] => one.person.as_str().chars().next().unwrap_or('?'),
                    _ => '+',
                }
            })
            .collect()
    }

    #[test]
    fn the_three_tiers_hour_by_hour() {
        // Starting Monday 2026-11-23 in London: first hand-off that day at 09:00.
        let tiers = tiers(
            "Europe/London",
            date(2026, 11, 23),
            people(&["Ada", "Bo"]),
            people(&["Sam", "Tom"]),
            people(&["Kay", "Lee"]),
        )
        .expect("valid");
        let [(Tier::Primary, primary), (Tier::Secondary, secondary), (Tier::Tickets, tickets)] = &tiers[..]
        else {
            panic!("three tiers in order");
        };
        let office = |who: char| format!("{}{}{}", ".".repeat(9), who.to_string().repeat(8), ".".repeat(7));
        let all = |who: char| who.to_string().repeat(24);
        //                    hour: 0         1         2
        //                          012345678901234567890123
        let expected_primary = [
            format!("{}{}", ".".repeat(9), "A".repeat(15)), // Monday: the rotation starts at 09:00
            all('A'),
            all('A'),
            all('A'),
            all('A'),
            all('A'),
            all('A'),                                       // Tuesday to Sunday
            format!("{}{}", "A".repeat(9), "B".repeat(15)), // next Monday: hand-off at 09:00
        ];
        let dot = ".".repeat(24);
        let expected_secondary = [
            office('S'),
            office('S'),
            office('S'),
            office('S'),
            office('S'),
            dot.clone(),
            dot.clone(),
            office('T'),
        ];
        let expected_tickets =
            [office('K'), office('K'), office('K'), office('K'), office('K'), dot.clone(), dot, office('L')];
        for day in 0..8 {
            let on = date(2026, 11, 23).checked_add(jiff::Span::new().days(day)).expect("date");
            let i = day as usize;
            assert_eq!(hours(primary, "Europe/London", on), expected_primary[i], "primary on {on}");
            assert_eq!(hours(secondary, "Europe/London", on), expected_secondary[i], "secondary on {on}");
            assert_eq!(hours(tickets, "Europe/London", on), expected_tickets[i], "tickets on {on}");
        }
    }

    #[test]
    fn follow_the_sun_splits_each_day_at_six_and_eighteen() {
        let day = SunTeam { time_zone: "Europe/London", people: people(&["Lou", "Liz"]) };
        let night = SunTeam { time_zone: "America/Los_Angeles", people: people(&["Pat", "Pia"]) };
        let layers = follow_the_sun("Europe/London", date(2026, 11, 16), day, night).expect("valid");
        // Tuesday: both rotations are in their first week (hand-offs on Monday 09:00, each in its zone).
        let expected = format!("{}{}{}", "P".repeat(6), "L".repeat(12), "P".repeat(6));
        assert_eq!(hours(&layers, "Europe/London", date(2026, 11, 17)), expected);
        // The next Monday, London hands over at 09:00 London time and Los Angeles at 09:00 its own
        // time (17:00 in London), so the night from 18:00 belongs to the next night person.
        assert_eq!(
            hours(&layers, "Europe/London", date(2026, 11, 23)),
            expected,
            "Pat, Lou then Liz, Pia: same initials"
        );
        let names_at_night: Vec<_> = layers
            .on_call_at("2026-11-23T20:00:00Z".parse().expect("ts"))
            .into_iter()
            .map(|o| o.person.0)
            .collect();
        assert_eq!(names_at_night, ["Pia"]);
    }

    #[test]
    fn weekly_and_daily_templates_cover_around_the_clock() {
        let weekly = weekly("Asia/Kolkata", date(2026, 11, 23), people(&["Ravi", "Uma"])).expect("valid");
        assert_eq!(hours(&weekly, "Asia/Kolkata", date(2026, 11, 25)), "R".repeat(24));
        let daily = daily("Asia/Kolkata", date(2026, 11, 23), people(&["Ravi", "Uma"])).expect("valid");
        assert_eq!(
            hours(&daily, "Asia/Kolkata", date(2026, 11, 24)),
            format!("{}{}", "R".repeat(9), "U".repeat(15))
        );
    }
}
