use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::{
    alert::{Alert, AlertStatus, Priority, Severity},
    ids::{AlertId, IncidentId, ServiceId, UserId},
};

fn alert_at(seen: Timestamp) -> Alert {
    Alert {
        id: AlertId("a1".into()),
        service_id: ServiceId("payments".into()),
        dedup_key: "db-1/disk".into(),
        status: AlertStatus::Triggered,
        severity: Severity::Critical,
        priority: Priority::BusinessCritical,
        summary: String::new(),
        source: "db-1".into(),
        component: None,
        group: None,
        class: None,
        details: serde_json::Value::Null,
        links: vec![],
        images: vec![],
        client: None,
        client_url: None,
        origin: "generic".into(),
        suppressed: false,
        grouped: 0,
        first_seen_at: seen,
        last_seen_at: seen,
        occurrences: 1,
        acknowledged_at: None,
        acknowledged_by: None,
        resolved_at: None,
        resolved_by: None,
        updated_at: seen,
    }
}

fn at(minute: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + minute * 60).unwrap()
}

fn person(name: &str) -> Participant {
    Participant {
        person: Person { id: UserId(name.to_lowercase()), name: name.into() },
        may_respond: true,
        is_admin: false,
    }
}

fn stakeholder(name: &str) -> Participant {
    Participant { may_respond: false, ..person(name) }
}

fn admin(name: &str) -> Participant {
    Participant { is_admin: true, ..person(name) }
}

fn declared_by(declarer: &Participant) -> Incident {
    let declaration = Declaration::parse(
        "Checkout fails",
        "sev2",
        vec![ServiceId("payments".into())],
        (true, false),
        vec![AlertId("a1".into())],
        None,
    )
    .unwrap();
    let (incident, _) = Incident::declare(
        IncidentId("i1".into()),
        1,
        declaration,
        declarer,
        &[(at(-10), Some(at(-5)))],
        &UpdateCadence::default(),
        at(0),
    )
    .unwrap();
    incident
}

fn apply(
    incident: &mut Incident,
    who: &Participant,
    change: Change,
    minute: i64,
) -> Result<Vec<IncidentChange>, Refusal> {
    incident.apply(who, change, &UpdateCadence::default(), at(minute))
}

fn forbidden(result: Result<Vec<IncidentChange>, Refusal>) -> bool {
    matches!(result, Err(Refusal::Forbidden(_)))
}

fn conflict_on(result: Result<Vec<IncidentChange>, Refusal>) -> Option<&'static str> {
    match result {
        Err(Refusal::Conflict { field, .. }) => Some(field),
        _ => None,
    }
}

#[test]
fn the_declarer_commands_and_the_times_come_from_the_alerts() {
    let alice = person("Alice");
    let incident = declared_by(&alice);
    assert_eq!(incident.command.commander.name, "Alice");
    assert_eq!(incident.state, IncidentState::Investigating);
    assert_eq!(incident.time_to_acknowledge(), SignedDuration::from_mins(5));
    assert_eq!(incident.next_update_due, Some(at(60)), "SEV2 updates are due hourly");
    let refused = Incident::declare(
        IncidentId("i2".into()),
        2,
        Declaration::parse("x", "sev4", vec![], (false, false), vec![AlertId("a".into())], None).unwrap(),
        &stakeholder("Sam"),
        &[],
        &UpdateCadence::default(),
        at(0),
    );
    assert!(matches!(refused, Err(Refusal::Forbidden(_))));
}

#[test]
fn a_declaration_needs_a_title_and_an_alert_or_a_problem_report() {
    let fields = |r: Result<Declaration, crate::Invalid>| -> Vec<String> {
        r.err().map(|e| e.0.into_iter().map(|f| f.field).collect()).unwrap_or_default()
    };
    assert_eq!(
        fields(Declaration::parse(" ", "sev9", vec![], (false, false), vec![], None)),
        ["title", "severity", "alert_ids"]
    );
    let report = ProblemReport::parse("200 OK", "502 from /checkout", "").unwrap();
    assert!(Declaration::parse("Checkout", "SEV1", vec![], (false, false), vec![], Some(report)).is_ok());
    assert_eq!(ProblemReport::parse("", "x", "").unwrap_err().0[0].field, "expected");
}

fn any_declaration() -> Declaration {
    Declaration::parse("t", "sev1", vec![], (false, false), vec![AlertId("a".into())], None).unwrap()
}

#[test]
fn a_hand_off_takes_effect_only_when_accepted() {
    let (alice, bob, carol) = (person("Alice"), person("Bob"), person("Carol"));
    let mut incident = declared_by(&alice);
    assert!(forbidden(apply(
        &mut incident,
        &bob,
        Change::OfferRole { role: Role::Commander, to: bob.clone() },
        1
    )));
    apply(&mut incident, &alice, Change::OfferRole { role: Role::Commander, to: bob.clone() }, 1).unwrap();
    assert_eq!(incident.command.commander.name, "Alice", "an offer alone changes nothing");
    assert!(
        forbidden(apply(&mut incident, &bob, Change::SetSeverity { severity: IncidentSeverity::Sev1 }, 2)),
        "until acceptance the old holder is in command"
    );
    assert!(forbidden(apply(&mut incident, &carol, Change::AcceptOffer { role: Role::Commander }, 2)));
    assert_eq!(
        conflict_on(apply(
            &mut incident,
            &alice,
            Change::OfferRole { role: Role::Commander, to: carol.clone() },
            2
        )),
        Some("role"),
        "one open offer per role"
    );
    let entries = apply(&mut incident, &bob, Change::AcceptOffer { role: Role::Commander }, 3).unwrap();
    assert_eq!(incident.command.commander.name, "Bob");
    assert!(incident.command.offers.is_empty());
    assert_eq!(
        entries[0].message,
        "Bob accepted Incident Commander from Alice: \"I confirm I am now the IC\""
    );
    assert_eq!(entries[0].details["from"]["name"], "Alice");
    assert_eq!(entries[0].details["offered_at"], serde_json::json!(at(1)));
    assert!(forbidden(apply(
        &mut incident,
        &alice,
        Change::SetSeverity { severity: IncidentSeverity::Sev1 },
        4
    )));
    apply(&mut incident, &bob, Change::SetSeverity { severity: IncidentSeverity::Sev1 }, 4).unwrap();
}

#[test]
fn offers_can_be_declined_or_withdrawn() {
    let (alice, bob, carol) = (person("Alice"), person("Bob"), person("Carol"));
    let mut incident = declared_by(&alice);
    apply(&mut incident, &alice, Change::OfferRole { role: Role::Commander, to: bob.clone() }, 1).unwrap();
    let declined = apply(&mut incident, &bob, Change::DeclineOffer { role: Role::Commander }, 2).unwrap();
    assert_eq!(declined[0].message, "Bob declined Incident Commander offered by Alice");
    assert_eq!(
        conflict_on(apply(&mut incident, &bob, Change::AcceptOffer { role: Role::Commander }, 3)),
        Some("role")
    );
    apply(&mut incident, &alice, Change::OfferRole { role: Role::OpsLead, to: carol.clone() }, 4).unwrap();
    assert!(forbidden(apply(&mut incident, &bob, Change::WithdrawOffer { role: Role::OpsLead }, 5)));
    apply(&mut incident, &alice, Change::WithdrawOffer { role: Role::OpsLead }, 5).unwrap();
    assert_eq!(incident.command.ops_lead, None);
    assert_eq!(
        conflict_on(apply(&mut incident, &carol, Change::AcceptOffer { role: Role::OpsLead }, 6)),
        Some("role")
    );
    let admin = admin("Root");
    apply(&mut incident, &admin, Change::OfferRole { role: Role::Commander, to: carol.clone() }, 7).unwrap();
    apply(&mut incident, &carol, Change::AcceptOffer { role: Role::Commander }, 8).unwrap();
    assert_eq!(incident.command.commander.name, "Carol", "an admin may hand off command");
}

#[test]
fn stakeholders_read_but_do_not_command() {
    let (alice, sam) = (person("Alice"), stakeholder("Sam"));
    let mut incident = declared_by(&alice);
    assert!(matches!(
        apply(&mut incident, &alice, Change::OfferRole { role: Role::CommsLead, to: sam.clone() }, 1),
        Err(Refusal::Invalid(_))
    ));
    for change in [
        Change::AddNote { text: "hello".into() },
        Change::SetState { state: IncidentState::Identified },
        Change::PostUpdate { audience: StakeholderAudience::Public, body: "x".into() },
    ] {
        assert!(forbidden(apply(&mut incident, &sam, change, 2)));
    }
}

#[test]
fn the_commander_holds_every_role_not_delegated() {
    let (alice, bob, dan) = (person("Alice"), person("Bob"), person("Dan"));
    let mut incident = declared_by(&alice);
    apply(&mut incident, &alice, Change::AddInvestigator { person: dan.clone() }, 1).unwrap();
    apply(&mut incident, &alice, Change::OfferRole { role: Role::OpsLead, to: bob.clone() }, 2).unwrap();
    apply(&mut incident, &bob, Change::AcceptOffer { role: Role::OpsLead }, 3).unwrap();
    assert!(forbidden(apply(
        &mut incident,
        &alice,
        Change::RemoveInvestigator { user: dan.person.id.clone() },
        4
    )));
    apply(&mut incident, &bob, Change::RemoveInvestigator { user: dan.person.id.clone() }, 4).unwrap();
    let posted = apply(
        &mut incident,
        &alice,
        Change::PostUpdate { audience: StakeholderAudience::Internal, body: "Working on it".into() },
        30,
    );
    assert!(posted.is_ok(), "no Comms Lead yet, so the IC posts");
    assert_eq!(incident.next_update_due, Some(at(90)));
    assert!(forbidden(apply(
        &mut incident,
        &bob,
        Change::PostUpdate { audience: StakeholderAudience::Public, body: "x".into() },
        31
    )));
}

fn move_to(incident: &mut Incident, who: &Participant, stage: Stage) -> Result<Vec<IncidentChange>, Refusal> {
    apply(incident, who, Change::MoveStage { stage }, 10)
}

fn write(incident: &mut Incident, who: &Participant, output: &str) {
    let stage = incident.investigation.stage;
    apply(incident, who, Change::WriteOutput { stage, output: output.into(), outcome: None }, 10).unwrap();
}

#[test]
fn a_stage_is_left_only_with_its_output_written_and_one_at_a_time() {
    let alice = person("Alice");
    let mut incident = declared_by(&alice);
    assert_eq!(conflict_on(move_to(&mut incident, &alice, Stage::Examine)), Some("output"));
    write(&mut incident, &alice, "Added two web nodes; error rate back under 1%");
    assert_eq!(conflict_on(move_to(&mut incident, &alice, Stage::Diagnose)), Some("stage"), "no skipping");
    let moved = move_to(&mut incident, &alice, Stage::Examine).unwrap();
    assert_eq!(moved[0].message, "Alice moved the investigation from Triage to Examine");
    write(&mut incident, &alice, "Connection pool exhausted after the 10:02 deploy");
    move_to(&mut incident, &alice, Stage::Diagnose).unwrap();
    assert_eq!(
        conflict_on(move_to(&mut incident, &alice, Stage::Test)),
        Some("output"),
        "the shortlist is the diagnose output"
    );
    apply(
        &mut incident,
        &alice,
        Change::ProposeHypothesis { statement: "Pool size halved by config".into() },
        11,
    )
    .unwrap();
    apply(
        &mut incident,
        &alice,
        Change::ProposeHypothesis { statement: "Slow query holds connections".into() },
        11,
    )
    .unwrap();
    move_to(&mut incident, &alice, Stage::Test).unwrap();
    assert_eq!(
        conflict_on(apply(&mut incident, &alice, Change::ProposeHypothesis { statement: "late".into() }, 12)),
        Some("stage")
    );
    apply(
        &mut incident,
        &alice,
        Change::JudgeHypothesis {
            number: 1,
            verdict: HypothesisVerdict::Confirmed,
            evidence: "config diff shows 50 → 25".into(),
        },
        12,
    )
    .unwrap();
    apply(
        &mut incident,
        &alice,
        Change::JudgeHypothesis {
            number: 2,
            verdict: HypothesisVerdict::Refuted,
            evidence: "no slow queries in the log".into(),
        },
        12,
    )
    .unwrap();
    assert!(matches!(
        apply(
            &mut incident,
            &alice,
            Change::JudgeHypothesis { number: 3, verdict: HypothesisVerdict::Refuted, evidence: "x".into() },
            12
        ),
        Err(Refusal::Invalid(_))
    ));
    assert_eq!(incident.hypotheses[0].verdict, Some(HypothesisVerdict::Confirmed));
    move_to(&mut incident, &alice, Stage::Diagnose).expect("going back needs no output");
    assert_eq!(
        incident.investigation.output(Stage::Examine),
        "Connection pool exhausted after the 10:02 deploy"
    );
}

#[test]
fn resolving_needs_the_cure_output_and_records_the_times() {
    let alice = person("Alice");
    let mut incident = declared_by(&alice);
    apply(&mut incident, &alice, Change::SetState { state: IncidentState::Monitoring }, 20).unwrap();
    assert_eq!(incident.mitigated_at, Some(at(20)));
    assert_eq!(
        conflict_on(apply(&mut incident, &alice, Change::SetState { state: IncidentState::Resolved }, 21)),
        Some("state")
    );
    for (stage, output) in [(Stage::Triage, "stable"), (Stage::Examine, "trigger")] {
        assert_eq!(incident.investigation.stage, stage);
        write(&mut incident, &alice, output);
        move_to(&mut incident, &alice, stage.next().unwrap()).unwrap();
    }
    apply(&mut incident, &alice, Change::ProposeHypothesis { statement: "pool".into() }, 22).unwrap();
    move_to(&mut incident, &alice, Stage::Test).unwrap();
    write(&mut incident, &alice, "confident: config diff");
    move_to(&mut incident, &alice, Stage::Cure).unwrap();
    assert!(matches!(
        apply(
            &mut incident,
            &alice,
            Change::WriteOutput { stage: Stage::Cure, output: "restored".into(), outcome: None },
            23
        ),
        Err(Refusal::Invalid(_))
    ));
    assert_eq!(
        conflict_on(apply(
            &mut incident,
            &alice,
            Change::WriteOutput { stage: Stage::Test, output: "late".into(), outcome: None },
            23
        )),
        Some("stage"),
        "an output typed for a stage the investigation has left is refused"
    );
    apply(
        &mut incident,
        &alice,
        Change::WriteOutput {
            stage: Stage::Cure,
            output: "Pool restored to 50".into(),
            outcome: Some(CureOutcome::FullyWorking),
        },
        23,
    )
    .unwrap();
    apply(&mut incident, &alice, Change::SetState { state: IncidentState::Resolved }, 40).unwrap();
    assert_eq!(incident.time_to_resolve(), Some(SignedDuration::from_mins(50)));
    assert_eq!(incident.time_to_mitigate(), Some(SignedDuration::from_mins(30)));
    assert_eq!(incident.next_update_due, None, "no reminders once resolved");
    assert_eq!(
        conflict_on(apply(&mut incident, &alice, Change::MoveStage { stage: Stage::Triage }, 41)),
        Some("state")
    );
    assert_eq!(
        conflict_on(apply(&mut incident, &alice, Change::SetState { state: IncidentState::Monitoring }, 41)),
        Some("state")
    );
    let reopened =
        apply(&mut incident, &alice, Change::SetState { state: IncidentState::Investigating }, 42).unwrap();
    assert_eq!(reopened[0].message, "Alice reopened the incident");
    assert_eq!(incident.resolved_at, None);
}

#[test]
fn reminders_fall_due_with_the_update_and_repeat_each_interval() {
    let alice = person("Alice");
    let mut incident = declared_by(&alice);
    let cadence = UpdateCadence::default();
    assert_eq!(incident.next_reminder_at(&cadence), Some(at(60)));
    assert!(!incident.update_overdue(at(59)));
    assert!(incident.update_overdue(at(60)));
    incident.remind(at(60));
    assert_eq!(incident.next_reminder_at(&cadence), Some(at(120)));
    apply(&mut incident, &alice, Change::SetSeverity { severity: IncidentSeverity::Sev1 }, 70).unwrap();
    assert_eq!(incident.next_update_due, Some(at(60)), "an overdue update stays overdue");
    apply(
        &mut incident,
        &alice,
        Change::PostUpdate { audience: StakeholderAudience::Public, body: "Fix deploying".into() },
        75,
    )
    .unwrap();
    assert_eq!(incident.next_update_due, Some(at(105)), "SEV1: every 30 minutes");
    assert_eq!(incident.next_reminder_at(&cadence), Some(at(105)));
}

#[test]
fn the_document_diff_shows_only_changed_sections_line_by_line() {
    let alice = person("Alice").person;
    let declaration = any_declaration();
    let first = DocumentSections::template(&declaration, &["Payments".into()], &["/alerts/a".into()]);
    assert!(first.impact.contains("Services: Payments"));
    let mut second = first.clone();
    second.current_status = "Identified: pool size.\nFix rolling out.".into();
    let revision =
        |n, sections| DocumentRevision { revision: n, sections, author: alice.clone(), at: at(n as i64) };
    let diff = DocumentDiff::between(&revision(1, first.clone()), &revision(2, second.clone()));
    assert_eq!(diff.sections.len(), 1);
    assert_eq!(diff.sections[0].heading, "Current status");
    let changes: Vec<(&str, &str)> =
        diff.sections[0].lines.iter().map(|l| (l.change, l.text.as_str())).collect();
    assert_eq!(
        changes,
        [
            ("removed", "Investigating. Triage: getting the system back to good enough."),
            ("added", "Identified: pool size."),
            ("added", "Fix rolling out."),
        ]
    );
    assert_eq!(second.changed_sections(&first), ["Current status"]);
    let too_long = DocumentSections { summary: "x".repeat(20_001), ..first };
    assert_eq!(DocumentSections::parse(too_long).unwrap_err().0[0].field, "summary");
}

#[test]
fn criteria_and_playbooks_say_whether_an_alert_needs_an_incident() {
    let mut alert = alert_at(at(0));
    alert.summary = "Disk full on db-1".into();
    let criteria = DeclarationCriteria::default();
    assert!(!should_prompt(&criteria, &alert, at(40)), "not acknowledged: nobody is investigating yet");
    alert.status = AlertStatus::Acknowledged;
    alert.acknowledged_at = Some(at(5));
    assert!(!should_prompt(&criteria, &alert, at(34)));
    assert!(should_prompt(&criteria, &alert, at(35)));
    let checks = criteria_met(&criteria, &alert, 1, at(35));
    let met: Vec<(&str, Option<bool>)> = checks.iter().map(|c| (c.name, c.met)).collect();
    assert_eq!(
        met,
        [
            ("Investigation time", Some(true)),
            ("Customer impact", None),
            ("Services affected", Some(false)),
            ("Data at risk", None)
        ]
    );
    assert!(DeclarationCriteria::parse(15, 3).is_ok());
    let fields: Vec<String> =
        DeclarationCriteria::parse(0, 101).unwrap_err().0.into_iter().map(|f| f.field).collect();
    assert_eq!(fields, ["investigation_minutes", "services_affected"]);
    assert_eq!(Playbook::parse("Disk", " ", "").unwrap_err().0.len(), 2, "matches and steps are required");
    let playbook = Playbook {
        id: crate::ids::PlaybookId("p".into()),
        service_id: alert.service_id.clone(),
        name: "Disk full".into(),
        matches: "DISK FULL".into(),
        steps: "Rotate logs".into(),
    };
    assert!(playbook.applies_to(&alert));
    alert.summary = "CPU high".into();
    assert!(!playbook.applies_to(&alert));
}
