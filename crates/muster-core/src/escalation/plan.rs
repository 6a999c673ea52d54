//! The arithmetic of one escalation: when each step of a page falls due, given the rules frozen
//! into the page, when it started and its response target.
//!
//! Step notifications are numbered over all rounds (round 0's steps, then round 1's, …). The first
//! is due when the page starts; each later one is due when the previous step's wait runs out. A
//! response target that runs out during a wait brings the next step forward to that moment, so a
//! business-critical page never waits out a long step past its five minutes; the steps after it
//! keep their waits from there. The engine stores how many notifications it has sent and asks for
//! the ones due since; the answer depends only on these inputs, so a restart or a new engine
//! leader computes the same times.

use jiff::Timestamp;

use super::policy::{EscalationRules, minutes};

/// One step notification of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepDue {
    /// Its number over all rounds, from 0.
    pub index: usize,
    /// Which round (0 is the first pass through the steps).
    pub round: u32,
    /// Which step of the rules.
    pub step: usize,
    pub due_at: Timestamp,
}

/// The escalation of one page.
#[derive(Debug, Clone, Copy)]
pub struct Escalation<'a> {
    rules: &'a EscalationRules,
    started_at: Timestamp,
    respond_by: Option<Timestamp>,
}

impl<'a> Escalation<'a> {
    pub fn new(rules: &'a EscalationRules, started_at: Timestamp, respond_by: Option<Timestamp>) -> Self {
        Escalation { rules, started_at, respond_by }
    }

    /// How many step notifications the page sends if nobody acknowledges it.
    pub fn len(&self) -> usize {
        self.rules.steps.len() * (self.rules.repeat as usize + 1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every step notification in order, with its due time.
    pub fn steps(&self) -> impl Iterator<Item = StepDue> + 'a {
        let (rules, respond_by) = (self.rules, self.respond_by);
        let count = self.len();
        let mut due_at = self.started_at;
        (0..count).map(move |index| {
            let step = index % rules.steps.len();
            let current = StepDue {
                index,
                round: u32::try_from(index / rules.steps.len()).unwrap_or(u32::MAX),
                step,
                due_at,
            };
            let waited = due_at + minutes(rules.steps[step].escalate_after_minutes);
            due_at = match respond_by {
                Some(deadline) if due_at < deadline && deadline < waited => deadline,
                _ => waited,
            };
            current
        })
    }

    /// The notifications from `next` on that are due at `now`, oldest first: what the engine sends
    /// when it wakes (all of them after a restart that missed several).
    pub fn due(&self, next: usize, now: Timestamp) -> Vec<StepDue> {
        self.steps().skip(next).take_while(|s| s.due_at <= now).collect()
    }

    /// When notification `next` falls due, or `None` when every step has been notified.
    pub fn deadline(&self, next: usize) -> Option<Timestamp> {
        self.steps().nth(next).map(|s| s.due_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        escalation::policy::{EscalationStep, EscalationTarget},
        ids::UserId,
    };

    fn at(time: &str) -> Timestamp {
        format!("2026-11-24T{time}Z").parse().unwrap()
    }

    fn rules(waits: &[u32], repeat: u32) -> EscalationRules {
        let steps = waits
            .iter()
            .enumerate()
            .map(|(i, wait)| EscalationStep {
                escalate_after_minutes: *wait,
                targets: vec![EscalationTarget::User { user_id: UserId(format!("u{i}")) }],
            })
            .collect();
        EscalationRules { steps, repeat }
    }

    fn times(escalation: &Escalation) -> Vec<(u32, usize, Timestamp)> {
        escalation.steps().map(|s| (s.round, s.step, s.due_at)).collect()
    }

    #[test]
    fn steps_follow_each_wait_and_rounds_repeat() {
        let rules = rules(&[5, 10], 1);
        let escalation = Escalation::new(&rules, at("03:00:00"), None);
        assert_eq!(escalation.len(), 4);
        assert_eq!(
            times(&escalation),
            [(0, 0, at("03:00:00")), (0, 1, at("03:05:00")), (1, 0, at("03:15:00")), (1, 1, at("03:20:00")),]
        );
        assert_eq!(escalation.deadline(4), None, "after the last step nothing more is due");
    }

    #[test]
    fn a_response_target_brings_the_next_step_forward() {
        let rules = rules(&[30, 30], 0);
        let escalation = Escalation::new(&rules, at("03:00:00"), Some(at("03:05:00")));
        assert_eq!(times(&escalation), [(0, 0, at("03:00:00")), (0, 1, at("03:05:00"))]);
        let later_target = Escalation::new(&rules, at("03:00:00"), Some(at("03:45:00")));
        assert_eq!(
            times(&later_target),
            [(0, 0, at("03:00:00")), (0, 1, at("03:30:00"))],
            "a target after the next step changes nothing"
        );
    }

    #[test]
    fn steps_after_a_brought_forward_one_keep_their_waits() {
        let rules = rules(&[30, 10, 10], 0);
        let escalation = Escalation::new(&rules, at("03:00:00"), Some(at("03:05:00")));
        assert_eq!(
            times(&escalation),
            [(0, 0, at("03:00:00")), (0, 1, at("03:05:00")), (0, 2, at("03:15:00")),]
        );
    }

    #[test]
    fn the_engine_gets_what_is_due_since_it_last_sent() {
        let rules = rules(&[5, 5, 5], 0);
        let escalation = Escalation::new(&rules, at("03:00:00"), None);
        assert_eq!(escalation.due(0, at("03:00:00")).len(), 1, "the first step at once");
        assert!(escalation.due(1, at("03:04:59")).is_empty(), "nothing before the wait runs out");
        assert_eq!(escalation.deadline(1), Some(at("03:05:00")));
        let after_restart = escalation.due(1, at("03:12:00"));
        assert_eq!(after_restart.iter().map(|s| s.step).collect::<Vec<_>>(), [1, 2], "every overdue step");
        assert!(escalation.due(3, at("04:00:00")).is_empty());
    }
}
