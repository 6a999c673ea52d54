//! The heartbeat watcher: a background job that raises a heartbeat's alert when its job has not
//! checked in within its interval. It sleeps until the earliest deadline of any heartbeat, or
//! until a heartbeat changes (created, deleted, checked in), and never polls on a fixed cycle (it
//! wakes at least every few minutes to stay right if the clock jumps).
//!
//! Raising is idempotent and restart-safe: the alert is stored first (a second raise is only a
//! repeat of the open alert), then the heartbeat is marked down so the next pass skips it.

use std::time::Duration;

use jiff::Timestamp;
use muster_core::alert::SignalAction;
use tokio::sync::broadcast::error::RecvError;

use crate::{events::Topic, ingest, state::AppState};

/// The longest the job sleeps, whatever the deadlines say.
const MAX_SLEEP: Duration = Duration::from_secs(300);

/// Raises the alert of every heartbeat overdue at `now`; returns how many were raised.
pub async fn check_heartbeats(state: &AppState, now: Timestamp) -> Result<usize, muster_store::StoreError> {
    let mut raised = 0;
    for heartbeat in state.store.all_heartbeats().await?.into_iter().filter(|h| h.is_overdue(now)) {
        let delivery = ingest::heartbeat_delivery(&heartbeat, SignalAction::Trigger, now);
        if ingest::deliver(state, ingest::HEARTBEAT_FORMAT, vec![delivery]).await.is_err() {
            return Err(muster_store::StoreError::Closed);
        }
        if state.store.mark_heartbeat_down(&heartbeat, now).await? {
            tracing::warn!(heartbeat.id = %heartbeat.id, service.id = %heartbeat.service_id, "heartbeat missed; alert raised");
            raised += 1;
        }
    }
    Ok(raised)
}

/// The earliest deadline of a heartbeat that is not already down.
async fn next_deadline(state: &AppState) -> Option<Timestamp> {
    let heartbeats = state.store.all_heartbeats().await.ok()?;
    heartbeats.iter().filter(|h| h.down_since.is_none()).map(|h| h.deadline()).min()
}

/// Runs the watcher until the process ends.
pub async fn run(state: AppState) {
    let mut changes = state.events.subscribe();
    loop {
        let now = state.now();
        if let Err(error) = check_heartbeats(&state, now).await {
            tracing::error!(error = %error, "checking heartbeats failed; retrying at the next wake-up");
        }
        let wait = next_deadline(&state).await.map_or(MAX_SLEEP, |at| {
            Duration::try_from(at.duration_since(now)).unwrap_or_default().min(MAX_SLEEP)
        });
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            received = changes.recv() => match received {
                Ok(event) if event.topic != Topic::Heartbeat => continue,
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            },
        }
    }
}
