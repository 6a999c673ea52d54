//! The hand-off recorder: a background job that notes every change of who is on call, with who
//! goes off call and who comes on, so that the incoming person can be told what is still open
//! (delivery arrives with the notification channels; the notice is recorded now).
//!
//! The job sleeps until the next hand-off of any schedule, or until a schedule changes, and never
//! polls on a fixed cycle (it wakes at least hourly to stay right if the clock jumps). Recording is
//! idempotent and restart-safe: it picks up from each schedule's watermark, and a hand-off already
//! recorded is never recorded again.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use muster_core::schedule::{HandOff, Schedule};
use muster_store::{Store, StoreError};

use crate::{events::Topic, state::AppState};

/// How far back a schedule without a watermark is looked at.
const FIRST_LOOK_BACK: SignedDuration = SignedDuration::from_hours(24);
/// The longest the job sleeps, whatever the schedules say.
const MAX_SLEEP: Duration = Duration::from_secs(3600);

/// Records every schedule's hand-offs up to `now`; returns how many hand-offs were found.
pub async fn record_handoffs(store: &Store, now: Timestamp) -> Result<usize, StoreError> {
    record(store, &store.all_schedules().await?, now).await
}

async fn record(store: &Store, schedules: &[Schedule], now: Timestamp) -> Result<usize, StoreError> {
    let mut found = 0;
    for schedule in schedules {
        let from = match store.handoff_watermark(&schedule.id).await? {
            Some(watermark) => watermark,
            None => (now - FIRST_LOOK_BACK).max(schedule.created_at),
        };
        if from >= now {
            continue;
        }
        let handoffs: Vec<HandOff> = schedule.layers.handoffs(from, now);
        found += handoffs.len();
        store.record_handoffs(&schedule.id, &handoffs, now, now).await?;
    }
    Ok(found)
}

/// The next hand-off of any schedule after `now`, within two days.
fn next_handoff(schedules: &[Schedule], now: Timestamp) -> Option<Timestamp> {
    let horizon = now + SignedDuration::from_hours(48);
    schedules.iter().filter_map(|schedule| schedule.layers.handoffs(now, horizon).first().map(|h| h.at)).min()
}

/// Runs the recorder until the process ends.
pub async fn run(state: AppState) {
    loop {
        let now = state.now();
        let due = match state.store.all_schedules().await {
            Ok(schedules) => {
                if let Err(error) = record(&state.store, &schedules, now).await {
                    tracing::error!(error = %error, "recording hand-offs failed; retrying at the next wake-up");
                }
                next_handoff(&schedules, now)
            }
            Err(error) => {
                tracing::error!(error = %error, "loading schedules for hand-offs failed; retrying at the next wake-up");
                None
            }
        };
        // The wait counts from now, not from the start of the pass, which took time of its own.
        state.events.wait_until_due_or_changed(Topic::Schedule, due, state.now(), MAX_SLEEP).await;
    }
}
