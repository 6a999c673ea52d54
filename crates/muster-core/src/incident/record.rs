//! The incident aggregate and the one way it changes: [`Incident::apply`], which checks who is
//! acting, applies the method's rules, and returns the timeline entries the change makes.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    command::{Command, Participant, Person, Role, RoleOffer},
    comms::StakeholderAudience,
    declare::{Declaration, ProblemReport},
    stage::{CureOutcome, Investigation, Stage},
    status::{IncidentSeverity, IncidentState},
    timeline::TimelineKind,
};
use crate::{
    FieldError, Invalid,
    ids::{AlertId, IncidentId, ServiceId, UserId},
    validate::{MAX_DESCRIPTION_CHARS, optional_text},
};

/// A possible cause on the shortlist: proposed while diagnosing, confirmed or refuted while
/// testing, with the evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hypothesis {
    /// 1, 2, 3 … within the incident.
    pub number: u32,
    pub statement: String,
    pub proposed_by: Person,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub proposed_at: Timestamp,
    pub verdict: Option<HypothesisVerdict>,
    pub evidence: String,
    pub judged_by: Option<Person>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub judged_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HypothesisVerdict {
    Confirmed,
    Refuted,
}

impl std::str::FromStr for HypothesisVerdict {
    type Err = FieldError;

    fn from_str(value: &str) -> Result<Self, FieldError> {
        match value.trim() {
            "confirmed" => Ok(HypothesisVerdict::Confirmed),
            "refuted" => Ok(HypothesisVerdict::Refuted),
            _ => Err(FieldError::new("verdict", "must be confirmed or refuted")),
        }
    }
}

/// How often stakeholders expect an update, per severity (SEV1 first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateCadence(pub [SignedDuration; 4]);

impl Default for UpdateCadence {
    fn default() -> Self {
        UpdateCadence(IncidentSeverity::ALL.map(IncidentSeverity::default_update_interval))
    }
}

impl UpdateCadence {
    pub fn interval(&self, severity: IncidentSeverity) -> SignedDuration {
        self.0[severity as usize]
    }
}

/// One incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Incident {
    pub id: IncidentId,
    /// The short number people say ("incident 42").
    pub number: i64,
    pub title: String,
    pub severity: IncidentSeverity,
    pub state: IncidentState,
    pub customer_facing: bool,
    pub data_impact: bool,
    pub services: Vec<ServiceId>,
    pub alerts: Vec<AlertId>,
    pub problem_report: Option<ProblemReport>,
    pub command: Command,
    pub investigation: Investigation,
    pub hypotheses: Vec<Hypothesis>,
    /// The document's latest revision number.
    pub document_revision: u32,
    pub declared_by: Person,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub declared_at: Timestamp,
    /// When the problem began: the first linked alert, or the declaration.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub started_at: Timestamp,
    /// When someone first responded: the first acknowledgement of a linked alert, or the declaration.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub acknowledged_at: Timestamp,
    /// When it was first mitigated: it first reached monitoring (or resolved).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub mitigated_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub resolved_at: Option<Timestamp>,
    /// When stakeholders expect the next update; none once resolved.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub next_update_due: Option<Timestamp>,
    /// When Muster last reminded the Comms Lead of an overdue update.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub reminded_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

/// A change someone asks to make to an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Offers a role to a person; it changes hands when they accept.
    OfferRole {
        role: Role,
        to: Participant,
    },
    AcceptOffer {
        role: Role,
    },
    DeclineOffer {
        role: Role,
    },
    WithdrawOffer {
        role: Role,
    },
    AddInvestigator {
        person: Participant,
    },
    RemoveInvestigator {
        user: UserId,
    },
    /// Moves the investigation to the next stage (the current output must be written) or back to
    /// an earlier one.
    MoveStage {
        stage: Stage,
    },
    /// Writes the output of `stage`, which must be the current stage (so an output typed while
    /// someone else moved the investigation on is not filed under the wrong stage); the cure
    /// stage also needs its outcome.
    WriteOutput {
        stage: Stage,
        output: String,
        outcome: Option<CureOutcome>,
    },
    CheckTactic {
        stage: Stage,
        tactic: usize,
        checked: bool,
    },
    ProposeHypothesis {
        statement: String,
    },
    JudgeHypothesis {
        number: u32,
        verdict: HypothesisVerdict,
        evidence: String,
    },
    SetState {
        state: IncidentState,
    },
    SetSeverity {
        severity: IncidentSeverity,
    },
    SetImpact {
        customer_facing: bool,
        data_impact: bool,
    },
    /// A new document revision was saved; the sections named changed.
    EditDocument {
        revision: u32,
        sections: Vec<&'static str>,
    },
    PostUpdate {
        audience: StakeholderAudience,
        body: String,
    },
    AddNote {
        text: String,
    },
    /// Pins or unpins a timeline entry (the store applies it).
    Pin {
        pinned: bool,
    },
    LinkAlert {
        alert: AlertId,
        summary: String,
    },
}

/// A timeline entry a change makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentChange {
    pub kind: TimelineKind,
    pub message: String,
    pub details: Value,
}

/// Why a change was not made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The person's part in the incident does not allow it; the text says who may.
    Forbidden(&'static str),
    /// The incident is not in a state that allows it; the text says what to do first.
    Conflict {
        field: &'static str,
        problem: String,
    },
    Invalid(Invalid),
}

impl From<FieldError> for Refusal {
    fn from(error: FieldError) -> Self {
        Refusal::Invalid(error.into())
    }
}

fn conflict(field: &'static str, problem: impl Into<String>) -> Refusal {
    Refusal::Conflict { field, problem: problem.into() }
}

fn entry(kind: TimelineKind, message: String, details: Value) -> IncidentChange {
    IncidentChange { kind, message, details }
}

/// Longest stage output, hypothesis, evidence or note.
pub const MAX_ENTRY_CHARS: usize = 10_000;

fn required_text(field: &'static str, value: &str) -> Result<String, Refusal> {
    let text = optional_text(field, value, MAX_ENTRY_CHARS)?;
    if text.is_empty() {
        return Err(FieldError::new(field, "must not be empty").into());
    }
    Ok(text)
}

impl Incident {
    /// The incident a declaration makes, with its first timeline entry. `alert_times` are the
    /// linked alerts' (first seen, acknowledged) times.
    pub fn declare(
        id: IncidentId,
        number: i64,
        declaration: Declaration,
        declarer: &Participant,
        alert_times: &[(Timestamp, Option<Timestamp>)],
        cadence: &UpdateCadence,
        now: Timestamp,
    ) -> Result<(Incident, IncidentChange), Refusal> {
        if !declarer.may_respond {
            return Err(Refusal::Forbidden(
                "declare incidents: stakeholders read incidents but do not run them",
            ));
        }
        let started_at = alert_times.iter().map(|(first, _)| *first).min().unwrap_or(now).min(now);
        let acknowledged_at = alert_times.iter().filter_map(|(_, ack)| *ack).min().unwrap_or(now).min(now);
        let person = declarer.person.clone();
        let incident = Incident {
            id,
            number,
            title: declaration.title,
            severity: declaration.severity,
            state: IncidentState::Investigating,
            customer_facing: declaration.customer_facing,
            data_impact: declaration.data_impact,
            services: declaration.services,
            alerts: declaration.alerts,
            problem_report: declaration.problem_report,
            command: Command::new(person.clone()),
            investigation: Investigation::default(),
            hypotheses: Vec::new(),
            document_revision: 1,
            declared_by: person.clone(),
            declared_at: now,
            started_at,
            acknowledged_at,
            mitigated_at: None,
            resolved_at: None,
            next_update_due: Some(now + cadence.interval(declaration.severity)),
            reminded_at: None,
            updated_at: now,
        };
        let message = format!(
            "{} declared {} \"{}\" and is Incident Commander",
            person.name,
            incident.severity.label(),
            incident.title
        );
        let details = json!({"severity": incident.severity, "alerts": incident.alerts, "commander": person});
        Ok((incident, entry(TimelineKind::Declared, message, details)))
    }

    /// Time from the start of the problem to the first response.
    pub fn time_to_acknowledge(&self) -> SignedDuration {
        self.acknowledged_at.duration_since(self.started_at)
    }

    pub fn time_to_mitigate(&self) -> Option<SignedDuration> {
        self.mitigated_at.map(|at| at.duration_since(self.started_at))
    }

    pub fn time_to_resolve(&self) -> Option<SignedDuration> {
        self.resolved_at.map(|at| at.duration_since(self.started_at))
    }

    /// Whether the next stakeholder update is overdue at `now`.
    pub fn update_overdue(&self, now: Timestamp) -> bool {
        self.next_update_due.is_some_and(|due| due <= now)
    }

    /// When Muster should next remind the Comms Lead: when the update falls due, then once per
    /// update interval while it stays overdue.
    pub fn next_reminder_at(&self, cadence: &UpdateCadence) -> Option<Timestamp> {
        let due = self.next_update_due?;
        Some(match self.reminded_at {
            Some(reminded) if reminded >= due => reminded + cadence.interval(self.severity),
            _ => due,
        })
    }

    /// Records that Muster reminded the Comms Lead (or the IC, who holds the role undelegated).
    pub fn remind(&mut self, now: Timestamp) -> IncidentChange {
        self.reminded_at = Some(now);
        let who = self.command.comms_lead.as_ref().unwrap_or(&self.command.commander);
        let due = self.next_update_due.map(|d| d.to_string()).unwrap_or_default();
        entry(
            TimelineKind::Reminder,
            format!("Reminded {} that a stakeholder update was due at {due}", who.name),
            json!({"reminded": who, "due": self.next_update_due}),
        )
    }

    fn commands(&self, who: &Participant) -> bool {
        who.is_admin || self.command.holds(Role::Commander, &who.person.id)
    }

    fn acts_as(&self, role: Role, who: &Participant) -> bool {
        who.is_admin || self.command.acts_as(role, &who.person.id)
    }

    fn takes_part(&self, who: &Participant) -> bool {
        who.is_admin || self.command.takes_part(&who.person.id)
    }

    fn require(&self, allowed: bool, why: &'static str) -> Result<(), Refusal> {
        if allowed { Ok(()) } else { Err(Refusal::Forbidden(why)) }
    }

    /// `Ok` while the investigation is in `stage`; otherwise `rule` and where it is instead.
    fn require_stage(&self, stage: Stage, rule: &str) -> Result<(), Refusal> {
        if self.investigation.stage == stage {
            Ok(())
        } else {
            Err(conflict("stage", format!("{rule}; the investigation is in {}", self.investigation.stage)))
        }
    }

    fn require_open(&self) -> Result<(), Refusal> {
        if self.state.is_open() {
            Ok(())
        } else {
            Err(conflict("state", "the incident is resolved; reopen it first"))
        }
    }

    /// Applies `change` made by `who` at `now`, or says why not; on success, returns the entries
    /// for the timeline. Nothing changes on a refusal.
    pub fn apply(
        &mut self,
        who: &Participant,
        change: Change,
        cadence: &UpdateCadence,
        now: Timestamp,
    ) -> Result<Vec<IncidentChange>, Refusal> {
        if !who.may_respond {
            return Err(Refusal::Forbidden(
                "change incidents: stakeholders can read incidents and their updates, not command them",
            ));
        }
        let mut next = self.clone();
        let entries = next.change(who, change, cadence, now)?;
        next.updated_at = now;
        *self = next;
        Ok(entries)
    }

    fn change(
        &mut self,
        who: &Participant,
        change: Change,
        cadence: &UpdateCadence,
        now: Timestamp,
    ) -> Result<Vec<IncidentChange>, Refusal> {
        let me = who.person.clone();
        let by = me.name.clone();
        let one = |kind, message: String, details| Ok(vec![entry(kind, message, details)]);
        match change {
            Change::OfferRole { role, to } => {
                self.require_open()?;
                let allowed = match role {
                    Role::Commander => self.commands(who),
                    _ => self.commands(who) || self.command.holds(role, &me.id),
                };
                self.require(
                    allowed,
                    match role {
                        Role::Commander => "hand off command: only the Incident Commander (or an admin) may",
                        _ => "appoint leads: only the Incident Commander, the role's holder or an admin may",
                    },
                )?;
                if !to.may_respond {
                    return Err(FieldError::new(
                        "user_id",
                        format!("{} is a stakeholder and cannot hold a role", to.person.name),
                    )
                    .into());
                }
                if self.command.holds(role, &to.person.id) {
                    return Err(conflict("user_id", format!("{} already holds {role}", to.person.name)));
                }
                if let Some(open) = self.command.offer(role) {
                    return Err(conflict(
                        "role",
                        format!("{role} is already offered to {}; withdraw that offer first", open.to.name),
                    ));
                }
                let offer = RoleOffer { role, from: me, to: to.person, offered_at: now };
                let message = format!("{by} offered {role} to {}", offer.to.name);
                let details = json!({"role": role, "action": "offered", "from": offer.from, "to": offer.to});
                self.command.offers.push(offer);
                one(TimelineKind::Role, message, details)
            }
            Change::AcceptOffer { role } => {
                self.require_open()?;
                let offer = self.open_offer(role)?;
                self.require(offer.to.id == me.id, "accept a role offered to someone else")?;
                let previous = self.command.holder(role).cloned();
                let message = match &previous {
                    Some(old) => format!(
                        "{by} accepted {role} from {}: \"I confirm I am now the {}\"",
                        old.name,
                        role.short()
                    ),
                    None => format!("{by} accepted {role}: \"I confirm I am now the {}\"", role.short()),
                };
                let details = json!({
                    "role": role, "action": "accepted", "from": previous, "to": me,
                    "offered_by": offer.from, "offered_at": offer.offered_at, "accepted_at": now,
                });
                self.command.hand_over(role, me.clone());
                // A new lead leads the investigators rather than being one of them.
                if role != Role::Commander {
                    self.command.investigators.retain(|p| p.id != me.id);
                }
                one(TimelineKind::Role, message, details)
            }
            Change::DeclineOffer { role } => {
                let offer = self.open_offer(role)?;
                self.require(offer.to.id == me.id, "decline a role offered to someone else")?;
                self.command.offers.retain(|o| o.role != role);
                let message = format!("{by} declined {role} offered by {}", offer.from.name);
                one(
                    TimelineKind::Role,
                    message,
                    json!({"role": role, "action": "declined", "from": offer.from, "to": me}),
                )
            }
            Change::WithdrawOffer { role } => {
                let offer = self.open_offer(role)?;
                self.require(
                    offer.from.id == me.id || self.commands(who),
                    "withdraw this offer: only whoever made it, the Incident Commander or an admin may",
                )?;
                self.command.offers.retain(|o| o.role != role);
                let message = format!("{by} withdrew the offer of {role} to {}", offer.to.name);
                one(
                    TimelineKind::Role,
                    message,
                    json!({"role": role, "action": "withdrawn", "from": offer.from, "to": offer.to}),
                )
            }
            Change::AddInvestigator { person } => {
                self.require_open()?;
                self.require(
                    self.acts_as(Role::OpsLead, who),
                    "add investigators: the Ops Lead adds them (the Incident Commander while there is none)",
                )?;
                if !person.may_respond {
                    return Err(FieldError::new(
                        "user_id",
                        format!("{} is a stakeholder and cannot investigate", person.person.name),
                    )
                    .into());
                }
                if self.command.is_investigator(&person.person.id) {
                    return Err(conflict(
                        "user_id",
                        format!("{} is already investigating", person.person.name),
                    ));
                }
                let message = format!("{by} added {} as an investigator", person.person.name);
                let details = json!({"action": "investigator_added", "by": me, "to": person.person});
                self.command.investigators.push(person.person);
                one(TimelineKind::Role, message, details)
            }
            Change::RemoveInvestigator { user } => {
                self.require(
                    self.acts_as(Role::OpsLead, who),
                    "remove investigators: the Ops Lead does (the Incident Commander while there is none)",
                )?;
                let Some(position) = self.command.investigators.iter().position(|p| p.id == user) else {
                    return Err(conflict("user_id", "that person is not investigating"));
                };
                let removed = self.command.investigators.remove(position);
                let message = format!("{by} removed {} from the investigators", removed.name);
                one(
                    TimelineKind::Role,
                    message,
                    json!({"action": "investigator_removed", "by": me, "to": removed}),
                )
            }
            Change::MoveStage { stage } => {
                self.require_open()?;
                self.require(
                    self.acts_as(Role::OpsLead, who) || self.commands(who),
                    "move the investigation: the Ops Lead or the Incident Commander does",
                )?;
                let from = self.investigation.stage;
                if stage == from {
                    return Err(conflict("stage", format!("the investigation is already in {from}")));
                }
                if stage > from {
                    if from.next() != Some(stage) {
                        return Err(conflict(
                            "stage",
                            format!(
                                "stages go one at a time: from {from} the next is {}",
                                from.next().unwrap_or(from)
                            ),
                        ));
                    }
                    if !self.output_written(from) {
                        return Err(conflict(
                            "output",
                            format!("write the {from} output before moving on: {}", from.required_output()),
                        ));
                    }
                }
                self.investigation.stage = stage;
                let message = if stage > from {
                    format!("{by} moved the investigation from {from} to {stage}")
                } else {
                    format!("{by} moved the investigation back from {from} to {stage}")
                };
                let details = json!({"from": from, "to": stage, "output": self.investigation.output(from)});
                one(TimelineKind::Stage, message, details)
            }
            Change::WriteOutput { stage, output, outcome } => {
                self.require_open()?;
                self.require(
                    self.acts_as(Role::OpsLead, who) || self.commands(who),
                    "write stage outputs: the Ops Lead or the Incident Commander does",
                )?;
                if stage != self.investigation.stage {
                    return Err(conflict(
                        "stage",
                        format!(
                            "the investigation is in {} now, not {stage}; your output was not saved",
                            self.investigation.stage
                        ),
                    ));
                }
                let output = required_text("output", &output)?;
                if stage == Stage::Cure {
                    let Some(outcome) = outcome else {
                        return Err(FieldError::new(
                            "outcome",
                            "the cure output needs an outcome: fully_working, mitigated_with_known_fix or mitigated_with_monitoring",
                        )
                        .into());
                    };
                    self.investigation.cure_outcome = Some(outcome);
                }
                self.investigation.outputs[stage.index()] = output.clone();
                let message = match (stage, self.investigation.cure_outcome) {
                    (Stage::Cure, Some(outcome)) => {
                        format!("{by} wrote the Cure output ({}): {output}", outcome.label())
                    }
                    _ => format!("{by} wrote the {stage} output: {output}"),
                };
                let details =
                    json!({"stage": stage, "output": output, "outcome": self.investigation.cure_outcome});
                one(TimelineKind::Stage, message, details)
            }
            Change::CheckTactic { stage, tactic, checked } => {
                self.require_open()?;
                self.require(
                    self.takes_part(who),
                    "tick tactics: only people with a part in the incident may",
                )?;
                let Some(name) = stage.tactics().get(tactic) else {
                    return Err(FieldError::new(
                        "tactic",
                        format!("{stage} has {} tactics", stage.tactics().len()),
                    )
                    .into());
                };
                let list = &mut self.investigation.checked[stage.index()];
                if checked == list.contains(&tactic) {
                    return Ok(Vec::new());
                }
                if checked {
                    list.push(tactic);
                    list.sort_unstable();
                } else {
                    list.retain(|t| *t != tactic);
                }
                let verb = if checked { "ticked" } else { "unticked" };
                let message = format!("{by} {verb} \"{name}\" ({stage})");
                one(TimelineKind::Stage, message, json!({"stage": stage, "tactic": name, "checked": checked}))
            }
            Change::ProposeHypothesis { statement } => {
                self.require_open()?;
                self.require(
                    self.takes_part(who),
                    "propose hypotheses: only people with a part in the incident may",
                )?;
                self.require_stage(Stage::Diagnose, "hypotheses are proposed while diagnosing")?;
                let statement = required_text("statement", &statement)?;
                let number = self.hypotheses.iter().map(|h| h.number).max().unwrap_or(0) + 1;
                let message = format!("{by} proposed hypothesis {number}: {statement}");
                self.hypotheses.push(Hypothesis {
                    number,
                    statement: statement.clone(),
                    proposed_by: me,
                    proposed_at: now,
                    verdict: None,
                    evidence: String::new(),
                    judged_by: None,
                    judged_at: None,
                });
                one(
                    TimelineKind::Hypothesis,
                    message,
                    json!({"number": number, "statement": statement, "action": "proposed"}),
                )
            }
            Change::JudgeHypothesis { number, verdict, evidence } => {
                self.require_open()?;
                self.require(
                    self.takes_part(who),
                    "judge hypotheses: only people with a part in the incident may",
                )?;
                self.require_stage(Stage::Test, "hypotheses are confirmed or refuted while testing")?;
                let evidence = required_text("evidence", &evidence)?;
                let Some(hypothesis) = self.hypotheses.iter_mut().find(|h| h.number == number) else {
                    return Err(FieldError::new("number", format!("there is no hypothesis {number}")).into());
                };
                hypothesis.verdict = Some(verdict);
                hypothesis.evidence = evidence.clone();
                hypothesis.judged_by = Some(me);
                hypothesis.judged_at = Some(now);
                let word = match verdict {
                    HypothesisVerdict::Confirmed => "confirmed",
                    HypothesisVerdict::Refuted => "refuted",
                };
                let message =
                    format!("{by} {word} hypothesis {number} ({}): {evidence}", hypothesis.statement);
                one(
                    TimelineKind::Hypothesis,
                    message,
                    json!({"number": number, "verdict": verdict, "evidence": evidence}),
                )
            }
            Change::SetState { state } => {
                self.require(self.commands(who), "change the state: the Incident Commander does")?;
                let from = self.state;
                if state == from {
                    return Err(conflict("state", format!("the incident is already {from}")));
                }
                match (from, state) {
                    (IncidentState::Resolved, IncidentState::Investigating) => {
                        self.resolved_at = None;
                        self.next_update_due = Some(now + cadence.interval(self.severity));
                    }
                    (IncidentState::Resolved, _) => {
                        return Err(conflict("state", "a resolved incident reopens to investigating"));
                    }
                    (_, IncidentState::Resolved) => {
                        if !self.investigation.is_cured() {
                            return Err(conflict(
                                "state",
                                format!("resolving needs the cure output: {}", Stage::Cure.required_output()),
                            ));
                        }
                        self.resolved_at = Some(now);
                        self.mitigated_at.get_or_insert(now);
                        self.next_update_due = None;
                    }
                    (_, IncidentState::Monitoring) => {
                        self.mitigated_at.get_or_insert(now);
                    }
                    _ => {}
                }
                self.state = state;
                let message = if from == IncidentState::Resolved {
                    format!("{by} reopened the incident")
                } else {
                    format!("{by} changed the state from {from} to {state}")
                };
                one(TimelineKind::State, message, json!({"from": from, "to": state}))
            }
            Change::SetSeverity { severity } => {
                self.require_open()?;
                self.require(self.commands(who), "change the severity: the Incident Commander does")?;
                let from = self.severity;
                if severity == from {
                    return Err(conflict("severity", format!("the incident is already {from}")));
                }
                self.severity = severity;
                // A graver incident needs its next update sooner; a lighter one keeps its due time.
                let sooner = now + cadence.interval(severity);
                self.next_update_due = self.next_update_due.map(|due| due.min(sooner));
                let message = format!("{by} changed the severity from {from} to {severity}");
                one(TimelineKind::Severity, message, json!({"from": from, "to": severity}))
            }
            Change::SetImpact { customer_facing, data_impact } => {
                self.require(self.commands(who), "change the impact: the Incident Commander does")?;
                if (customer_facing, data_impact) == (self.customer_facing, self.data_impact) {
                    return Ok(Vec::new());
                }
                self.customer_facing = customer_facing;
                self.data_impact = data_impact;
                let yes_no = |b: bool| if b { "yes" } else { "no" };
                let message = format!(
                    "{by} set customer-facing: {}, data impact: {}",
                    yes_no(customer_facing),
                    yes_no(data_impact)
                );
                one(
                    TimelineKind::Impact,
                    message,
                    json!({"customer_facing": customer_facing, "data_impact": data_impact}),
                )
            }
            Change::EditDocument { revision, sections } => {
                self.require(self.takes_part(who), "edit the document: the roles and investigators do")?;
                self.document_revision = revision;
                let message =
                    format!("{by} edited the document (revision {revision}): {}", sections.join(", "));
                one(TimelineKind::Document, message, json!({"revision": revision, "sections": sections}))
            }
            Change::PostUpdate { audience, body } => {
                self.require(
                    self.acts_as(Role::CommsLead, who),
                    "post stakeholder updates: the Comms Lead does (the Incident Commander while there is none)",
                )?;
                let body = required_text("body", &body)?;
                if self.state.is_open() {
                    self.next_update_due = Some(now + cadence.interval(self.severity));
                }
                let message = format!("{by} posted an {} stakeholder update: {body}", audience.as_str());
                one(TimelineKind::StakeholderUpdate, message, json!({"audience": audience, "body": body}))
            }
            Change::AddNote { text } => {
                let text = optional_text("text", &text, MAX_DESCRIPTION_CHARS * 5)?;
                if text.is_empty() {
                    return Err(FieldError::new("text", "must not be empty").into());
                }
                one(TimelineKind::Note, text, Value::Null)
            }
            Change::Pin { .. } => {
                self.require(self.takes_part(who), "pin entries: the roles and investigators do")?;
                Ok(Vec::new())
            }
            Change::LinkAlert { alert, summary } => {
                self.require_open()?;
                self.require(self.takes_part(who), "link alerts: the roles and investigators do")?;
                if self.alerts.contains(&alert) {
                    return Err(conflict("alert_id", "the alert is already linked"));
                }
                let message = format!("{by} linked alert \"{summary}\"");
                let details = json!({"alert_id": alert});
                self.alerts.push(alert);
                one(TimelineKind::AlertLinked, message, details)
            }
        }
    }

    fn open_offer(&self, role: Role) -> Result<RoleOffer, Refusal> {
        self.command.offer(role).cloned().ok_or_else(|| conflict("role", format!("{role} is not on offer")))
    }

    /// Whether a stage's output is written: text for most, a proposed hypothesis for diagnose,
    /// an outcome and text for cure.
    pub fn output_written(&self, stage: Stage) -> bool {
        match stage {
            Stage::Diagnose => !self.hypotheses.is_empty(),
            Stage::Cure => self.investigation.is_cured(),
            _ => !self.investigation.output(stage).is_empty(),
        }
    }
}
