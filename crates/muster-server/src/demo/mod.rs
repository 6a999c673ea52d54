//! `muster serve --demo`: a realistic example organisation so that a newcomer sees a populated
//! product at once: two teams, eight people in several time zones, four services with keys, and
//! the seed's schedule designs (three tiers, follow-the-sun, a weekly rotation), twelve weeks of
//! history for the load and toil reports ([`history`]), and a morning's alerts with a maintenance
//! window and a heartbeat, and two incidents: one resolved this morning (with its published
//! postmortem) and one open now.
//!
//! Seeding is idempotent in the way that matters: it runs only while the database has no teams and
//! no services, keeps users who already exist (such as an admin made with `muster user create`),
//! and leaves a database with other data alone.

use jiff::SignedDuration;
use jiff::Timestamp;
use muster_core::alert::{
    ActedBy, Severity, Signal, SignalAction,
    settings::{NewHeartbeat, NewMaintenanceWindow},
};
use muster_core::{
    audit::Actor,
    escalation::{NewEscalationPolicy, ResponseTargets, StepInput, TargetInput},
    page::Page,
    service::{IntegrationKind, NewService},
    team::NewTeam,
    user::{NewUser, Role},
};
use muster_core::{
    ids::{ServiceId, TeamId, UserId},
    schedule::{
        ScheduleNaming,
        templates::{self, SunTeam, Tier},
    },
};
use muster_store::{AlertAction, Delivery, NewSchedule, Store, StoreError};
use tracing::instrument::WithSubscriber;

use crate::{
    secrets::{hash_password, new_integration_key},
    state::AppState,
};

mod history;

pub use history::HISTORY_DAYS;

/// Every demo user signs in with this password.
pub const DEMO_PASSWORD: &str = "muster-demo";
/// The demo's admin.
pub const DEMO_ADMIN: &str = "ada@muster.example";

const DEMO: Actor = Actor::System("demo");

const PEOPLE: [(&str, &str, &str, Role); 8] = [
    ("Ada Lovelace", DEMO_ADMIN, "Europe/London", Role::Admin),
    ("Grace Hopper", "grace@muster.example", "America/New_York", Role::Responder),
    ("Tomás Rivera", "tomas@muster.example", "America/Mexico_City", Role::Responder),
    ("Sam Okafor", "sam@muster.example", "Africa/Lagos", Role::Responder),
    ("Priya Raman", "priya@muster.example", "Asia/Kolkata", Role::Responder),
    ("Kenji Watanabe", "kenji@muster.example", "Asia/Tokyo", Role::Responder),
    ("Olivia Chen", "olivia@muster.example", "Australia/Sydney", Role::Responder),
    ("Morgan Blake", "morgan@muster.example", "America/Los_Angeles", Role::Stakeholder),
];

const TEAMS: [(&str, &str, &[&str]); 2] = [
    (
        "Payments SRE",
        "Runs checkout and the payment gateway; primary on call follows the sun between London and New York.",
        &[DEMO_ADMIN, "grace@muster.example", "tomas@muster.example", "sam@muster.example"],
    ),
    (
        "Platform",
        "Kubernetes clusters, the edge and the shared observability stack.",
        &["priya@muster.example", "kenji@muster.example", "olivia@muster.example"],
    ),
];

const SERVICES: [(&str, &str, &str, &[IntegrationKind]); 4] = [
    (
        "Checkout API",
        "Cart, pricing and order placement for the web shop and the apps.",
        "Payments SRE",
        &[IntegrationKind::Alertmanager, IntegrationKind::Pagerduty],
    ),
    (
        "Payment Gateway",
        "Card authorisation and capture through the acquiring banks.",
        "Payments SRE",
        &[IntegrationKind::Grafana],
    ),
    (
        "Kubernetes Platform",
        "The production clusters in eu-west and us-east.",
        "Platform",
        &[IntegrationKind::Alertmanager],
    ),
    (
        "Edge CDN",
        "TLS termination, caching and WAF in front of every public site.",
        "Platform",
        &[IntegrationKind::Opsgenie, IntegrationKind::Generic],
    ),
];

/// What seeding did.
#[derive(Debug, PartialEq, Eq)]
pub enum Seeded {
    Created,
    SkippedExistingData,
}

pub async fn seed(state: &AppState, now: Timestamp) -> Result<Seeded, StoreError> {
    let store = &state.store;
    let has_teams = !store.list_teams(Page { limit: 1, offset: 0 }).await?.is_empty();
    let has_services = !store.list_services(Page { limit: 1, offset: 0 }).await?.is_empty();
    if has_teams || has_services {
        eprintln!("Demo data not loaded: the database already has teams or services.");
        return Ok(Seeded::SkippedExistingData);
    }
    let password_hash = hash_password(DEMO_PASSWORD.to_owned()).await;
    let history_starts = founded(now);
    let mut addresses = Vec::new();
    for (name, email, zone, role) in PEOPLE {
        let new = NewUser::parse(name, email, Some(zone), role).map_err(StoreError::Invalid)?;
        match store.create_user(&new, Some(&password_hash), &DEMO, history_starts).await {
            Ok(user) => addresses.push((user.id, email)),
            Err(StoreError::Conflict { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    history::give_everyone_an_address(state, &addresses, history_starts).await?;
    let mut team_ids = Vec::new();
    for (name, description, members) in TEAMS {
        let team = store
            .create_team(
                &NewTeam::parse(name, Some(description)).map_err(StoreError::Invalid)?,
                &DEMO,
                history_starts,
            )
            .await?;
        for email in members {
            let user = store.find_user_by_email(email).await?;
            store.add_team_member(&team.id, &user.id, &DEMO, history_starts).await?;
        }
        team_ids.push((name, team.id));
    }
    let mut service_ids = Vec::new();
    for (name, description, team, kinds) in SERVICES {
        let team_id = team_ids.iter().find(|(n, _)| *n == team).map(|(_, id)| id.clone());
        let new = NewService::parse(name, Some(description), team_id).map_err(StoreError::Invalid)?;
        let service = store.create_service(&new, &DEMO, history_starts).await?;
        for kind in kinds {
            store
                .create_integration_key(
                    &service.id,
                    *kind,
                    kind.as_str(),
                    &new_integration_key(),
                    &DEMO,
                    history_starts,
                )
                .await?;
        }
        service_ids.push(service.id);
    }
    let team = |name: &str| team_ids.iter().find(|(n, _)| *n == name).map(|(_, id)| id.clone());
    let payments = team("Payments SRE").ok_or(StoreError::NotFound("team"))?;
    let platform = team("Platform").ok_or(StoreError::NotFound("team"))?;
    seed_schedules(store, &service_ids, (&payments, &platform), now).await?;
    seed_escalation(store, &service_ids, platform, now).await?;
    eprintln!("Loading the demo: playing {HISTORY_DAYS} days of alerts and incidents through Muster…");
    // The history goes through the real paths, which log every page they escalate: hundreds of
    // lines about a made-up past that would bury the server's own start-up lines. Its errors
    // still come back as the seed's.
    let played = history::play(state, &service_ids, now)
        .with_subscriber(tracing::subscriber::NoSubscriber::default())
        .await?;
    seed_alerts(store, &service_ids, now).await?;
    seed_slos(store, &service_ids, now).await?;
    eprintln!(
        "Demo data loaded: 2 teams, 8 people, 4 services, 5 schedules, an escalation policy, {HISTORY_DAYS} days of history ({} alerts, {} incidents), this morning's alerts, a maintenance window, a heartbeat, two incidents, a postmortem and two SLOs.\nSign in as {DEMO_ADMIN} (admin) or any other demo person, password {DEMO_PASSWORD}.",
        played.alerts, played.incidents
    );
    Ok(Seeded::Created)
}

/// When the demo organisation was set up: a week before its history begins.
fn founded(now: Timestamp) -> Timestamp {
    now - SignedDuration::from_hours(24 * (HISTORY_DAYS + 7))
}

/// One policy for every service: the primary on call, then the secondary, then the whole
/// platform team, twice round; Checkout answers business-critical pages within 3 minutes.
async fn seed_escalation(
    store: &Store,
    services: &[ServiceId],
    platform: TeamId,
    now: Timestamp,
) -> Result<(), StoreError> {
    let tier = |tier: &str| TargetInput { kind: "tier".into(), id: None, tier: Some(tier.into()) };
    let team = TargetInput { kind: "team".into(), id: Some(platform.to_string()), tier: None };
    let steps = [
        StepInput { escalate_after_minutes: Some(5), targets: vec![tier("primary")] },
        StepInput { escalate_after_minutes: Some(10), targets: vec![tier("secondary")] },
        StepInput { escalate_after_minutes: Some(15), targets: vec![team] },
    ];
    let new = NewEscalationPolicy::parse(
        "Default",
        Some("Primary on call, then secondary, then the whole platform team"),
        &steps,
        Some(1),
    )
    .map_err(StoreError::Invalid)?;
    let policy = store.create_escalation_policy(&new, &DEMO, founded(now)).await?;
    for (index, service) in services.iter().enumerate() {
        let critical = if index == 0 { 3 } else { 5 };
        let targets = ResponseTargets { business_critical_minutes: critical, ..ResponseTargets::default() };
        store.set_service_escalation(service, Some(&policy.id), targets, &DEMO, founded(now)).await?;
    }
    Ok(())
}

/// A morning's alerts: an acknowledged error rate on checkout that keeps firing, a latency alert
/// resolved earlier, a crash loop just in, a gateway alert during maintenance, and a heartbeat.
async fn seed_alerts(store: &Store, services: &[ServiceId], now: Timestamp) -> Result<(), StoreError> {
    let minutes_ago = |m: i64| now - SignedDuration::from_mins(m);
    let signal = |key: &str, summary: &str, source: &str, severity: Severity, details: serde_json::Value| {
        let mut signal = Signal::new(SignalAction::Trigger, Some(key.to_owned()));
        signal.summary = summary.to_owned();
        signal.source = source.to_owned();
        signal.severity = severity;
        signal.details = details;
        signal
    };
    let delivery = |service: usize, origin: &str, signal: Signal, at: Timestamp| Delivery {
        service_id: services[service].clone(),
        by: ActedBy::monitor(format!("{origin} key \"{origin}\"")),
        origin: origin.to_owned(),
        signal,
        received_at: at,
    };
    let error_rate = signal(
        "4f1c2a9e8b7d6c50",
        "Checkout API 5xx rate above 2% for 5 minutes",
        "checkout-api-7d9f",
        Severity::Critical,
        serde_json::json!({"labels": {"alertname": "HighErrorRate", "severity": "critical"}, "value": "3.4%"}),
    );
    let latency = signal(
        "checkout/p99",
        "Checkout p99 latency over 2 s",
        "lb-eu-1",
        Severity::Error,
        serde_json::Value::Null,
    );
    let mut resolved = latency.clone();
    resolved.action = SignalAction::Resolve;
    let window = NewMaintenanceWindow::parse(
        Some(&minutes_ago(30).to_string()),
        &(now + SignedDuration::from_mins(90)).to_string(),
        Some("Acquirer B certificate rotation"),
        now,
    )
    .map_err(StoreError::Invalid)?;
    let ops = ActedBy::user(store.find_user_by_email("sam@muster.example").await?.id, "Sam Okafor");
    store.create_maintenance_window(&services[1], &window, &ops, minutes_ago(30)).await?;
    let outcomes = store
        .ingest(vec![
            delivery(0, "pagerduty", latency, minutes_ago(140)),
            delivery(0, "pagerduty", resolved, minutes_ago(95)),
            delivery(0, "alertmanager", error_rate.clone(), minutes_ago(12)),
            delivery(0, "alertmanager", error_rate.clone(), minutes_ago(7)),
            delivery(0, "alertmanager", error_rate, minutes_ago(2)),
            delivery(
                1,
                "grafana",
                signal(
                    "acq-b-timeouts",
                    "Acquirer B authorisation timeouts",
                    "gateway-2",
                    Severity::Error,
                    serde_json::Value::Null,
                ),
                minutes_ago(20),
            ),
            delivery(
                2,
                "alertmanager",
                signal(
                    "9a3e55c1d2f00b7e",
                    "KubePodCrashLooping: payments/ledger-5c8d restarting",
                    "eu-west-1",
                    Severity::Warning,
                    serde_json::Value::Null,
                ),
                minutes_ago(3),
            ),
        ])
        .await?;
    let latency_alert = outcomes[0].alert_id().cloned();
    let error_rate_alert = outcomes[2].alert_id().cloned();
    if let Some(error_rate) = outcomes[2].alert_id() {
        let grace = ActedBy::user(store.find_user_by_email("grace@muster.example").await?.id, "Grace Hopper");
        store.act_on_alert(error_rate, AlertAction::Acknowledge, &grace, minutes_ago(9)).await?;
        store
            .add_alert_note(
                error_rate,
                &grace,
                "Rolling back checkout 4.12 (the new pricing cache).",
                minutes_ago(6),
            )
            .await?;
    }
    let heartbeat =
        NewHeartbeat::parse("Nightly ledger backup", Some(24 * 3600)).map_err(StoreError::Invalid)?;
    store.create_heartbeat(&services[3], &heartbeat, &new_integration_key(), &DEMO, now).await?;
    if let (Some(latency), Some(error_rate)) = (latency_alert, error_rate_alert) {
        seed_incidents(store, latency, error_rate, now).await?;
    }
    Ok(())
}

/// Two SLOs: Checkout API's availability, half its budget spent by a fortnight of posted counts
/// (most of it by one bad release), and its latency under 300 ms.
async fn seed_slos(store: &Store, service_ids: &[ServiceId], now: Timestamp) -> Result<(), StoreError> {
    use muster_core::{
        ids::SloId,
        slo::{NewSlo, Sli},
    };
    let checkout = service_ids.first().ok_or(StoreError::NotFound("service"))?;
    let availability = NewSlo {
        name: "checkout-availability".into(),
        sli: Sli::Ratio {
            good: "http_requests_total{job=\"checkout\",code!~\"5..\"}".into(),
            total: "http_requests_total{job=\"checkout\"}".into(),
        },
        objective: 99.9,
        window_days: Some(28),
    };
    let latency = NewSlo {
        name: "checkout-latency".into(),
        sli: Sli::Latency {
            histogram: "http_request_duration_seconds".into(),
            selector: "job=\"checkout\"".into(),
            threshold_seconds: 0.3,
        },
        objective: 99.0,
        window_days: Some(28),
    };
    for new in [availability, latency] {
        let slo = new.parse(SloId(muster_store::new_id()), checkout.clone()).map_err(StoreError::Invalid)?;
        store.create_slo(&slo, &DEMO, now).await?;
        // A fortnight of traffic, 100,000 requests a day: 25 failing or slow a day, 420 on the
        // day of a bad release ten days ago, 20 a day since: 700 in all, half the budget.
        for day in 0..14_i64 {
            let bad = match day {
                0..4 => 25,
                4 => 420,
                _ => 20,
            };
            let at = now - SignedDuration::from_hours(24 * (14 - day));
            store.record_slo_counts(&slo.id, 100_000 - bad, 100_000, at).await?;
        }
    }
    Ok(())
}

/// The morning incident's postmortem: drafted from the incident, with its lessons and two action
/// items, reviewed by Ada and published, so search and export have something to show; two votes
/// make it the postmortem of the month, and it is on the reading list.
async fn seed_postmortem(
    store: &Store,
    incident: &muster_core::ids::IncidentId,
    p: &impl Fn(&str) -> muster_core::incident::Participant,
    now: Timestamp,
) -> Result<(), StoreError> {
    use muster_core::postmortem::{
        ActionPriority, ActionStatus, IncidentFacts, PostmortemChange, PostmortemPolicy, draft_from_incident,
        requirement,
    };
    let london = jiff::tz::TimeZone::get("Europe/London").unwrap_or(jiff::tz::TimeZone::UTC);
    let resolved = store.get_incident(incident).await?;
    let timeline = store.incident_timeline(incident).await?;
    let mut service_names = Vec::new();
    for id in &resolved.services {
        service_names.push(store.get_service(id).await?.name);
    }
    let facts = IncidentFacts {
        incident: &resolved,
        timeline: &timeline,
        service_names: &service_names,
        targets_met: 1,
        targets_missed: 0,
    };
    let mut document = draft_from_incident(facts, &london);
    document.went_well = vec![
        "Scaling out brought p99 back under 1.5 s within seven minutes.".into(),
        "The profile pointed at the cause before anyone guessed.".into(),
    ];
    document.went_wrong = vec!["The pricing deploy had no load test for carts with many lines.".into()];
    document.got_lucky = vec!["The slowdown came before the lunchtime peak.".into()];
    document.reviewers = vec![p("ada").person];
    let needed = requirement(&resolved, &PostmortemPolicy::default(), &london);
    let minutes_ago = |m: i64| now - SignedDuration::from_mins(m);
    let stored = store.create_postmortem(incident, document, &needed, minutes_ago(90)).await?;
    let id = stored.postmortem.id.clone();
    for (who, change, m) in [
        ("sam", PostmortemChange::Submit, 60),
        ("ada", PostmortemChange::Approve, 40),
        ("sam", PostmortemChange::Publish, 30),
    ] {
        store.change_postmortem(&id, &p(who), change, &[], minutes_ago(m)).await?;
    }
    let today = now.to_zoned_datetime(london.clone()).date();
    let items = [
        (
            "Evaluate price rules once per cart, not per line",
            "sam",
            ActionPriority::High,
            today.tomorrow().ok(),
        ),
        (
            "Load-test checkout with 50-line carts before each pricing release",
            "grace",
            ActionPriority::Medium,
            None,
        ),
    ];
    let mut added = Vec::new();
    for (title, owner, priority, due_on) in items {
        let owner = p(owner).person.id;
        let new =
            muster_store::NewActionItem { title: title.into(), owner, due_on, priority, tracker_url: None };
        added.push(store.add_action_item(&id, new, &DEMO, minutes_ago(30)).await?);
    }
    store.set_action_status(&added[0].id, ActionStatus::InProgress, None, &DEMO, minutes_ago(20)).await?;
    // The reading club: two votes for the postmortem of the month, and on the reading list.
    let month = muster_core::postmortem::Month::of(now, &london);
    for (voter, m) in [("grace", 20), ("tomas", 10)] {
        store.vote_for_postmortem(&month, &p(voter).person.id, &id, minutes_ago(m)).await?;
    }
    let note = "One slow pricing rule slowed every cart: read it before your first checkout shift.";
    store.add_to_reading_list(&id, note, &p("sam").person, minutes_ago(15)).await?;
    Ok(())
}

/// Two incidents: the morning's latency, handed off, investigated to the cure and resolved; and
/// the error rate now, with its leads appointed, two hypotheses on the shortlist, stakeholder
/// updates, and command on offer to Ada.
async fn seed_incidents(
    store: &Store,
    latency: muster_core::ids::AlertId,
    error_rate: muster_core::ids::AlertId,
    now: Timestamp,
) -> Result<(), StoreError> {
    use muster_core::incident::{
        Change, CureOutcome, Declaration, HypothesisVerdict, IncidentState, Role as IncidentRole, Stage,
        StakeholderAudience, UpdateCadence,
    };
    let at = |m: i64| now - SignedDuration::from_mins(m);
    let cadence = UpdateCadence::default();
    let mut who = std::collections::HashMap::new();
    for name in ["ada", "grace", "tomas", "sam", "priya"] {
        let user = store.find_user_by_email(&format!("{name}@muster.example")).await?;
        who.insert(name, store.participant(&user.id).await?);
    }
    let p = |name: &str| who[name].clone();

    let declaration = Declaration::parse(
        "Checkout slow after the pricing deploy",
        "sev3",
        vec![],
        (true, false),
        vec![latency],
        None,
    )
    .map_err(StoreError::Invalid)?;
    let morning = store.declare_incident(declaration, &p("grace"), &cadence, at(135)).await?;
    let id = morning.id.clone();
    let steps: Vec<(&str, Change, i64)> = vec![
        ("grace", Change::OfferRole { role: IncidentRole::Commander, to: p("sam") }, 133),
        ("sam", Change::AcceptOffer { role: IncidentRole::Commander }, 132),
        ("sam", Change::AddInvestigator { person: p("grace") }, 131),
        (
            "sam",
            Change::WriteOutput {
                stage: Stage::Triage,
                output: "Scaled checkout from 6 to 10 pods; p99 back under 1.5 s.".into(),
                outcome: None,
            },
            128,
        ),
        ("sam", Change::MoveStage { stage: Stage::Examine }, 127),
        (
            "sam",
            Change::WriteOutput {
                stage: Stage::Examine,
                output: "p99 rose at 07:10, with the pricing 4.11 deploy; CPU on checkout doubled.".into(),
                outcome: None,
            },
            120,
        ),
        ("sam", Change::MoveStage { stage: Stage::Diagnose }, 119),
        (
            "sam",
            Change::ProposeHypothesis {
                statement: "The new price rules are evaluated per cart line instead of once per cart".into(),
            },
            117,
        ),
        (
            "grace",
            Change::ProposeHypothesis { statement: "The price cache is cold after the deploy".into() },
            116,
        ),
        ("sam", Change::MoveStage { stage: Stage::Test }, 115),
        (
            "grace",
            Change::JudgeHypothesis {
                number: 2,
                verdict: HypothesisVerdict::Refuted,
                evidence: "Cache hit rate was 97% throughout.".into(),
            },
            110,
        ),
        (
            "sam",
            Change::JudgeHypothesis {
                number: 1,
                verdict: HypothesisVerdict::Confirmed,
                evidence: "A profile shows 80% of CPU in PriceRule::apply, called once per line.".into(),
            },
            106,
        ),
        (
            "sam",
            Change::WriteOutput {
                stage: Stage::Test,
                output: "Confident: the profile and the deploy time agree.".into(),
                outcome: None,
            },
            105,
        ),
        ("sam", Change::MoveStage { stage: Stage::Cure }, 104),
        (
            "sam",
            Change::WriteOutput {
                stage: Stage::Cure,
                output: "Rolled pricing back to 4.10; fix (evaluate once per cart) in review.".into(),
                outcome: Some(CureOutcome::MitigatedWithKnownFix),
            },
            100,
        ),
        ("sam", Change::SetState { state: IncidentState::Monitoring }, 100),
        ("sam", Change::SetState { state: IncidentState::Resolved }, 95),
    ];
    for (name, change, minutes) in steps {
        store.change_incident(&id, &p(name), change, &cadence, at(minutes)).await?;
    }
    store
        .post_stakeholder_update(
            &id,
            &p("sam"),
            StakeholderAudience::Public,
            "Checkout is slower than usual; we are on it.",
            &cadence,
            at(125),
        )
        .await?;

    seed_postmortem(store, &id, &p, now).await?;

    let declaration = Declaration::parse(
        "Checkout errors after release 4.12",
        "sev2",
        vec![],
        (true, false),
        vec![error_rate],
        None,
    )
    .map_err(StoreError::Invalid)?;
    let open = store.declare_incident(declaration, &p("grace"), &cadence, at(8)).await?;
    let id = open.id.clone();
    let steps: Vec<(&str, Change, i64)> = vec![
        ("grace", Change::OfferRole { role: IncidentRole::CommsLead, to: p("tomas") }, 8),
        ("tomas", Change::AcceptOffer { role: IncidentRole::CommsLead }, 7),
        ("grace", Change::OfferRole { role: IncidentRole::OpsLead, to: p("sam") }, 7),
        ("sam", Change::AcceptOffer { role: IncidentRole::OpsLead }, 7),
        ("sam", Change::AddInvestigator { person: p("priya") }, 6),
        ("sam", Change::CheckTactic { stage: Stage::Triage, tactic: 1, checked: true }, 6),
        (
            "sam",
            Change::WriteOutput {
                stage: Stage::Triage,
                output:
                    "Half the traffic re-routed to eu-central, which still runs 4.11; errors down to 1.2%."
                        .into(),
                outcome: None,
            },
            5,
        ),
        ("sam", Change::MoveStage { stage: Stage::Examine }, 5),
        ("priya", Change::CheckTactic { stage: Stage::Examine, tactic: 1, checked: true }, 4),
        (
            "sam",
            Change::WriteOutput {
                stage: Stage::Examine,
                output: "5xx come from the new pricing cache client timing out against Redis.".into(),
                outcome: None,
            },
            3,
        ),
        ("sam", Change::MoveStage { stage: Stage::Diagnose }, 3),
        (
            "priya",
            Change::ProposeHypothesis {
                statement: "The cache client's pool is too small for peak traffic".into(),
            },
            2,
        ),
        (
            "sam",
            Change::ProposeHypothesis {
                statement: "Redis is evicting under memory pressure since 4.12 added keys".into(),
            },
            2,
        ),
        ("grace", Change::OfferRole { role: IncidentRole::Commander, to: p("ada") }, 1),
        ("priya", Change::AddNote { text: "Redis memory at 94% on the primary.".into() }, 1),
    ];
    for (name, change, minutes) in steps {
        store.change_incident(&id, &p(name), change, &cadence, at(minutes)).await?;
    }
    store
        .post_stakeholder_update(
            &id,
            &p("tomas"),
            StakeholderAudience::Internal,
            "Release 4.12 is being rolled back in eu-west; support should expect card-payment complaints.",
            &cadence,
            at(6),
        )
        .await?;
    store
        .post_stakeholder_update(
            &id,
            &p("tomas"),
            StakeholderAudience::Public,
            "Some card payments fail at checkout. We are working on a fix.",
            &cadence,
            at(5),
        )
        .await?;
    let timeline = store.incident_timeline(&id).await?;
    if let Some(declared) = timeline.first() {
        store.pin_timeline_entry(&id, &declared.id, true, &p("grace"), &cadence, at(1)).await?;
    }
    Ok(())
}

/// The seed's designs: Checkout's three tiers and a weekly rotation for the payment gateway (the
/// payments team's), and a follow-the-sun primary for the platform services (the platform
/// team's), all started on a Monday before the history so that someone was on call from its
/// first minute whatever the day.
async fn seed_schedules(
    store: &Store,
    services: &[ServiceId],
    (payments, platform_team): (&TeamId, &TeamId),
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut people = std::collections::HashMap::new();
    for (_, email, _, _) in PEOPLE {
        people.insert(email.split('@').next().unwrap_or(email), store.find_user_by_email(email).await?.id);
    }
    let who =
        |names: &[&str]| -> Vec<UserId> { names.iter().filter_map(|n| people.get(n).cloned()).collect() };
    let today = now
        .to_zoned_datetime(jiff::tz::TimeZone::get("Europe/London").unwrap_or(jiff::tz::TimeZone::UTC))
        .date();
    let back = i64::from(today.weekday().to_monday_zero_offset()) + 7 * (HISTORY_DAYS / 7 + 1);
    let monday = today.checked_sub(jiff::Span::new().days(back)).unwrap_or(today);
    let invalid = StoreError::Invalid;
    let naming = |name: &str| ScheduleNaming::parse(name, None).map_err(StoreError::Invalid);
    let mut new = Vec::new();
    let checkout_tiers = templates::tiers(
        "Europe/London",
        monday,
        who(&["ada", "grace", "tomas"]),
        who(&["sam", "grace"]),
        who(&["tomas", "sam"]),
    )
    .map_err(invalid)?;
    for (tier, layers) in checkout_tiers {
        new.push(NewSchedule {
            naming: naming(&format!("Checkout {}", tier.as_str()))?,
            team_id: Some(payments.clone()),
            layers,
            serves: Some((services[0].clone(), tier)),
        });
    }
    let day = SunTeam { time_zone: "Asia/Kolkata", people: who(&["priya", "kenji", "olivia"]) };
    let night = SunTeam { time_zone: "America/New_York", people: who(&["grace", "tomas"]) };
    let platform = templates::follow_the_sun("Asia/Kolkata", monday, day, night).map_err(invalid)?;
    new.push(NewSchedule {
        naming: naming("Platform follow-the-sun")?,
        team_id: Some(platform_team.clone()),
        layers: platform,
        serves: Some((services[2].clone(), Tier::Primary)),
    });
    let gateway = templates::weekly("Africa/Lagos", monday, who(&["sam", "ada"])).map_err(invalid)?;
    new.push(NewSchedule {
        naming: naming("Payment Gateway weekly")?,
        team_id: Some(payments.clone()),
        layers: gateway,
        serves: Some((services[1].clone(), Tier::Primary)),
    });
    store.create_schedules(new, &DEMO, founded(now)).await?;
    // The edge shares the platform team's primary.
    if let Some(platform) = store.service_schedules(&services[2]).await?.into_iter().next() {
        store
            .set_service_schedule(&services[3], Tier::Primary, Some(&platform.1), &DEMO, founded(now))
            .await?;
    }
    Ok(())
}
