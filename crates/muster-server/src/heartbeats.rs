//! The heartbeat watcher: a background job that raises a heartbeat's alert when its job has not
//! checked in within its interval. It sleeps until the earliest deadline of any heartbeat, or
//! until a heartbeat changes (created, deleted, checked in), and never polls on a fixed cycle (it
//! wakes at least every few minutes to stay right if the clock jumps).
//!
//! Raising is idempotent and restart-safe: the alert is stored first (a second raise is only a
//! repeat of the open alert), then the heartbeat is marked down so the next pass skips it.

use std::time::Duration;

use jiff::Timestamp;
use muster_core::alert::{SignalAction, settings::Heartbeat};
use muster_store::StoreError;

use crate::{events::Topic, ingest, state::AppState};

/// The longest the job sleeps, whatever the deadlines say.
const MAX_SLEEP: Duration = Duration::from_secs(300);
/// How soon a pass that failed is tried again.
const RETRY_AFTER_FAILURE: jiff::SignedDuration = jiff::SignedDuration::from_secs(5);

/// Why a pass of the watcher stopped early; the job tries again shortly.
#[derive(Debug, thiserror::Error)]
pub enum CheckFailed {
    #[error("reading heartbeats failed: {0}")]
    Store(#[from] StoreError),
    #[error("the alert of a missed heartbeat could not be stored")]
    AlertNotStored,
}

/// Raises the alert of every heartbeat overdue at `now`; returns how many were raised.
pub async fn check_heartbeats(state: &AppState, now: Timestamp) -> Result<usize, CheckFailed> {
    raise_overdue(state, &state.store.all_heartbeats().await?, now).await
}

async fn raise_overdue(
    state: &AppState,
    heartbeats: &[Heartbeat],
    now: Timestamp,
) -> Result<usize, CheckFailed> {
    let mut raised = 0;
    for heartbeat in heartbeats.iter().filter(|h| h.is_overdue(now)) {
        let delivery = ingest::heartbeat_delivery(heartbeat, SignalAction::Trigger, now);
        ingest::deliver(state, ingest::HEARTBEAT_FORMAT, vec![delivery])
            .await
            .map_err(|_| CheckFailed::AlertNotStored)?;
        if state.store.mark_heartbeat_down(heartbeat, now).await? {
            tracing::warn!(heartbeat.id = %heartbeat.id, service.id = %heartbeat.service_id, "heartbeat missed; alert raised");
            raised += 1;
        }
    }
    Ok(raised)
}

/// The earliest deadline after `now` of a heartbeat that is not down.
fn next_deadline(heartbeats: &[Heartbeat], now: Timestamp) -> Option<Timestamp> {
    heartbeats.iter().filter(|h| h.down_since.is_none() && !h.is_overdue(now)).map(Heartbeat::deadline).min()
}

/// Runs the watcher until the process ends.
pub async fn run(state: AppState) {
    loop {
        let now = state.now();
        let passed = match state.store.all_heartbeats().await {
            Ok(heartbeats) => raise_overdue(&state, &heartbeats, now).await.map(|_| heartbeats),
            Err(error) => Err(error.into()),
        };
        let due = match passed {
            Ok(heartbeats) => next_deadline(&heartbeats, now),
            Err(error) => {
                tracing::error!(error = %error, "checking heartbeats failed; retrying shortly");
                Some(now + RETRY_AFTER_FAILURE)
            }
        };
        // The wait counts from now, not from the start of the pass, which took time of its own.
        state.events.wait_until_due_or_changed(Topic::Heartbeat, due, state.now(), MAX_SLEEP).await;
    }
}
