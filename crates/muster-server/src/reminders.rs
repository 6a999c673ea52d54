//! The reminders: a background job that reminds an incident's Comms Lead (the commander while
//! there is none) when a stakeholder update is overdue, and again each update interval while it
//! stays overdue; the authors of a required postmortem past its due date, and the owners of
//! overdue action items, once a day each; and it drafts a required postmortem whose draft the
//! resolve did not get to write. It sleeps until the earliest update reminder falls due
//! or an incident changes (an update moves the due time); the daily reminders ride on its passes,
//! at least every five minutes.
//!
//! Reminding is idempotent across instances: the store re-checks under the incident's lock that a
//! reminder is still due, so two instances never remind twice for one interval.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use muster_store::StoreError;

use crate::{events::Topic, state::AppState};

/// The longest the job sleeps, whatever the deadlines say (so a jump of the clock is noticed).
const MAX_SLEEP: Duration = Duration::from_secs(300);
const RETRY_AFTER_FAILURE: SignedDuration = SignedDuration::from_secs(5);

/// What one pass did, and when the next reminder falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reminded {
    pub reminders: usize,
    pub next_due: Option<Timestamp>,
}

/// Reminds of every update overdue at `now`.
pub async fn remind_overdue_updates(state: &AppState, now: Timestamp) -> Result<Reminded, StoreError> {
    let cadence = state.config.update_cadence();
    let mut reminders = 0;
    let mut next_due = None;
    for incident in state.store.incidents_awaiting_updates().await? {
        let Some(at) = incident.next_reminder_at(&cadence) else { continue };
        if at > now {
            next_due = Some(next_due.map_or(at, |n: Timestamp| n.min(at)));
            continue;
        }
        if let Some(entry) = state.store.remind_of_update(&incident.id, &cadence, now).await? {
            tracing::info!(incident.number = incident.number, timeline.entry = %entry.id, "stakeholder update overdue; reminded");
            state.events.publish(Topic::Incident, incident.id.as_str(), "updated");
            state.events.publish(Topic::Notification, incident.id.as_str(), "created");
            reminders += 1;
            let again = now + cadence.interval(incident.severity);
            next_due = Some(next_due.map_or(again, |n: Timestamp| n.min(again)));
        }
    }
    reminders += remind_postmortems(state, now).await?;
    Ok(Reminded { reminders, next_due })
}

/// Reminds the authors of overdue required postmortems and the owners of overdue action items.
async fn remind_postmortems(state: &AppState, now: Timestamp) -> Result<usize, StoreError> {
    // The reminders still go out when drafting fails; it is tried again on the next pass.
    if let Err(error) = crate::postmortems::draft_missed(state, now).await {
        tracing::error!(error = ?error, "drafting missed postmortems failed");
    }
    let mut reminders = 0;
    for id in state.store.postmortems_awaiting_publication().await? {
        if state.store.remind_postmortem_authors(&id, now).await? {
            tracing::info!(postmortem.id = %id, "postmortem overdue; authors reminded");
            reminders += 1;
        }
    }
    // Kiritimati (UTC+14) is the first place where a day begins: an item not overdue there is
    // overdue nowhere, so only the others cost a transaction (which checks the owner's zone).
    let earliest = jiff::tz::TimeZone::get("Pacific/Kiritimati").unwrap_or(jiff::tz::TimeZone::UTC);
    for item in state.store.action_items(None, true).await? {
        if item.reminder_due(now, &earliest) && state.store.remind_action_owner(&item.id, now).await? {
            tracing::info!(action_item.id = %item.id, "action item overdue; owner reminded");
            reminders += 1;
        }
    }
    if reminders > 0 {
        state.events.publish(Topic::Notification, "reminders", "created");
    }
    Ok(reminders)
}

/// Runs the reminder until the process ends.
pub async fn run(state: AppState) {
    loop {
        let now = state.now();
        let due = match remind_overdue_updates(&state, now).await {
            Ok(passed) => passed.next_due,
            Err(error) => {
                tracing::error!(error = %error, "reminding of overdue updates failed; retrying shortly");
                Some(now + RETRY_AFTER_FAILURE)
            }
        };
        state.events.wait_until_due_or_changed(Topic::Incident, due, state.now(), MAX_SLEEP).await;
    }
}
