use jiff::{SignedDuration, Timestamp, civil::date, tz::TimeZone};

use super::*;
use crate::{
    ids::{ActionItemId, AlertId, IncidentId, PostmortemId, ServiceId, TimelineEntryId, UserId},
    incident::{
        Change, CureOutcome, Declaration, HypothesisVerdict, Incident, IncidentState, Participant, Person,
        Role, Stage, TimelineEntry, TimelineKind, UpdateCadence,
    },
};

fn london() -> TimeZone {
    TimeZone::get("Europe/London").unwrap()
}

/// Friday 2026-11-27 14:00 UTC plus `minutes`.
fn at(minutes: i64) -> Timestamp {
    "2026-11-27T14:00:00Z".parse::<Timestamp>().unwrap() + SignedDuration::from_mins(minutes)
}

fn person(name: &str) -> Participant {
    Participant {
        person: Person { id: UserId(name.to_lowercase()), name: name.into() },
        may_respond: true,
        is_admin: false,
    }
}

fn admin(name: &str) -> Participant {
    Participant { is_admin: true, ..person(name) }
}

/// An incident declared by Ada with Bo as Ops Lead, investigated to the cure and resolved after
/// `minutes`.
fn resolved_incident(customer_facing: bool, services: usize, minutes: i64) -> Incident {
    let (ada, bo) = (person("Ada"), person("Bo"));
    let services = (0..services).map(|i| ServiceId(format!("s{i}"))).collect();
    let declaration = Declaration::parse(
        "Checkout fails",
        "sev2",
        services,
        (customer_facing, false),
        vec![AlertId("a".into())],
        None,
    )
    .unwrap();
    let cadence = UpdateCadence::default();
    let (mut incident, _) = Incident::declare(
        IncidentId("i".into()),
        7,
        declaration,
        &ada,
        &[(at(0), Some(at(2)))],
        &cadence,
        at(0),
    )
    .unwrap();
    let mut run = |who: &Participant, change| incident.apply(who, change, &cadence, at(1)).unwrap();
    run(&ada, Change::OfferRole { role: Role::OpsLead, to: bo.clone() });
    run(&bo, Change::AcceptOffer { role: Role::OpsLead });
    let output = |stage, text: &str| Change::WriteOutput { stage, output: text.into(), outcome: None };
    run(&bo, output(Stage::Triage, "Failed over to eu-central"));
    run(&bo, Change::MoveStage { stage: Stage::Examine });
    run(&bo, output(Stage::Examine, "The 10:02 deploy halved the pool"));
    run(&bo, Change::MoveStage { stage: Stage::Diagnose });
    run(&bo, Change::ProposeHypothesis { statement: "Pool size config".into() });
    run(&bo, Change::MoveStage { stage: Stage::Test });
    run(
        &bo,
        Change::JudgeHypothesis {
            number: 1,
            verdict: HypothesisVerdict::Confirmed,
            evidence: "config diff".into(),
        },
    );
    run(&bo, output(Stage::Test, "Confident"));
    run(&bo, Change::MoveStage { stage: Stage::Cure });
    run(
        &bo,
        Change::WriteOutput {
            stage: Stage::Cure,
            output: "Pool restored".into(),
            outcome: Some(CureOutcome::FullyWorking),
        },
    );
    incident.apply(&ada, Change::SetState { state: IncidentState::Resolved }, &cadence, at(minutes)).unwrap();
    incident
}

#[test]
fn a_postmortem_is_required_for_major_incidents_and_due_five_working_days_later() {
    let policy = PostmortemPolicy::default();
    let cases: &[(bool, usize, i64, &[&str])] = &[
        (false, 1, 60, &[]),
        (true, 1, 60, &["customer_facing"]),
        (false, 2, 60, &["multiple_services"]),
        (false, 1, 5 * 60, &["lengthy"]),
        (true, 3, 5 * 60, &["customer_facing", "multiple_services", "lengthy"]),
    ];
    for (customer_facing, services, minutes, expected) in cases {
        let incident = resolved_incident(*customer_facing, *services, *minutes);
        let found = requirement(&incident, &policy, &london());
        let reasons: Vec<String> = found
            .reasons
            .iter()
            .map(|r| serde_json::to_value(r).unwrap()["reason"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(reasons, *expected, "{customer_facing} {services} {minutes}");
        assert_eq!(found.required, !expected.is_empty());
        assert_eq!(found.due_at.is_some(), found.required);
    }
    let incident = resolved_incident(true, 1, 60);
    let due = requirement(&incident, &policy, &london()).due_at.unwrap();
    assert_eq!(
        due,
        "2026-12-04T15:00:00Z".parse::<Timestamp>().unwrap(),
        "resolved Friday 15:00: due the next Friday"
    );
    assert_eq!(
        after_working_days("2026-12-01T09:00:00Z".parse().unwrap(), 5, &london()),
        "2026-12-08T09:00:00Z".parse::<Timestamp>().unwrap()
    );
}

#[test]
fn the_blameless_check_flags_blame_and_leaves_neutral_sentences_alone() {
    let people = vec!["Bo Diddley".to_owned(), "Ada Lovelace".to_owned()];
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("problem_summary", "It was Bo's fault that the pool shrank.", Some("fault")),
        ("went_wrong", "The on-call engineer should have checked the dashboard.", Some("should_have")),
        ("problem_summary", "A careless change went out on Friday.", Some("careless")),
        ("root_cause", "Human error.", Some("human_error")),
        ("problem_summary", "The root cause was operator error during the deploy.", Some("human_error")),
        ("problem_summary", "Bo forgot to run the config check.", Some("person_failed")),
        ("problem_summary", "Ada then broke the staging cluster.", Some("person_failed")),
        ("went_wrong", "It was Ada's mistake to skip review.", Some("possessive_mistake")),
        ("problem_summary", "The deploy ran without the config check.", None),
        ("went_well", "Bo restored the pool within ten minutes.", None),
        ("went_well", "Training on human error reduction helped us.", None),
        ("problem_summary", "The default shoulder size was wrong.", None),
        ("problem_summary", "Faultless failover to eu-central.", None),
        ("problem_summary", "Nobody was to be found; Bobby forgot nothing.", None),
    ];
    for (section, sentence, rule) in cases {
        let flags = check_blameless(&[(section, sentence)], &people);
        assert_eq!(flags.first().map(|f| f.rule), *rule, "{sentence}");
        if let Some(flag) = flags.first() {
            assert_eq!(flag.sentence, *sentence);
            assert!(!flag.suggestion.is_empty());
        }
    }
    let text = "The pool shrank. Bo forgot the check! Then it recovered.";
    let flags = check_blameless(&[("problem_summary", text)], &people);
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].sentence, "Bo forgot the check!");
    let again = check_blameless(&[("problem_summary", "Other text. Bo forgot the check!")], &people);
    assert_eq!(again[0].id, flags[0].id, "a flag's id follows its sentence, not the rest of the text");
    assert_eq!(BLAMELESS_RULES.len(), 6);
}

fn draft(incident: &Incident) -> PostmortemDocument {
    let timeline = vec![
        TimelineEntry {
            id: TimelineEntryId("t1".into()),
            incident_id: incident.id.clone(),
            at: at(0),
            kind: TimelineKind::Declared,
            actor: None,
            message: "Ada declared SEV2".into(),
            details: serde_json::json!({}),
            pinned: false,
        },
        TimelineEntry {
            id: TimelineEntryId("t2".into()),
            incident_id: incident.id.clone(),
            at: at(5),
            kind: TimelineKind::Note,
            actor: None,
            message: "Graphs show the pool at 25".into(),
            details: serde_json::Value::Null,
            pinned: true,
        },
        TimelineEntry {
            id: TimelineEntryId("t3".into()),
            incident_id: incident.id.clone(),
            at: at(6),
            kind: TimelineKind::Note,
            actor: None,
            message: "Coffee".into(),
            details: serde_json::Value::Null,
            pinned: false,
        },
    ];
    let facts = IncidentFacts {
        incident,
        timeline: &timeline,
        service_names: &["Checkout".to_owned()],
        targets_met: 1,
        targets_missed: 0,
    };
    draft_from_incident(facts, &london())
}

#[test]
fn the_draft_is_prefilled_from_the_incident_and_exports_every_section() {
    let incident = resolved_incident(true, 1, 90);
    let document = draft(&incident);
    assert_eq!(
        document.authors.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        ["Ada", "Bo"],
        "IC and OL"
    );
    assert_eq!(document.commander.name, "Ada");
    assert_eq!(document.date, "2026-11-27");
    assert!(
        document.executive_summary.contains("SEV2 incident 7")
            && document.executive_summary.contains("90 minutes")
    );
    assert!(document.impact.contains("Services: Checkout") && document.impact.contains("1 met, 0 missed"));
    assert!(document.root_cause.contains("Pool size config (evidence: config diff)"));
    assert_eq!(document.trigger, "The 10:02 deploy halved the pool");
    assert_eq!(document.resolution, "Fully working. Pool restored");
    let lines: Vec<&str> = document.timeline.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(lines, ["Ada declared SEV2", "Graphs show the pool at 25"], "key and pinned entries only");
    let item = ActionItem {
        id: ActionItemId("x".into()),
        postmortem_id: PostmortemId("p".into()),
        title: "Check pool size in CI".into(),
        owner: person("Bo").person,
        due_on: Some(date(2026, 12, 11)),
        priority: ActionPriority::High,
        status: ActionStatus::Open,
        wont_do_reason: None,
        tracker_url: Some("https://tracker.example/OPS-12".into()),
        reminded_at: None,
    };
    let markdown = to_markdown(&document, &[item], &london());
    for heading in [
        "# Postmortem: Checkout fails",
        "**Date:** 2026-11-27",
        "**Authors:** Ada, Bo",
        "**Reviewers:** —",
        "**Incident Commander:** Ada",
        "## Executive summary",
        "## Problem summary",
        "## Impact",
        "## Timeline",
        "## Root cause and trigger",
        "## Resolution",
        "## Action items",
        "- [ ] Check pool size in CI (Bo, high, due 2026-12-11, open) ([tracker](https://tracker.example/OPS-12))",
        "## Lessons learned",
        "### What went well",
        "### What went wrong",
        "### Where we got lucky",
    ] {
        assert!(markdown.contains(heading), "{heading} missing from:\n{markdown}");
    }
}

fn postmortem() -> Postmortem {
    let mut document = draft(&resolved_incident(true, 1, 90));
    document.went_wrong = vec!["Bo forgot to run the config check.".into()];
    Postmortem::new(PostmortemId("p".into()), IncidentId("i".into()), document, at(100))
}

fn refused_on(result: Result<String, crate::incident::Refusal>) -> Option<&'static str> {
    match result {
        Err(crate::incident::Refusal::Conflict { field, .. }) => Some(field),
        Err(crate::incident::Refusal::Forbidden(_)) => Some("forbidden"),
        Err(crate::incident::Refusal::Invalid(_)) => Some("invalid"),
        Ok(_) => None,
    }
}

#[test]
fn review_and_publish_follow_the_workflow_rules() {
    let (ada, bo, cy, root) = (person("Ada"), person("Bo"), person("Cy"), admin("Root"));
    let mut pm = postmortem();
    assert_eq!(refused_on(pm.apply(&ada, PostmortemChange::Submit, &[], at(101))), Some("reviewers"));
    pm.apply(&ada, PostmortemChange::SetReviewers { reviewers: vec![cy.clone()] }, &[], at(101)).unwrap();
    assert_eq!(refused_on(pm.apply(&ada, PostmortemChange::Submit, &[], at(102))), Some("blameless"));
    let flag = pm.open_flags(&[]).remove(0);
    assert_eq!(flag.rule, "person_failed");
    assert_eq!(
        refused_on(pm.apply(
            &ada,
            PostmortemChange::Dismiss { flag_id: flag.id.clone(), reason: " ".into() },
            &[],
            at(103)
        )),
        Some("invalid")
    );
    let mut fixed = pm.document.clone();
    fixed.went_wrong = vec!["The deploy ran without the config check.".into()];
    assert_eq!(
        refused_on(pm.apply(&cy, PostmortemChange::Edit { document: Box::new(fixed.clone()) }, &[], at(103))),
        Some("forbidden")
    );
    pm.apply(&bo, PostmortemChange::Edit { document: Box::new(fixed) }, &[], at(104)).unwrap();
    pm.apply(&ada, PostmortemChange::Submit, &[], at(105)).unwrap();
    assert_eq!(pm.status, PostmortemStatus::InReview);

    assert_eq!(
        refused_on(pm.apply(&bo, PostmortemChange::Approve, &[], at(106))),
        Some("forbidden"),
        "not a reviewer"
    );
    assert_eq!(refused_on(pm.apply(&ada, PostmortemChange::Publish, &[], at(106))), Some("approvals"));
    pm.apply(&cy, PostmortemChange::RequestChanges { comment: "Add what went well".into() }, &[], at(107))
        .unwrap();
    assert_eq!(pm.status, PostmortemStatus::Draft);
    let mut better = pm.document.clone();
    better.went_well = vec!["Failover took four minutes.".into()];
    pm.apply(&ada, PostmortemChange::Edit { document: Box::new(better) }, &[], at(108)).unwrap();
    pm.apply(&ada, PostmortemChange::Submit, &[], at(109)).unwrap();
    pm.apply(&cy, PostmortemChange::Approve, &[], at(110)).unwrap();
    let said = pm.apply(&ada, PostmortemChange::Publish, &[], at(111)).unwrap();
    assert_eq!(said, "Ada published the postmortem");
    assert_eq!(
        (pm.status, pm.published_at, pm.override_by.clone()),
        (PostmortemStatus::Published, Some(at(111)), None)
    );

    let mut late = pm.document.clone();
    late.got_lucky = vec!["It happened before the sale.".into()];
    assert_eq!(
        refused_on(pm.apply(&ada, PostmortemChange::Edit { document: Box::new(late.clone()) }, &[], at(112))),
        Some("status")
    );
    assert_eq!(
        refused_on(pm.apply(
            &ada,
            PostmortemChange::Correct { document: Box::new(pm.document.clone()), reason: "x".into() },
            &[],
            at(112)
        )),
        Some("document")
    );
    let said = pm
        .apply(
            &ada,
            PostmortemChange::Correct { document: Box::new(late), reason: "Add luck".into() },
            &[],
            at(112),
        )
        .unwrap();
    assert_eq!((pm.version, pm.status), (2, PostmortemStatus::Published));
    assert!(said.contains("version 2"));

    let mut other = postmortem();
    other.document.went_wrong.clear();
    other.apply(&ada, PostmortemChange::SetReviewers { reviewers: vec![cy.clone()] }, &[], at(101)).unwrap();
    other.apply(&ada, PostmortemChange::Submit, &[], at(102)).unwrap();
    let said = other.apply(&root, PostmortemChange::Publish, &[], at(103)).unwrap();
    assert!(said.contains("without the approval of Cy (admin override)"), "{said}");
    assert_eq!(other.override_by.map(|p| p.name), Some("Root".to_owned()));
}

#[test]
fn a_dismissed_flag_stays_dismissed_while_its_sentence_does() {
    let ada = person("Ada");
    let mut pm = postmortem();
    pm.apply(&ada, PostmortemChange::SetReviewers { reviewers: vec![person("Cy")] }, &[], at(101)).unwrap();
    let flag = pm.open_flags(&[]).remove(0);
    pm.apply(
        &ada,
        PostmortemChange::Dismiss { flag_id: flag.id, reason: "Quoting Bo's own words".into() },
        &[],
        at(102),
    )
    .unwrap();
    assert!(pm.open_flags(&[]).is_empty());
    pm.apply(&ada, PostmortemChange::Submit, &[], at(103)).unwrap();
    pm.document.problem_summary = "Dana missed the page.".into();
    assert!(pm.open_flags(&[]).is_empty(), "Dana is not named in the document, so not known");
    let flags = pm.open_flags(&["Dana Scully".to_owned()]);
    assert_eq!(
        flags.iter().map(|f| f.rule).collect::<Vec<_>>(),
        ["person_failed"],
        "the incident's other people are watched"
    );
}

#[test]
fn action_items_need_a_reason_to_be_skipped_and_remind_once_a_day_when_overdue() {
    let mut item = ActionItem {
        id: ActionItemId("x".into()),
        postmortem_id: PostmortemId("p".into()),
        title: "Check pool size in CI".into(),
        owner: person("Bo").person,
        due_on: Some(date(2026, 11, 30)),
        priority: ActionPriority::Medium,
        status: ActionStatus::Open,
        wont_do_reason: None,
        tracker_url: None,
        reminded_at: None,
    };
    let monday_noon: Timestamp = "2026-11-30T12:00:00Z".parse().unwrap();
    assert!(!item.is_overdue(monday_noon, &london()), "due today is not overdue");
    let tuesday = monday_noon + SignedDuration::from_hours(24);
    assert!(item.is_overdue(tuesday, &london()));
    assert!(item.reminder_due(tuesday, &london()));
    item.reminded_at = Some(tuesday);
    assert!(!item.reminder_due(tuesday + SignedDuration::from_hours(23), &london()));
    assert!(item.reminder_due(tuesday + SignedDuration::from_hours(24), &london()));
    assert_eq!(item.set_status(ActionStatus::WontDo, None).unwrap_err().field, "wont_do_reason");
    item.set_status(ActionStatus::WontDo, Some("The pool is now sized automatically")).unwrap();
    assert!(!item.is_overdue(tuesday, &london()), "closed items are never overdue");
    item.set_status(ActionStatus::InProgress, None).unwrap();
    assert_eq!(item.wont_do_reason, None);
    assert_eq!("wont_do".parse::<ActionStatus>().unwrap(), ActionStatus::WontDo);
    assert!("soon".parse::<ActionPriority>().is_err());
}

#[test]
fn an_edit_needs_a_title_and_sections_within_their_size() {
    let bo = person("Bo");
    let mut pm = postmortem();
    type Spoil = fn(&mut PostmortemDocument);
    let cases: [(&str, Spoil); 3] = [
        ("title", |d| d.title = "  ".into()),
        ("root_cause", |d| d.root_cause = "x".repeat(crate::incident::MAX_SECTION_CHARS + 1)),
        ("went_well", |d| d.went_well = vec!["ok".into(); MAX_LINES + 1]),
    ];
    for (field, spoil) in cases {
        let mut document = pm.document.clone();
        spoil(&mut document);
        match pm.apply(&bo, PostmortemChange::Edit { document: Box::new(document) }, &[], at(101)) {
            Err(crate::incident::Refusal::Invalid(invalid)) => {
                assert_eq!(invalid.0[0].field, field, "{field}")
            }
            other => panic!("{field}: expected a field error, got {other:?}"),
        }
    }
}

#[test]
fn a_version_diff_shows_only_the_sections_that_changed() {
    let first = postmortem().document;
    let mut second = first.clone();
    second.title = "Postmortem: checkout down".into();
    second.resolution = format!("{}\nRolled the flag back too.", first.resolution);
    let diff = PostmortemDocument::diff((1, &first), (2, &second));
    let changed: Vec<&str> = diff.sections.iter().map(|s| s.section).collect();
    assert_eq!(changed, ["title", "resolution"]);
    let resolution = &diff.sections[1];
    assert_eq!(resolution.heading, "Resolution");
    assert!(resolution.lines.iter().any(|l| l.change == "added" && l.text == "Rolled the flag back too."));
    assert!(resolution.lines.iter().all(|l| l.change != "removed"));
}

#[test]
fn the_postmortem_of_the_month_is_the_admins_choice_or_the_clear_favourite() {
    let (a, b) = (PostmortemId("a".into()), PostmortemId("b".into()));
    type Case<'a> = (Option<&'a PostmortemId>, Vec<(PostmortemId, u32)>, Option<&'a PostmortemId>);
    let cases: [Case<'_>; 5] = [
        (None, vec![], None),
        (None, vec![(a.clone(), 3), (b.clone(), 1)], Some(&a)),
        (None, vec![(a.clone(), 2), (b.clone(), 2)], None),
        (Some(&b), vec![(a.clone(), 3), (b.clone(), 1)], Some(&b)),
        (None, vec![(a.clone(), 0)], None),
    ];
    for (chosen, votes, expected) in cases {
        assert_eq!(postmortem_of_the_month(chosen, &votes).as_ref(), expected, "{votes:?}");
    }
    assert_eq!(Month::of(at(0), &london()).as_str(), "2026-11");
    let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
    let late = "2026-11-30T20:00:00Z".parse::<Timestamp>().unwrap();
    assert_eq!(Month::of(late, &tokyo).as_str(), "2026-12", "the month is the reader's");
    for bad in ["2026-13", "2026-1", "december", "2026-12-01", ""] {
        assert!(Month::parse("month", bad).is_err(), "{bad}");
    }
    assert_eq!(Month::parse("month", " 2026-12 ").map(|m| m.to_string()), Ok("2026-12".to_owned()));
}
