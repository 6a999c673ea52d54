//! The heartbeat watcher: a background job that raises a heartbeat's alert when its job has not
//! checked in within its interval. It sleeps until the earliest deadline of any heartbeat, or
//! until a heartbeat changes (created, deleted, checked in), and never polls on a fixed cycle (it
//! wakes at least every few minutes to stay right if the clock jumps).
//!
//! Raising is idempotent and restart-safe: the alert is stored first (a second raise is only a
//! repeat of the open alert), then the heartbeat is marked down so the next pass skips it.
//!
//! Only the instance that leads the escalation engine raises. On PostgreSQL every instance runs
//! this job, and two of them raising one missed heartbeat would count it as two occurrences with
//! two log entries; a standby waits until it takes the engine lease, which wakes it.

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

/// What one pass of the watcher did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// This instance leads the engine and raised this many alerts.
    Raised(usize),
    /// Another instance leads the engine and watches the heartbeats.
    StoodBy,
}

/// Raises the alert of every heartbeat overdue at `now`, on the engine's leader only.
pub async fn check_heartbeats(state: &AppState, now: Timestamp) -> Result<Checked, CheckFailed> {
    Ok(match watch(state, now).await? {
        Some(watched) => Checked::Raised(watched.raised),
        None => Checked::StoodBy,
    })
}

/// A pass on the engine's leader.
struct Watched {
    raised: usize,
    /// When the next heartbeat falls due, if one is up.
    next_deadline: Option<Timestamp>,
}

/// One pass; `None` on a standby.
async fn watch(state: &AppState, now: Timestamp) -> Result<Option<Watched>, CheckFailed> {
    if !state.is_engine_leader() {
        return Ok(None);
    }
    let heartbeats = state.store.all_heartbeats().await?;
    let raised = raise_overdue(state, &heartbeats, now).await?;
    Ok(Some(Watched { raised, next_deadline: next_deadline(&heartbeats, now) }))
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
        let due = match watch(&state, now).await {
            Ok(Some(watched)) => watched.next_deadline,
            // Taking the engine lease wakes the job.
            Ok(None) => None,
            Err(error) => {
                tracing::error!(error = %error, "checking heartbeats failed; retrying shortly");
                Some(now + RETRY_AFTER_FAILURE)
            }
        };
        // The wait counts from now, not from the start of the pass, which took time of its own.
        state.events.wait_until_due_or_changed(Topic::Heartbeat, due, state.now(), MAX_SLEEP).await;
    }
}
