//! The demo's past: twelve weeks of alerts and incidents, generated from a fixed seed so that every
//! demo tells the same story, and played through the paths real alerts take. Each alert is
//! ingested at its time, the escalation engine pages whoever was on call then (later steps too
//! when the acknowledgement was slow), and that person acknowledges it, writes a note, works it as
//! a ticket, declares an incident and runs it to the cure, or lets a flapping alert resolve itself.
//!
//! The story the load and toil reports tell from it:
//! - Kubernetes Platform had a bad last four weeks after its cluster upgrade: two in three of the
//!   follow-the-sun rotation's shifts took three incidents, over the budget of two, so the
//!   platform is proposed for ops mode, and its rotation needs a Primary 2 and one more person.
//! - Node disk pressure on pool b flaps every day and is acknowledged and left to resolve itself:
//!   the noisiest alert, and one that pages for nothing.
//! - The payment gateway is quiet, a candidate to move to its product team.

use jiff::{SignedDuration, Timestamp};
use muster_core::{
    alert::{ActedBy, Severity, Signal, SignalAction},
    audit::Actor,
    ids::{AlertId, ServiceId, UserId},
    incident::{
        Change, CureOutcome, Declaration, HypothesisVerdict, IncidentState, Participant, Stage, UpdateCadence,
    },
    notify::contact::{NewContactMethod, NewNotificationRule},
};
use muster_store::{AlertAction, Delivery, StoreError};

use crate::state::AppState;

/// How far back the history reaches.
pub const HISTORY_DAYS: i64 = 84;
/// The platform's bad stretch: the last four weeks.
const BAD_DAYS: i64 = 28;
/// The history stops this long before now, leaving the morning to the demo's live alerts.
const QUIET_BEFORE_NOW: SignedDuration = SignedDuration::from_hours(6);

/// The services in the order the demo creates them.
const CHECKOUT: usize = 0;
const GATEWAY: usize = 1;
const PLATFORM: usize = 2;
const EDGE: usize = 3;

/// What the person paged does about an alert.
#[derive(Clone, Copy)]
enum Handling {
    /// Acknowledges, writes the note, resolves.
    Fixed(&'static str),
    /// Acknowledges and lets it resolve itself; sometimes answers that the page was not useful.
    Noise,
    /// Works it as a ticket, with the note.
    Ticket(&'static str),
    /// Declares an incident and runs it to the cure.
    Incident(&'static Story),
}

/// An incident's investigation, stage by stage.
struct Story {
    title: &'static str,
    triage: &'static str,
    examine: &'static str,
    hypothesis: &'static str,
    evidence: &'static str,
    cure: &'static str,
}

/// One kind of alert a service raises, and how often.
struct Kind {
    service: usize,
    origin: &'static str,
    key: &'static str,
    summary: &'static str,
    source: &'static str,
    severity: Severity,
    per_day: f64,
    handling: Handling,
}

const CERT_ROTATION: Story = Story {
    title: "Checkout card payments declined after a certificate rotation",
    triage: "Pinned checkout to the previous client certificate; declines back to normal.",
    examine: "Declines began at the rotation; the acquirer rejects the new intermediate.",
    hypothesis: "The new bundle lacks the acquirer's required intermediate",
    evidence: "openssl s_client shows the chain stops one certificate short.",
    cure: "Re-issued the bundle with the full chain and rotated again.",
};

const API_SERVER: Story = Story {
    title: "Kubernetes API server timeouts in eu-west",
    triage: "Scaled the API server to five replicas; kubectl answers again.",
    examine: "Latency rose with the 1.31 upgrade; watch requests from the new CNI doubled.",
    hypothesis: "The CNI's new version re-lists every pod on each reconnect",
    evidence: "Audit logs show LIST pods from the CNI every 30 s per node.",
    cure: "Pinned the CNI to the previous minor version on the affected pools.",
};

const PENDING_PODS: Story = Story {
    title: "Pods stuck Pending on node pool b",
    triage: "Cordoned the two worst nodes and moved the ledger pods to pool a.",
    examine: "Pool b's nodes report DiskPressure; image garbage collection stopped after the upgrade.",
    hypothesis: "The kubelet's image GC thresholds were reset by the upgrade",
    evidence: "kubelet config on pool b has no imageGCHighThresholdPercent.",
    cure: "Restored the GC thresholds and pruned the image caches.",
};

const DNS: Story = Story {
    title: "CoreDNS latency breaks service discovery",
    triage: "Doubled CoreDNS replicas; lookups under 20 ms again.",
    examine: "NXDOMAIN storms from the new search-path defaults after the upgrade.",
    hypothesis: "ndots:5 makes every external lookup try five internal names first",
    evidence: "CoreDNS logs show four misses before each hit for external names.",
    cure: "Set ndots:2 in the cluster's default DNS config.",
};

/// The alerts that raised the platform's incidents after the upgrade; played shift by shift
/// rather than at a daily rate.
const UPGRADE_FALLOUT: [Kind; 3] = [
    Kind {
        service: PLATFORM,
        origin: "alertmanager",
        key: "KubeAPIErrorsHigh/eu-west",
        summary: "KubeAPIErrorsHigh: API server 5xx above 3% in eu-west",
        source: "eu-west-1",
        severity: Severity::Critical,
        per_day: 0.0,
        handling: Handling::Incident(&API_SERVER),
    },
    Kind {
        service: PLATFORM,
        origin: "alertmanager",
        key: "KubePodsPending/pool-b",
        summary: "KubePodsPending: 40 pods pending on pool b for 10 minutes",
        source: "eu-west-1",
        severity: Severity::Critical,
        per_day: 0.0,
        handling: Handling::Incident(&PENDING_PODS),
    },
    Kind {
        service: PLATFORM,
        origin: "alertmanager",
        key: "CoreDNSLatencyHigh",
        summary: "CoreDNSLatencyHigh: p99 lookup above 250 ms",
        source: "us-east-1",
        severity: Severity::Critical,
        per_day: 0.0,
        handling: Handling::Incident(&DNS),
    },
];

const KINDS: [Kind; 9] = [
    Kind {
        service: CHECKOUT,
        origin: "alertmanager",
        key: "checkout/5xx",
        summary: "Checkout API 5xx rate above 1% for 10 minutes",
        source: "checkout-api",
        severity: Severity::Error,
        per_day: 0.5,
        handling: Handling::Fixed("A bad pod; deleted it and the error rate dropped."),
    },
    Kind {
        service: CHECKOUT,
        origin: "pagerduty",
        key: "checkout/p99",
        summary: "Checkout p99 latency over 2 s",
        source: "lb-eu-1",
        severity: Severity::Error,
        per_day: 0.4,
        handling: Handling::Noise,
    },
    Kind {
        service: CHECKOUT,
        origin: "alertmanager",
        key: "checkout/cert",
        summary: "Acquirer client certificate expires in 14 days",
        source: "cert-exporter",
        severity: Severity::Warning,
        per_day: 0.15,
        handling: Handling::Ticket("Renewal requested from the acquirer; ticket PAY-311."),
    },
    Kind {
        service: CHECKOUT,
        origin: "alertmanager",
        key: "checkout/declines",
        summary: "Card decline rate above 8%",
        source: "checkout-api",
        severity: Severity::Critical,
        per_day: 0.07,
        handling: Handling::Incident(&CERT_ROTATION),
    },
    Kind {
        service: GATEWAY,
        origin: "grafana",
        key: "gateway/acquirer-a-latency",
        summary: "Acquirer A authorisation latency above 800 ms",
        source: "gateway-1",
        severity: Severity::Error,
        per_day: 0.1,
        handling: Handling::Fixed("Acquirer A had a blip; their status page confirms it."),
    },
    Kind {
        service: PLATFORM,
        origin: "alertmanager",
        key: "KubeNodeDiskPressure/pool-b",
        summary: "KubeNodeDiskPressure: a node in pool b is low on disk",
        source: "eu-west-1",
        severity: Severity::Error,
        per_day: 2.4,
        handling: Handling::Noise,
    },
    Kind {
        service: PLATFORM,
        origin: "alertmanager",
        key: "KubeJobFailed/cert-renew",
        summary: "KubeJobFailed: cert-manager renewal job failed",
        source: "us-east-1",
        severity: Severity::Warning,
        per_day: 0.3,
        handling: Handling::Ticket("Re-ran the job; the DNS-01 challenge timed out again, ticket PLAT-88."),
    },
    Kind {
        service: PLATFORM,
        origin: "alertmanager",
        key: "KubePodCrashLooping/ingress",
        summary: "KubePodCrashLooping: ingress-nginx restarting",
        source: "us-east-1",
        severity: Severity::Error,
        per_day: 0.5,
        handling: Handling::Fixed("An out-of-memory kill; raised its memory limit to 1 GiB."),
    },
    Kind {
        service: EDGE,
        origin: "opsgenie",
        key: "edge/origin-502",
        summary: "Edge origin 502 rate above 0.5%",
        source: "cdn-fra",
        severity: Severity::Error,
        per_day: 0.7,
        handling: Handling::Noise,
    },
];

/// A tiny deterministic generator (SplitMix64): the same history for every demo.
struct Generator(u64);

impl Generator {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `[0, 1)`.
    fn fraction(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.fraction() < p
    }

    /// Minutes in `[low, high]`.
    fn minutes(&mut self, low: i64, high: i64) -> SignedDuration {
        SignedDuration::from_mins(low + (self.next() % (high - low + 1) as u64) as i64)
    }
}

/// One alert of the history, due to be played.
struct Planned {
    at: Timestamp,
    kind: &'static Kind,
}

/// What the history holds, for the demo's summary.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Played {
    pub alerts: usize,
    pub incidents: usize,
}

/// Gives every demo person a verified e-mail address (the `.example` domain never receives mail)
/// that pages reach at once, so that pages have somewhere to go.
pub async fn give_everyone_an_address(
    state: &AppState,
    people: &[(UserId, &str)],
    now: Timestamp,
) -> Result<(), StoreError> {
    let store = &state.store;
    let actor = Actor::System("demo");
    for (id, email) in people {
        let new = NewContactMethod::parse("email", Some("Work e-mail"), email, false)
            .map_err(StoreError::Invalid)?;
        let (_, code) = crate::paging::new_code(now);
        let hash = code.hash.clone();
        let notice = crate::paging::verification_notice("demo");
        let method = store.create_contact_method(id, &new, None, &code, notice, &actor, now).await?;
        store.verify_contact_method(id, &method.id, &hash, &actor, now).await?;
        let rule = NewNotificationRule::parse(method.id.as_str(), Some(0)).map_err(StoreError::Invalid)?;
        store.add_notification_rule(id, &rule, &actor, now).await?;
        let sent: Vec<_> = store.notifications_of_user(id, 10).await?.into_iter().map(|n| n.id).collect();
        store.notifications_delivered(&sent, now).await?;
    }
    Ok(())
}

/// Plays twelve weeks of history up to six hours before `now`.
pub async fn play(state: &AppState, services: &[ServiceId], now: Timestamp) -> Result<Played, StoreError> {
    let mut generator = Generator(0x6d75_7374_6572);
    let mut plan = plan_alerts(&mut generator, now);
    plan.extend(plan_platform_trouble(state, &mut generator, now).await?);
    plan.sort_by_key(|p| p.at);
    let mut played = Played::default();
    for planned in plan {
        let incident = play_alert(state, services, &mut generator, planned).await?;
        played.alerts += 1;
        played.incidents += usize::from(incident);
    }
    Ok(played)
}

/// Every kind's alerts, day by day, at random times.
fn plan_alerts(generator: &mut Generator, now: Timestamp) -> Vec<Planned> {
    let start = now - SignedDuration::from_hours(24 * HISTORY_DAYS);
    let end = now - QUIET_BEFORE_NOW;
    let mut plan = Vec::new();
    for day in 0..HISTORY_DAYS {
        let day_start = start + SignedDuration::from_hours(24 * day);
        for kind in &KINDS {
            let whole = kind.per_day.floor() as usize;
            let count = whole + usize::from(generator.chance(kind.per_day.fract()));
            for _ in 0..count {
                let at = day_start + SignedDuration::from_secs((generator.fraction() * 86_400.0) as i64);
                if at < end {
                    plan.push(Planned { at, kind });
                }
            }
        }
    }
    plan
}

/// The platform's last four weeks: three incidents in two of every three of its rotation's shifts.
async fn plan_platform_trouble(
    state: &AppState,
    generator: &mut Generator,
    now: Timestamp,
) -> Result<Vec<Planned>, StoreError> {
    let Some(schedule) =
        state.store.all_schedules().await?.into_iter().find(|s| s.name == "Platform follow-the-sun")
    else {
        return Ok(vec![]);
    };
    let from = now - SignedDuration::from_hours(24 * BAD_DAYS);
    let mut plan = Vec::new();
    for (index, shift) in schedule.layers.shifts(from, now - QUIET_BEFORE_NOW).into_iter().enumerate() {
        // Two shifts in three: always over half, whatever day the demo starts on.
        if shift.start < from || index % 3 == 2 {
            continue;
        }
        let length = shift.end.duration_since(shift.start).as_secs_f64();
        for (n, place) in [0.08, 0.42, 0.76].into_iter().enumerate() {
            let jitter = generator.fraction() * 0.08;
            let at = shift.start + SignedDuration::from_secs_f64(length * (place + jitter));
            plan.push(Planned { at, kind: &UPGRADE_FALLOUT[(index + n) % UPGRADE_FALLOUT.len()] });
        }
    }
    Ok(plan)
}

/// Plays one alert; true when it became an incident.
async fn play_alert(
    state: &AppState,
    services: &[ServiceId],
    generator: &mut Generator,
    planned: Planned,
) -> Result<bool, StoreError> {
    let store = &state.store;
    let Planned { at, kind } = planned;
    let mut signal = Signal::new(SignalAction::Trigger, Some(kind.key.to_owned()));
    signal.summary = kind.summary.to_owned();
    signal.source = kind.source.to_owned();
    signal.severity = kind.severity;
    let monitor = ActedBy::monitor(format!("{} key \"{}\"", kind.origin, kind.origin));
    let delivery = |signal: Signal, received_at: Timestamp| Delivery {
        service_id: services[kind.service].clone(),
        by: monitor.clone(),
        origin: kind.origin.to_owned(),
        signal,
        received_at,
    };
    let outcomes = store.ingest(vec![delivery(signal.clone(), at)]).await?;
    let Some(alert) = outcomes.first().and_then(|o| o.alert_id()).cloned() else { return Ok(false) };
    crate::engine::escalate(state, at, None).await?;
    let Some((responder, paged_at)) = first_paged(state, &alert).await? else {
        let mut resolve = signal;
        resolve.action = SignalAction::Resolve;
        store.ingest(vec![delivery(resolve, at + generator.minutes(5, 30))]).await?;
        return Ok(false);
    };
    let slow = generator.chance(0.15);
    let acknowledged_at = paged_at + if slow { generator.minutes(6, 14) } else { generator.minutes(1, 4) };
    crate::engine::escalate(state, acknowledged_at - SignedDuration::from_secs(1), None).await?;
    mark_delivered(state, &alert).await?;
    let person = store.participant(&responder).await?;
    let by = ActedBy::user(responder.clone(), person.person.name.clone());
    store.act_on_alert(&alert, AlertAction::Acknowledge, &by, acknowledged_at).await?;
    match kind.handling {
        Handling::Fixed(note) => {
            store.add_alert_note(&alert, &by, note, acknowledged_at + generator.minutes(3, 15)).await?;
            let resolved_at = acknowledged_at + generator.minutes(20, 80);
            store.act_on_alert(&alert, AlertAction::Resolve, &by, resolved_at).await?;
            if generator.chance(0.3) {
                store.vote_on_page(&alert, &responder, true, resolved_at).await?;
            }
        }
        Handling::Noise => {
            let mut resolve = signal;
            resolve.action = SignalAction::Resolve;
            let resolved_at = acknowledged_at + generator.minutes(2, 12);
            store.ingest(vec![delivery(resolve, resolved_at)]).await?;
            if generator.chance(0.5) {
                store.vote_on_page(&alert, &responder, false, resolved_at + generator.minutes(1, 5)).await?;
            }
        }
        Handling::Ticket(note) => {
            store.mark_ticket_work(&alert, &responder, acknowledged_at + generator.minutes(5, 30)).await?;
            store.add_alert_note(&alert, &by, note, acknowledged_at + generator.minutes(40, 60)).await?;
            let resolved_at = acknowledged_at + generator.minutes(70, 180);
            store.act_on_alert(&alert, AlertAction::Resolve, &by, resolved_at).await?;
        }
        Handling::Incident(story) => {
            let resolved_at =
                run_incident(state, &person, alert.clone(), story, generator, acknowledged_at).await?;
            store.act_on_alert(&alert, AlertAction::Resolve, &by, resolved_at).await?;
            return Ok(true);
        }
    }
    Ok(false)
}

/// The first person the alert's page reached, and when.
async fn first_paged(state: &AppState, alert: &AlertId) -> Result<Option<(UserId, Timestamp)>, StoreError> {
    let Some(page) = state.store.page_of_alert(alert).await? else { return Ok(None) };
    let sent = state.store.notifications_of_page(&page.id).await?;
    Ok(sent.into_iter().min_by_key(|n| n.deliver_at).map(|n| (n.user_id, n.deliver_at)))
}

/// Records every notification of the alert's page as delivered when it was due, so that the
/// outbox does not send the past again.
async fn mark_delivered(state: &AppState, alert: &AlertId) -> Result<(), StoreError> {
    let Some(page) = state.store.page_of_alert(alert).await? else { return Ok(()) };
    let mut by_time: std::collections::BTreeMap<Timestamp, Vec<_>> = std::collections::BTreeMap::new();
    for notification in state.store.notifications_of_page(&page.id).await? {
        by_time.entry(notification.deliver_at).or_default().push(notification.id);
    }
    for (at, ids) in by_time {
        state.store.notifications_delivered(&ids, at).await?;
    }
    Ok(())
}

/// Declares the incident for `alert` and runs it from triage to the cure as its commander;
/// returns when it was resolved.
async fn run_incident(
    state: &AppState,
    commander: &Participant,
    alert: AlertId,
    story: &Story,
    generator: &mut Generator,
    acknowledged_at: Timestamp,
) -> Result<Timestamp, StoreError> {
    let cadence = UpdateCadence::default();
    let declaration = Declaration::parse(story.title, "sev3", vec![], (false, false), vec![alert], None)
        .map_err(StoreError::Invalid)?;
    let mut at = acknowledged_at + generator.minutes(1, 3);
    let incident = state.store.declare_incident(declaration, commander, &cadence, at).await?;
    let output = |stage: Stage, text: &str, outcome: Option<CureOutcome>| Change::WriteOutput {
        stage,
        output: text.to_owned(),
        outcome,
    };
    let steps = [
        output(Stage::Triage, story.triage, None),
        Change::MoveStage { stage: Stage::Examine },
        output(Stage::Examine, story.examine, None),
        Change::MoveStage { stage: Stage::Diagnose },
        Change::ProposeHypothesis { statement: story.hypothesis.to_owned() },
        Change::MoveStage { stage: Stage::Test },
        Change::JudgeHypothesis {
            number: 1,
            verdict: HypothesisVerdict::Confirmed,
            evidence: story.evidence.to_owned(),
        },
        output(Stage::Test, "Confirmed by the evidence above.", None),
        Change::MoveStage { stage: Stage::Cure },
        output(Stage::Cure, story.cure, Some(CureOutcome::FullyWorking)),
        Change::SetState { state: IncidentState::Monitoring },
        Change::SetState { state: IncidentState::Resolved },
    ];
    for change in steps {
        at += generator.minutes(3, 9);
        state.store.change_incident(&incident.id, commander, change, &cadence, at).await?;
    }
    Ok(at)
}
