//! The update reminder: a background job that reminds an incident's Comms Lead (the commander
//! while there is none) when a stakeholder update is overdue, and again each update interval
//! while it stays overdue. It sleeps until the earliest reminder falls due or an incident
//! changes (an update moves the due time), never on a fixed cycle.
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
    Ok(Reminded { reminders, next_due })
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
