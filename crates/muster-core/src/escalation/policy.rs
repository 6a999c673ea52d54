//! Escalation policies: whom a page notifies, in which order, and how long each step waits for an
//! acknowledgement before the next step is notified.
//!
//! The semantics are PagerDuty's, so that a team moving over keeps its mental model: the first step
//! is notified as soon as the page starts; each step has an "escalate after" wait, and when it runs
//! out unacknowledged the next step is notified; after the last step's wait the policy starts over,
//! as many extra rounds as `repeat` says. A wait is at least a minute, so a policy can never loop
//! without pause.

use serde::{Deserialize, Serialize};

use crate::{
    FieldError, Invalid,
    ids::{EscalationPolicyId, ScheduleId, TeamId, UserId},
    schedule::templates::Tier,
    validate::{Checker, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, optional_text, required_line},
};

/// The most steps a policy has; past a handful, a page would take hours to reach its last step.
pub const MAX_STEPS: usize = 10;
/// The most targets one step notifies.
pub const MAX_TARGETS_PER_STEP: usize = 10;
/// The most extra rounds after the first.
pub const MAX_REPEATS: u32 = 9;
/// The bounds of a step's wait, in minutes: at least one, at most a day.
pub const ESCALATE_AFTER_MINUTES: std::ops::RangeInclusive<u32> = 1..=1440;

/// Who one step notifies. Written as the API takes it (`{"kind": "user", "id": …}`), so a policy
/// read back can be sent again unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EscalationTarget {
    /// Whoever is on call in this tier of the paged service's schedules (its primary, say), so one
    /// policy serves every service that has the same shape of rota.
    Tier { tier: Tier },
    /// Whoever is on call in this schedule.
    Schedule {
        #[serde(rename = "id")]
        schedule_id: ScheduleId,
    },
    /// This person.
    User {
        #[serde(rename = "id")]
        user_id: UserId,
    },
    /// Every member of this team.
    Team {
        #[serde(rename = "id")]
        team_id: TeamId,
    },
}

/// One step: the targets notified together, and how long they have to acknowledge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EscalationStep {
    pub escalate_after_minutes: u32,
    pub targets: Vec<EscalationTarget>,
}

/// A valid policy, as stored and as frozen into every page that starts with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EscalationRules {
    pub steps: Vec<EscalationStep>,
    /// Extra rounds after the first; 0 notifies each step once.
    pub repeat: u32,
}

impl EscalationRules {
    /// The length of one round: the sum of the steps' waits.
    pub fn round(&self) -> jiff::SignedDuration {
        self.steps.iter().map(|s| minutes(s.escalate_after_minutes)).sum()
    }
}

pub(crate) fn minutes(count: u32) -> jiff::SignedDuration {
    jiff::SignedDuration::from_mins(i64::from(count))
}

/// A stored policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EscalationPolicy {
    pub id: EscalationPolicyId,
    pub name: String,
    pub description: String,
    pub rules: EscalationRules,
    /// Goes up with every change; a page records the version it froze.
    pub version: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: jiff::Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: jiff::Timestamp,
}

/// How a service pages: through which policy (none: it pages no one yet) and against which targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceEscalation {
    pub policy_id: Option<EscalationPolicyId>,
    pub policy_name: Option<String>,
    pub response_targets: super::ResponseTargets,
}

/// A step as a client sends it, before validation.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StepInput {
    pub escalate_after_minutes: Option<u32>,
    #[serde(default)]
    pub targets: Vec<TargetInput>,
}

/// A target as a client sends it: `{"kind": "user", "id": "…"}` or `{"kind": "tier", "tier": "primary"}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TargetInput {
    #[serde(default)]
    pub kind: String,
    pub id: Option<String>,
    pub tier: Option<String>,
}

/// A policy to create or to replace one with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEscalationPolicy {
    pub name: String,
    pub description: String,
    pub rules: EscalationRules,
}

impl NewEscalationPolicy {
    /// Checks everything at once; every problem names its field (`steps[1].targets[0].id`).
    pub fn parse(
        name: &str,
        description: Option<&str>,
        steps: &[StepInput],
        repeat: Option<u32>,
    ) -> Result<Self, Invalid> {
        let mut checker = Checker::new();
        let name = checker.check(required_line("name", name, MAX_NAME_CHARS));
        let description =
            checker.check(optional_text("description", description.unwrap_or(""), MAX_DESCRIPTION_CHARS));
        let repeat = checker.check(match repeat.unwrap_or(0) {
            r if r > MAX_REPEATS => Err(FieldError::new("repeat", format!("must be at most {MAX_REPEATS}"))),
            r => Ok(r),
        });
        if steps.is_empty() {
            checker.check::<()>(Err(FieldError::new("steps", "must have at least one step")));
        } else if steps.len() > MAX_STEPS {
            checker
                .check::<()>(Err(FieldError::new("steps", format!("must have at most {MAX_STEPS} steps"))));
        }
        let parsed: Vec<Option<EscalationStep>> = steps
            .iter()
            .take(MAX_STEPS)
            .enumerate()
            .map(|(index, step)| parse_step(&mut checker, &format!("steps[{index}]"), step))
            .collect();
        checker.finish(|| {
            let steps = parsed.into_iter().collect::<Option<Vec<_>>>()?;
            Some(NewEscalationPolicy {
                name: name?,
                description: description?,
                rules: EscalationRules { steps, repeat: repeat? },
            })
        })
    }
}

fn parse_step(checker: &mut Checker, path: &str, step: &StepInput) -> Option<EscalationStep> {
    let wait = checker.check(match step.escalate_after_minutes {
        None => Err(FieldError::new(format!("{path}.escalate_after_minutes"), "is missing")),
        Some(m) if !ESCALATE_AFTER_MINUTES.contains(&m) => Err(FieldError::new(
            format!("{path}.escalate_after_minutes"),
            "must be between 1 and 1440 (a day)",
        )),
        Some(m) => Ok(m),
    });
    if step.targets.is_empty() {
        checker.check::<()>(Err(FieldError::new(format!("{path}.targets"), "must name at least one target")));
    } else if step.targets.len() > MAX_TARGETS_PER_STEP {
        checker.check::<()>(Err(FieldError::new(
            format!("{path}.targets"),
            format!("must name at most {MAX_TARGETS_PER_STEP} targets"),
        )));
    }
    let mut targets = Vec::new();
    let mut complete = true;
    for (index, input) in step.targets.iter().take(MAX_TARGETS_PER_STEP).enumerate() {
        let field = format!("{path}.targets[{index}]");
        match checker.check(parse_target(&field, input)) {
            Some(target) if targets.contains(&target) => {
                checker.check::<()>(Err(FieldError::new(field, "is named twice in this step")));
                complete = false;
            }
            Some(target) => targets.push(target),
            None => complete = false,
        }
    }
    Some(EscalationStep { escalate_after_minutes: wait?, targets }).filter(|_| complete)
}

fn parse_target(field: &str, input: &TargetInput) -> Result<EscalationTarget, FieldError> {
    let id = || {
        input
            .id
            .as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| FieldError::new(format!("{field}.id"), "is missing"))
    };
    match input.kind.trim() {
        "tier" => {
            let tier = input.tier.as_deref().unwrap_or("").trim();
            let tier: Tier = tier.parse().map_err(|_| {
                FieldError::new(format!("{field}.tier"), "must be one of primary, secondary, tickets")
            })?;
            Ok(EscalationTarget::Tier { tier })
        }
        "schedule" => Ok(EscalationTarget::Schedule { schedule_id: ScheduleId(id()?) }),
        "user" => Ok(EscalationTarget::User { user_id: UserId(id()?) }),
        "team" => Ok(EscalationTarget::Team { team_id: TeamId(id()?) }),
        "" => Err(FieldError::new(format!("{field}.kind"), "is missing")),
        _ => Err(FieldError::new(format!("{field}.kind"), "must be one of tier, schedule, user, team")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> TargetInput {
        TargetInput { kind: "user".into(), id: Some(id.into()), tier: None }
    }

    fn step(minutes: u32, targets: Vec<TargetInput>) -> StepInput {
        StepInput { escalate_after_minutes: Some(minutes), targets }
    }

    fn fields(result: Result<NewEscalationPolicy, Invalid>) -> Vec<String> {
        result.expect_err("invalid").0.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_policy_keeps_its_steps_targets_and_repeats() {
        let primary = TargetInput { kind: "tier".into(), id: None, tier: Some(" primary ".into()) };
        let team = TargetInput { kind: "team".into(), id: Some("t1".into()), tier: None };
        let policy = NewEscalationPolicy::parse(
            " Payments ",
            None,
            &[step(5, vec![primary]), step(15, vec![user("u1"), team])],
            Some(2),
        )
        .expect("valid");
        assert_eq!(policy.name, "Payments");
        assert_eq!(policy.rules.repeat, 2);
        assert_eq!(policy.rules.steps[0].targets, [EscalationTarget::Tier { tier: Tier::Primary }]);
        assert_eq!(
            policy.rules.steps[1].targets,
            [
                EscalationTarget::User { user_id: UserId("u1".into()) },
                EscalationTarget::Team { team_id: TeamId("t1".into()) }
            ]
        );
        assert_eq!(policy.rules.round(), jiff::SignedDuration::from_mins(20));
    }

    #[test]
    fn an_empty_policy_and_a_step_without_targets_are_refused() {
        assert_eq!(fields(NewEscalationPolicy::parse("P", None, &[], None)), ["steps"]);
        assert_eq!(
            fields(NewEscalationPolicy::parse("P", None, &[step(5, vec![])], None)),
            ["steps[0].targets"]
        );
    }

    #[test]
    fn every_problem_names_its_field() {
        let bad_kind = TargetInput { kind: "pager".into(), id: Some("x".into()), tier: None };
        let no_id = TargetInput { kind: "user".into(), id: Some("  ".into()), tier: None };
        let bad_tier = TargetInput { kind: "tier".into(), id: None, tier: Some("tertiary".into()) };
        let steps = [
            step(0, vec![user("u1")]),
            StepInput { escalate_after_minutes: None, targets: vec![bad_kind, no_id, bad_tier] },
            step(5, vec![user("u1"), user("u1")]),
        ];
        assert_eq!(
            fields(NewEscalationPolicy::parse("", None, &steps, Some(10))),
            [
                "name",
                "repeat",
                "steps[0].escalate_after_minutes",
                "steps[1].escalate_after_minutes",
                "steps[1].targets[0].kind",
                "steps[1].targets[1].id",
                "steps[1].targets[2].tier",
                "steps[2].targets[1]",
            ]
        );
    }

    #[test]
    fn sizes_are_bounded() {
        let many_steps: Vec<StepInput> = (0..11).map(|_| step(5, vec![user("u1")])).collect();
        assert_eq!(fields(NewEscalationPolicy::parse("P", None, &many_steps, None)), ["steps"]);
        let many_targets: Vec<TargetInput> = (0..11).map(|i| user(&format!("u{i}"))).collect();
        assert_eq!(
            fields(NewEscalationPolicy::parse("P", None, &[step(5, many_targets)], None)),
            ["steps[0].targets"]
        );
        assert_eq!(
            fields(NewEscalationPolicy::parse("P", None, &[step(1441, vec![user("u")])], None)),
            ["steps[0].escalate_after_minutes"]
        );
    }
}
