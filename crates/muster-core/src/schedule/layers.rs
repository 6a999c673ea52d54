//! A schedule's final answer: who is on call at an instant, and the shifts over a window, built
//! in layers with a fixed precedence.
//!
//! 1. **Rules**, in the order the schedule lists them: each rule that covers the instant adds the
//!    person it names, or the person holding the rotation's shift at that instant. A person added
//!    by two rules is on call once, credited to the first.
//! 2. **Overrides**, in the order they were made, each over the result so far: `Remove` takes a
//!    person off; `Add` puts a person on; `Replace` puts the cover in the absent person's place, and
//!    does nothing when the absent person is not on call then.
//!
//! Overrides for one person never overlap (they are refused), so their order only matters between
//! different people. Every on-call person carries the source that put them there, which is how the
//! API shows the contribution of each rule and override.

use std::collections::BTreeSet;

use jiff::{Timestamp, tz::TimeZone};

use super::{
    rotation::Rotation,
    rule::{Coverage, Rule},
};
use crate::{
    FieldError, Invalid,
    ids::{OverrideId, RotationId, UserId},
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverrideKind {
    /// Puts a person on call in addition to whoever is.
    Add { person: UserId },
    /// Takes a person off call.
    Remove { person: UserId },
    /// Puts `cover` on call in place of `absent`.
    Replace { absent: UserId, cover: UserId },
}

impl OverrideKind {
    /// The people this override is about, for the no-overlap rule.
    fn people(&self) -> Vec<&UserId> {
        match self {
            OverrideKind::Add { person } | OverrideKind::Remove { person } => vec![person],
            OverrideKind::Replace { absent, cover } => vec![absent, cover],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub id: OverrideId,
    pub kind: OverrideKind,
    pub start: Timestamp,
    pub end: Timestamp,
}

/// Why someone is on call.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// Rule number `rule` (from 0) with the rotation's shift `shift`.
    Rotation {
        rule: usize,
        rotation: RotationId,
        shift: i64,
    },
    /// Rule number `rule`, which names this person.
    Person {
        rule: usize,
    },
    Override {
        id: OverrideId,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OnCall {
    pub person: UserId,
    pub source: Source,
}

/// A stretch of time during which one person is on call for one reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    pub person: UserId,
    pub source: Source,
    pub start: Timestamp,
    pub end: Timestamp,
}

/// A change of who is on call: the people who go off call and those who come on, at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandOff {
    pub at: Timestamp,
    pub outgoing: Vec<UserId>,
    pub incoming: Vec<UserId>,
}

/// Everything needed to answer who is on call: the pure core of a stored schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Layers {
    pub time_zone: TimeZone,
    pub rotations: Vec<Rotation>,
    pub rules: Vec<Rule>,
    pub overrides: Vec<Override>,
}

impl Layers {
    fn rotation(&self, id: &RotationId) -> Option<&Rotation> {
        self.rotations.iter().find(|r| &r.id == id)
    }

    /// Who the rules alone put on call at `at`.
    pub fn by_rules(&self, at: Timestamp) -> Vec<OnCall> {
        let mut on_call: Vec<OnCall> = Vec::new();
        for (number, rule) in self.rules.iter().enumerate() {
            if !rule.covers(&self.time_zone, at) {
                continue;
            }
            let found = match &rule.coverage {
                Coverage::Person(person) => {
                    Some(OnCall { person: person.clone(), source: Source::Person { rule: number } })
                }
                Coverage::Rotation(id) => {
                    self.rotation(id).and_then(|rotation| rotation.shift_at(at)).map(|shift| OnCall {
                        person: shift.person,
                        source: Source::Rotation { rule: number, rotation: id.clone(), shift: shift.index },
                    })
                }
            };
            if let Some(found) = found
                && !on_call.iter().any(|o| o.person == found.person)
            {
                on_call.push(found);
            }
        }
        on_call
    }

    /// Who is on call at `at`, rules then overrides.
    pub fn on_call_at(&self, at: Timestamp) -> Vec<OnCall> {
        let mut on_call = self.by_rules(at);
        for active in self.overrides.iter().filter(|o| o.start <= at && at < o.end) {
            let source = Source::Override { id: active.id.clone() };
            match &active.kind {
                OverrideKind::Remove { person } => on_call.retain(|o| &o.person != person),
                OverrideKind::Add { person } => {
                    if !on_call.iter().any(|o| &o.person == person) {
                        on_call.push(OnCall { person: person.clone(), source });
                    }
                }
                OverrideKind::Replace { absent, cover } => {
                    if let Some(slot) = on_call.iter().position(|o| &o.person == absent) {
                        if on_call.iter().any(|o| &o.person == cover) {
                            on_call.remove(slot);
                        } else {
                            on_call[slot] = OnCall { person: cover.clone(), source };
                        }
                    }
                }
            }
        }
        on_call
    }

    /// Every instant in `[from, until)` where the answer may change, `from` included.
    fn change_points(&self, from: Timestamp, until: Timestamp) -> Vec<Timestamp> {
        let mut points = BTreeSet::from([from]);
        let mut add = |t: Timestamp| {
            if from < t && t < until {
                points.insert(t);
            }
        };
        for rule in &self.rules {
            // Back-to-back windows (every day all day, say) change nothing where they meet.
            let mut windows: Vec<(Timestamp, Timestamp)> = Vec::new();
            for (start, end) in rule.windows_between(&self.time_zone, from, until) {
                match windows.last_mut() {
                    Some(last) if last.1 == start => last.1 = end,
                    _ => windows.push((start, end)),
                }
            }
            for (start, end) in windows {
                add(start);
                add(end);
                if let Coverage::Rotation(id) = &rule.coverage
                    && let Some(rotation) = self.rotation(id)
                {
                    for shift in rotation.shifts_between(start.max(from), end.min(until)) {
                        add(shift.start);
                    }
                }
            }
        }
        for o in &self.overrides {
            add(o.start);
            add(o.end);
        }
        points.into_iter().collect()
    }

    /// The final layered result over `[from, until)` as shifts: one per person and source, cut at
    /// the window's edges.
    pub fn shifts(&self, from: Timestamp, until: Timestamp) -> Vec<Shift> {
        if from >= until {
            return Vec::new();
        }
        let points = self.change_points(from, until);
        let mut open: Vec<Shift> = Vec::new();
        let mut done: Vec<Shift> = Vec::new();
        for (i, &start) in points.iter().enumerate() {
            let end = points.get(i + 1).copied().unwrap_or(until);
            let now = self.on_call_at(start);
            // Close shifts whose person or source is no longer on call.
            let (still, ended): (Vec<Shift>, Vec<Shift>) = open
                .into_iter()
                .partition(|s| now.iter().any(|o| o.person == s.person && o.source == s.source));
            done.extend(ended);
            open = still;
            for on_call in now {
                match open.iter_mut().find(|s| s.person == on_call.person && s.source == on_call.source) {
                    Some(shift) => shift.end = end,
                    None => open.push(Shift { person: on_call.person, source: on_call.source, start, end }),
                }
            }
        }
        done.extend(open);
        done.sort_by(|a, b| (a.start, &a.person).cmp(&(b.start, &b.person)));
        done
    }

    /// Every hand-off in `(from, until]`: the instants where the set of people on call changes,
    /// with who leaves and who arrives. A change of reason alone (a new rotation shift for the same
    /// person) is not a hand-off.
    pub fn handoffs(&self, from: Timestamp, until: Timestamp) -> Vec<HandOff> {
        if from >= until {
            return Vec::new();
        }
        let people = |at: Timestamp| -> BTreeSet<UserId> {
            self.on_call_at(at).into_iter().map(|o| o.person).collect()
        };
        let mut before = people(from);
        let mut handoffs = Vec::new();
        // Change points lie in [from, until); the instant `until` itself may be one too.
        let mut points = self.change_points(from, until);
        points.push(until);
        for at in points.into_iter().filter(|at| *at > from) {
            let after = people(at);
            if after != before {
                handoffs.push(HandOff {
                    at,
                    outgoing: before.difference(&after).cloned().collect(),
                    incoming: after.difference(&before).cloned().collect(),
                });
                before = after;
            }
        }
        handoffs
    }

    /// Checks a new override against the schedule: a sound interval, someone to stand in for,
    /// and no overlap with another override for the same person.
    pub fn check_override(&self, new: &Override) -> Result<(), Invalid> {
        if new.end <= new.start {
            return Err(Invalid::one("end", "must be after start"));
        }
        if let OverrideKind::Replace { absent, cover } = &new.kind
            && absent == cover
        {
            return Err(Invalid::one("cover", "must be someone other than the person being covered"));
        }
        let absent = match &new.kind {
            OverrideKind::Remove { person } => Some(person),
            OverrideKind::Replace { absent, .. } => Some(absent),
            OverrideKind::Add { .. } => None,
        };
        if let Some(absent) = absent {
            let on_call_at_some_point =
                self.shifts(new.start, new.end).iter().any(|shift| &shift.person == absent);
            if !on_call_at_some_point {
                return Err(Invalid(vec![FieldError::new(
                    "start",
                    "the person is not on call at any time in this interval",
                )]));
            }
        }
        for existing in &self.overrides {
            let overlaps = existing.start < new.end && new.start < existing.end;
            let shares_person = existing.kind.people().iter().any(|p| new.kind.people().contains(p));
            if overlaps && shares_person {
                return Err(Invalid::one(
                    "start",
                    format!(
                        "overlaps override {} for the same person; change or remove that one first",
                        existing.id
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::{date, time};

    use super::*;
    use crate::schedule::{
        rotation::ShiftLength,
        rule::{Weekdays, Window},
    };

    fn ts(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    fn user(name: &str) -> UserId {
        UserId(name.to_owned())
    }

    /// A daily rotation of ada and bo at 09:00 UTC, covering around the clock, plus a fixed person
    /// every weekday 09:00–17:00.
    fn layers() -> Layers {
        let rotation = Rotation::new(
            RotationId("primary".into()),
            "primary",
            "UTC",
            date(2026, 11, 23).at(9, 0, 0, 0),
            ShiftLength::Days(1),
            vec![user("ada"), user("bo")],
        )
        .expect("rotation");
        let rules = vec![
            Rule::new(Coverage::Rotation(rotation.id.clone()), Weekdays::EVERY_DAY, Window::AllDay)
                .expect("rule"),
            Rule::new(
                Coverage::Person(user("lead")),
                Weekdays::MONDAY_TO_FRIDAY,
                Window::Between { start: time(9, 0, 0, 0), end: time(17, 0, 0, 0) },
            )
            .expect("rule"),
        ];
        Layers { time_zone: TimeZone::UTC, rotations: vec![rotation], rules, overrides: vec![] }
    }

    fn people(on_call: &[OnCall]) -> Vec<&str> {
        on_call.iter().map(|o| o.person.as_str()).collect()
    }

    fn with(mut layers: Layers, id: &str, kind: OverrideKind, start: &str, end: &str) -> Layers {
        layers.overrides.push(Override { id: OverrideId(id.into()), kind, start: ts(start), end: ts(end) });
        layers
    }

    #[test]
    fn rules_add_people_in_order_with_their_source() {
        let at = layers().on_call_at(ts("2026-11-24T10:00:00Z"));
        assert_eq!(people(&at), ["bo", "lead"]);
        assert_eq!(
            at[0].source,
            Source::Rotation { rule: 0, rotation: RotationId("primary".into()), shift: 1 }
        );
        assert_eq!(at[1].source, Source::Person { rule: 1 });
        assert_eq!(people(&layers().on_call_at(ts("2026-11-24T18:00:00Z"))), ["bo"]);
    }

    #[test]
    fn overrides_apply_over_the_rules_in_the_order_they_were_made() {
        let replaced = with(
            layers(),
            "o1",
            OverrideKind::Replace { absent: user("bo"), cover: user("cy") },
            "2026-11-24T12:00:00Z",
            "2026-11-24T14:00:00Z",
        );
        assert_eq!(people(&replaced.on_call_at(ts("2026-11-24T13:00:00Z"))), ["cy", "lead"]);
        assert_eq!(
            people(&replaced.on_call_at(ts("2026-11-24T14:00:00Z"))),
            ["bo", "lead"],
            "overrides are half-open"
        );

        let removed = with(
            replaced,
            "o2",
            OverrideKind::Remove { person: user("lead") },
            "2026-11-24T13:00:00Z",
            "2026-11-24T15:00:00Z",
        );
        assert_eq!(people(&removed.on_call_at(ts("2026-11-24T13:30:00Z"))), ["cy"]);
        let added = with(
            removed,
            "o3",
            OverrideKind::Add { person: user("dee") },
            "2026-11-24T13:00:00Z",
            "2026-11-24T13:45:00Z",
        );
        let at = added.on_call_at(ts("2026-11-24T13:30:00Z"));
        assert_eq!(people(&at), ["cy", "dee"]);
        assert_eq!(at[1].source, Source::Override { id: OverrideId("o3".into()) });
        let nobody_to_replace = with(
            layers(),
            "o4",
            OverrideKind::Replace { absent: user("ada"), cover: user("cy") },
            "2026-11-24T12:00:00Z",
            "2026-11-24T14:00:00Z",
        );
        assert_eq!(people(&nobody_to_replace.on_call_at(ts("2026-11-24T13:00:00Z"))), ["bo", "lead"]);
    }

    #[test]
    fn shifts_show_each_contribution_cut_at_the_window() {
        let layers = with(
            layers(),
            "o1",
            OverrideKind::Replace { absent: user("bo"), cover: user("cy") },
            "2026-11-24T12:00:00Z",
            "2026-11-24T14:00:00Z",
        );
        let shifts = layers.shifts(ts("2026-11-24T08:00:00Z"), ts("2026-11-24T20:00:00Z"));
        let summary: Vec<_> =
            shifts.iter().map(|s| (s.person.as_str(), s.start.to_string(), s.end.to_string())).collect();
        assert_eq!(
            summary,
            [
                ("ada", "2026-11-24T08:00:00Z".into(), "2026-11-24T09:00:00Z".into()),
                ("bo", "2026-11-24T09:00:00Z".into(), "2026-11-24T12:00:00Z".into()),
                ("lead", "2026-11-24T09:00:00Z".into(), "2026-11-24T17:00:00Z".into()),
                ("cy", "2026-11-24T12:00:00Z".into(), "2026-11-24T14:00:00Z".into()),
                ("bo", "2026-11-24T14:00:00Z".into(), "2026-11-24T20:00:00Z".into()),
            ]
        );
    }

    #[test]
    fn handoffs_name_who_leaves_and_who_arrives() {
        let handoffs = layers().handoffs(ts("2026-11-24T08:00:00Z"), ts("2026-11-25T09:00:00Z"));
        let summary: Vec<_> = handoffs
            .iter()
            .map(|h| (h.at.to_string(), people_of(&h.outgoing), people_of(&h.incoming)))
            .collect();
        assert_eq!(
            summary,
            [
                ("2026-11-24T09:00:00Z".to_owned(), vec!["ada"], vec!["bo", "lead"]),
                ("2026-11-24T17:00:00Z".to_owned(), vec!["lead"], vec![]),
                ("2026-11-25T09:00:00Z".to_owned(), vec!["bo"], vec!["ada", "lead"]),
            ]
        );
        assert!(layers().handoffs(ts("2026-11-24T10:00:00Z"), ts("2026-11-24T16:00:00Z")).is_empty());
    }

    fn people_of(ids: &[UserId]) -> Vec<&str> {
        ids.iter().map(UserId::as_str).collect()
    }

    #[test]
    fn bad_overrides_name_the_field() {
        let base = layers();
        let kind = OverrideKind::Replace { absent: user("bo"), cover: user("cy") };
        let check = |kind: OverrideKind, start: &str, end: &str, layers: &Layers| {
            let new = Override { id: OverrideId("new".into()), kind, start: ts(start), end: ts(end) };
            layers.check_override(&new).map_err(|e| e.0[0].field.clone())
        };
        assert_eq!(
            check(kind.clone(), "2026-11-24T14:00:00Z", "2026-11-24T14:00:00Z", &base),
            Err("end".into())
        );
        let myself = OverrideKind::Replace { absent: user("bo"), cover: user("bo") };
        assert_eq!(check(myself, "2026-11-24T12:00:00Z", "2026-11-24T14:00:00Z", &base), Err("cover".into()));
        let off_duty = OverrideKind::Remove { person: user("lead") };
        assert_eq!(
            check(off_duty, "2026-11-24T18:00:00Z", "2026-11-24T20:00:00Z", &base),
            Err("start".into()),
            "lead is not on call at night"
        );
        assert_eq!(check(kind.clone(), "2026-11-24T12:00:00Z", "2026-11-24T14:00:00Z", &base), Ok(()));

        let taken = with(base, "o1", kind.clone(), "2026-11-24T12:00:00Z", "2026-11-24T14:00:00Z");
        let again = OverrideKind::Add { person: user("cy") };
        assert_eq!(
            check(again.clone(), "2026-11-24T13:00:00Z", "2026-11-24T15:00:00Z", &taken),
            Err("start".into()),
            "cy already covers then"
        );
        assert_eq!(
            check(again, "2026-11-24T14:00:00Z", "2026-11-24T15:00:00Z", &taken),
            Ok(()),
            "back to back is fine"
        );
    }
}
