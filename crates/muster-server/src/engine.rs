//! The escalation engine: the background job that notifies each step of every page when it falls
//! due. It sleeps until the earliest step deadline of any page, or until a page starts or stops,
//! and never polls on a fixed cycle.
//!
//! One pass ([`escalate`]) takes the pages with a step due, turns each step's targets into people
//! as of the step's due time (who is on call in the service's tiers and the named schedules, the
//! members of named teams), plans their notifications by their rules, and records the step, its
//! notifications and its log line in one transaction. The store refuses the write when the page
//! moved meanwhile (acknowledged, or advanced by another engine) or this engine lost its lease, so
//! a pass is idempotent and safe to run again after a crash.
//!
//! On PostgreSQL, where several instances share the database, only the holder of the engine lease
//! runs passes; it renews the lease every half second, and a standby takes over within two and a
//! half seconds of the holder's death. On SQLite the one process runs the engine without a lease.

use std::{collections::HashMap, time::Duration};

use jiff::{SignedDuration, Timestamp};
use muster_core::{
    alert::{ActedBy, Alert, AlertLogEntry, LogKind, Transition},
    escalation::{EscalationTarget, Page, Recipients, Rosters, StepDue},
    ids::{ScheduleId, ServiceId, TeamId, UserId},
    notify::{Notification, PageNotice, Purpose, Reachable, plan_notifications},
    schedule::{Layers, templates::Tier},
};
use muster_store::{Escalated, Fence, StoreError};

use crate::{events::Topic, state::AppState};

/// Pages taken per query; a pass goes on until nothing is due.
const BATCH: u32 = 500;
/// The longest the engine sleeps, whatever the deadlines say, so a jump of the clock is noticed.
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// How long a lease lasts unrenewed, and how often the holder renews it.
/// A standby takes over at most `LEASE_TTL + RENEW_EVERY` after the leader's last renewal.
pub const LEASE_TTL: SignedDuration = SignedDuration::from_secs(2);
const RENEW_EVERY: Duration = Duration::from_millis(500);
/// Who the engine's log lines are by.
const ENGINE: &str = "Muster escalation";

/// Notifies every step due at `now`; returns how many step notifications were recorded.
///
/// Pages are taken a batch at a time; a batch's alerts are read in one query and its steps are
/// recorded in one transaction, so thousands of steps falling due in the same second cost a
/// handful of commits.
pub async fn escalate(state: &AppState, now: Timestamp, fence: Option<&Fence>) -> Result<usize, StoreError> {
    let mut lookups = Lookups::default();
    let mut recorded = 0;
    loop {
        let due = state.store.due_pages(now, BATCH).await?;
        let ids: Vec<_> = due.iter().map(|p| p.alert_id.clone()).collect();
        let mut alerts: HashMap<_, _> =
            state.store.alerts_by_ids(&ids).await?.into_iter().map(|a| (a.id.clone(), a)).collect();
        let mut batch = Vec::with_capacity(due.len());
        for page in due.iter().cloned() {
            let Some(alert) = alerts.remove(&page.alert_id) else { continue };
            batch.push(escalate_page(state, &mut lookups, page, alert, now).await?);
        }
        let accepted = state.store.record_escalations(&batch, fence).await?;
        let mut progressed = false;
        for (escalated, recorded_now) in batch.iter().zip(accepted) {
            if !recorded_now {
                continue;
            }
            progressed = true;
            let steps = escalated.log.iter().filter(|e| e.kind == LogKind::Paged).count();
            recorded += steps;
            state.events.publish(Topic::Alert, escalated.page.alert_id.as_str(), "updated");
            tracing::info!(page.id = %escalated.page.id, alert.id = %escalated.page.alert_id, steps,
                notifications = escalated.notifications.len(), "page escalated");
        }
        if batch.iter().any(|e| !e.notifications.is_empty()) {
            state.events.publish(Topic::Notification, "", "created");
        }
        // Fewer than a batch means nothing else is due; no progress means the pages moved under
        // us or the lease is gone, and the next pass (or leader) sorts it out.
        if due.len() < BATCH as usize || !progressed {
            return Ok(recorded);
        }
    }
}

/// What one pass does to one due page: an acknowledgement that timed out starts it over, then
/// every step due now is planned.
async fn escalate_page(
    state: &AppState,
    lookups: &mut Lookups,
    mut page: Page,
    mut alert: Alert,
    now: Timestamp,
) -> Result<Escalated, StoreError> {
    let (status_before, steps_before) = (page.status, page.steps_notified);
    let mut log = Vec::new();
    let mut unacknowledged = None;
    if page.acknowledgement_timed_out(now) {
        let minutes = page.acknowledgement_timeout_minutes.unwrap_or_default();
        let message =
            format!("Acknowledged {minutes} min ago and still open: paging again from the first step");
        if let Transition::Changed(entry) = alert.unacknowledge(&ActedBy::monitor(ENGINE), message, now) {
            log.push(entry);
            unacknowledged = Some(alert.clone());
        }
        page.escalate_again(now);
    }
    let mut notifications = Vec::new();
    for step in page.take_due(now) {
        let (planned, line) = notify_step(state, lookups, &page, &alert, &step, now).await?;
        notifications.extend(planned);
        log.push(line);
    }
    Ok(Escalated { page, status_before, steps_before, unacknowledged, notifications, log })
}

/// The notifications of one step and the line it adds to the alert's log.
async fn notify_step(
    state: &AppState,
    lookups: &mut Lookups,
    page: &Page,
    alert: &Alert,
    step: &StepDue,
    now: Timestamp,
) -> Result<(Vec<Notification>, AlertLogEntry), StoreError> {
    let rules_step = &page.rules.steps[step.step];
    let rosters = lookups.rosters(state, &page.service_id, &rules_step.targets, step.due_at).await?;
    let recipients = rules_step.recipients(&rosters);
    let people = lookups.reachable(state, &recipients.people).await?;
    let service_name = lookups.service_name(state, &page.service_id).await?;
    let alert_url = format!("{}/alerts/{}", state.config.public_url(), alert.id);
    let notice =
        PageNotice { alert, service_name: &service_name, step: *step, alert_url: &alert_url }.notice();
    let notifications: Vec<Notification> = plan_notifications(&people, page.priority, step.due_at)
        .into_iter()
        .map(|planned| {
            let mut notification =
                muster_store::queued(&planned.method, Purpose::Page, notice.clone(), planned.deliver_at, now);
            notification.page_id = Some(page.id.clone());
            notification.alert_id = Some(alert.id.clone());
            notification.step_index = Some(u32::try_from(step.index).unwrap_or(u32::MAX));
            notification
        })
        .collect();
    let names = lookups.names(state, &recipients.people).await?;
    let line = describe_step(step, &recipients, &people, &names);
    let entry = AlertLogEntry {
        at: now,
        kind: LogKind::Paged,
        by: ActedBy::monitor(ENGINE),
        message: line,
        details: serde_json::json!({
            "page_id": page.id,
            "step": step.step + 1,
            "round": step.round + 1,
            "due_at": step.due_at.to_string(),
            "people": recipients.people,
        }),
    };
    Ok((notifications, entry))
}

/// "Step 2 (round 1) notified Grace Hopper (ntfy, e-mail) and Tomás; Sam has no verified contact
/// method; tier secondary found nobody."
fn describe_step(
    step: &StepDue,
    recipients: &Recipients,
    people: &[Reachable],
    names: &HashMap<UserId, String>,
) -> String {
    let name = |id: &UserId| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    let mut reached = Vec::new();
    let mut unreachable = Vec::new();
    for person in people {
        if person.rules.is_empty() {
            unreachable.push(name(&person.user_id));
        } else {
            let channels: Vec<&str> = person.rules.iter().map(|(m, _)| m.kind.label()).collect();
            reached.push(format!("{} ({})", name(&person.user_id), channels.join(", ")));
        }
    }
    let mut parts = vec![format!(
        "Step {} (round {}) {}",
        step.step + 1,
        step.round + 1,
        if reached.is_empty() {
            "notified nobody".to_owned()
        } else {
            format!("notified {}", reached.join(", "))
        }
    )];
    if !unreachable.is_empty() {
        parts.push(format!("no verified contact method and rule: {}", unreachable.join(", ")));
    }
    for target in &recipients.unreached {
        parts.push(match target {
            EscalationTarget::Tier { tier } => format!("the service has nobody on call as {}", tier.as_str()),
            EscalationTarget::Schedule { schedule_id } => {
                format!("schedule {schedule_id} has nobody on call")
            }
            EscalationTarget::Team { team_id } => format!("team {team_id} has no members"),
            EscalationTarget::User { user_id } => format!("{} cannot be notified", name(user_id)),
        });
    }
    parts.join("; ")
}

/// What one pass looks up, loaded once per pass however many pages it handles.
#[derive(Debug, Default)]
struct Lookups {
    schedules: Option<HashMap<ScheduleId, Layers>>,
    tiers: HashMap<ServiceId, Vec<(Tier, ScheduleId)>>,
    teams: HashMap<TeamId, Vec<UserId>>,
    services: HashMap<ServiceId, String>,
    names: HashMap<UserId, String>,
    reachable: HashMap<UserId, Reachable>,
}

impl Lookups {
    async fn rosters(
        &mut self,
        state: &AppState,
        service: &ServiceId,
        targets: &[EscalationTarget],
        at: Timestamp,
    ) -> Result<Rosters, StoreError> {
        if self.schedules.is_none() {
            let all = state.store.all_schedules().await?;
            self.schedules = Some(all.into_iter().map(|s| (s.id, s.layers)).collect());
        }
        if !self.tiers.contains_key(service) {
            let tiers = state.store.service_schedules(service).await?;
            self.tiers.insert(service.clone(), tiers);
        }
        let schedules = self.schedules.as_ref();
        let on_call = |id: &ScheduleId| -> Vec<UserId> {
            schedules
                .and_then(|all| all.get(id))
                .map(|layers| layers.on_call_at(at).into_iter().map(|o| o.person).collect())
                .unwrap_or_default()
        };
        let mut rosters = Rosters::default();
        for target in targets {
            match target {
                EscalationTarget::Tier { tier } => {
                    let people = self.tiers[service]
                        .iter()
                        .filter(|(t, _)| t == tier)
                        .flat_map(|(_, s)| on_call(s))
                        .collect();
                    rosters.tiers.insert(*tier, people);
                }
                EscalationTarget::Schedule { schedule_id } => {
                    rosters.schedules.insert(schedule_id.clone(), on_call(schedule_id));
                }
                EscalationTarget::Team { team_id } => {
                    if !self.teams.contains_key(team_id) {
                        let members = match state.store.get_team(team_id).await {
                            Ok(team) => team.members.into_iter().map(|m| m.user_id).collect(),
                            Err(StoreError::NotFound(_)) => Vec::new(),
                            Err(error) => return Err(error),
                        };
                        self.teams.insert(team_id.clone(), members);
                    }
                    rosters.teams.insert(team_id.clone(), self.teams[team_id].clone());
                }
                EscalationTarget::User { .. } => {}
            }
        }
        Ok(rosters)
    }

    async fn reachable(&mut self, state: &AppState, people: &[UserId]) -> Result<Vec<Reachable>, StoreError> {
        let missing: Vec<UserId> =
            people.iter().filter(|p| !self.reachable.contains_key(*p)).cloned().collect();
        if !missing.is_empty() {
            for person in state.store.reachable(&missing).await? {
                self.reachable.insert(person.user_id.clone(), person);
            }
        }
        Ok(people.iter().filter_map(|p| self.reachable.get(p).cloned()).collect())
    }

    async fn service_name(&mut self, state: &AppState, service: &ServiceId) -> Result<String, StoreError> {
        if !self.services.contains_key(service) {
            let name = state
                .store
                .get_service(service)
                .await
                .map(|s| s.name)
                .unwrap_or_else(|_| service.to_string());
            self.services.insert(service.clone(), name);
        }
        Ok(self.services[service].clone())
    }

    async fn names(
        &mut self,
        state: &AppState,
        people: &[UserId],
    ) -> Result<HashMap<UserId, String>, StoreError> {
        let missing: Vec<UserId> = people.iter().filter(|p| !self.names.contains_key(*p)).cloned().collect();
        if !missing.is_empty() {
            for user in state.store.users_by_ids(&missing).await? {
                self.names.insert(user.id, user.name);
            }
        }
        Ok(people.iter().filter_map(|p| Some((p.clone(), self.names.get(p)?.clone()))).collect())
    }
}

/// A name for this instance in the engine lease, unique per process.
pub fn lease_holder() -> String {
    format!("{}-{}", hostname(), uuid::Uuid::new_v4())
}

/// Runs the engine until the process ends: under the lease on PostgreSQL (as `holder`), directly
/// on SQLite.
pub async fn run(state: AppState, holder: String) {
    let shared = state.store.shares_its_database();
    let mut fence: Option<Fence> = None;
    loop {
        let now = state.now();
        if shared {
            fence = match state.store.acquire_engine_lease(&holder, now, LEASE_TTL).await {
                Ok(held) => {
                    if held.is_some() && fence.is_none() {
                        tracing::info!(engine.holder = %holder, "took the engine lease");
                    } else if held.is_none() && fence.is_some() {
                        tracing::warn!(engine.holder = %holder, "lost the engine lease");
                    }
                    held
                }
                Err(error) => {
                    tracing::error!(error = %error, "renewing the engine lease failed");
                    None
                }
            };
        }
        state.set_engine_leader(!shared || fence.is_some());
        let mut due = None;
        if !shared || fence.is_some() {
            due = match escalate(&state, now, fence.as_ref()).await {
                Ok(_) => state.store.next_page_deadline().await.unwrap_or_else(|error| {
                    tracing::error!(error = %error, "reading the next page deadline failed");
                    Some(now + SignedDuration::from_secs(5))
                }),
                Err(error) => {
                    tracing::error!(error = %error, "escalating pages failed; retrying shortly");
                    Some(now + SignedDuration::from_secs(5))
                }
            };
        }
        let longest = if shared { RENEW_EVERY } else { MAX_SLEEP };
        // The wait counts from now, not from the start of the pass, which took time of its own.
        state.events.wait_until_due_or_changed(Topic::Page, due, state.now(), longest).await;
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "muster".to_owned())
}
