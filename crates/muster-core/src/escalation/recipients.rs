//! Who one step of a page notifies: its targets turned into people.
//!
//! The engine looks up, at the moment the step falls due, who is on call in each tier of the paged
//! service and in each schedule the step names, and who is in each team; this turns those answers
//! into the people to notify, each once, in the order the step names them. A target that finds
//! nobody (an empty tier, a team without members) is reported, so the page's log can say why a
//! step reached fewer people than it names.

use std::collections::HashMap;

use crate::{
    ids::{ScheduleId, TeamId, UserId},
    schedule::templates::Tier,
};

use super::policy::{EscalationStep, EscalationTarget};

/// The answers the engine looked up for one step, as of the moment it fell due.
#[derive(Debug, Default)]
pub struct Rosters {
    /// Who is on call in each tier of the paged service's schedules.
    pub tiers: HashMap<Tier, Vec<UserId>>,
    /// Who is on call in each schedule.
    pub schedules: HashMap<ScheduleId, Vec<UserId>>,
    /// The members of each team.
    pub teams: HashMap<TeamId, Vec<UserId>>,
}

/// The people one step notifies, and the targets that found nobody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipients {
    pub people: Vec<UserId>,
    pub unreached: Vec<EscalationTarget>,
}

impl EscalationStep {
    /// Turns this step's targets into people, each once, in the order the targets name them.
    pub fn recipients(&self, rosters: &Rosters) -> Recipients {
        let mut people: Vec<UserId> = Vec::new();
        let mut unreached = Vec::new();
        for target in &self.targets {
            let found: &[UserId] = match target {
                EscalationTarget::Tier { tier } => rosters.tiers.get(tier).map_or(&[], Vec::as_slice),
                EscalationTarget::Schedule { schedule_id } => {
                    rosters.schedules.get(schedule_id).map_or(&[], Vec::as_slice)
                }
                EscalationTarget::Team { team_id } => rosters.teams.get(team_id).map_or(&[], Vec::as_slice),
                EscalationTarget::User { user_id } => std::slice::from_ref(user_id),
            };
            if found.is_empty() {
                unreached.push(target.clone());
            }
            for person in found {
                if !people.contains(person) {
                    people.push(person.clone());
                }
            }
        }
        Recipients { people, unreached }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users(ids: &[&str]) -> Vec<UserId> {
        ids.iter().map(|id| UserId((*id).into())).collect()
    }

    #[test]
    fn targets_become_people_each_once_in_order() {
        let step = EscalationStep {
            escalate_after_minutes: 5,
            targets: vec![
                EscalationTarget::Tier { tier: Tier::Primary },
                EscalationTarget::Team { team_id: TeamId("sre".into()) },
                EscalationTarget::User { user_id: UserId("cto".into()) },
            ],
        };
        let rosters = Rosters {
            tiers: HashMap::from([(Tier::Primary, users(&["grace"]))]),
            teams: HashMap::from([(TeamId("sre".into()), users(&["tomas", "grace", "sam"]))]),
            ..Default::default()
        };
        let recipients = step.recipients(&rosters);
        assert_eq!(recipients.people, users(&["grace", "tomas", "sam", "cto"]));
        assert!(recipients.unreached.is_empty());
    }

    #[test]
    fn targets_that_find_nobody_are_reported() {
        let empty_schedule = EscalationTarget::Schedule { schedule_id: ScheduleId("nights".into()) };
        let step = EscalationStep {
            escalate_after_minutes: 5,
            targets: vec![EscalationTarget::Tier { tier: Tier::Secondary }, empty_schedule.clone()],
        };
        let rosters = Rosters {
            schedules: HashMap::from([(ScheduleId("nights".into()), Vec::new())]),
            ..Default::default()
        };
        let recipients = step.recipients(&rosters);
        assert!(recipients.people.is_empty());
        assert_eq!(recipients.unreached, [EscalationTarget::Tier { tier: Tier::Secondary }, empty_schedule]);
    }
}
