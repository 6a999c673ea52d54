//! Outbox delivery: the background job that hands queued notifications to their channels, at
//! least once. It sleeps until the next notification is due (or a retry's backoff ends), or until
//! a notification is queued, and never polls on a fixed cycle.
//!
//! Every instance runs it: a pass claims due rows (the store makes sure no two instances claim the
//! same one), groups them by destination so that several alerts falling due together for one
//! person's channel go out as one message rather than a burst, delivers, and records each result.
//! Page messages are also throttled per destination: within [`THROTTLE`] of the last page message
//! a destination received, new ones wait until the window ends and then go out as one bundle, so
//! a storm reaches a phone as a few messages listing every alert, and none is dropped.
//! A failure is retried on the core's backoff until the dead letters; a worker that dies
//! mid-delivery leaves its claim to expire, and the row goes out again with the same idempotency
//! key.

use std::{collections::BTreeMap, time::Duration};

use futures_util::{StreamExt, stream};
use jiff::{SignedDuration, Timestamp};
use muster_core::{
    ids::{ContactMethodId, NotificationId},
    notify::{Backoff, Notice, Purpose},
};
use muster_store::{Claimed, StoreError};

use crate::{
    events::Topic,
    notifiers::{Destination, Outgoing},
    state::AppState,
};

/// How long a claim lasts: longer than any delivery may take.
const CLAIM: SignedDuration = SignedDuration::from_secs(60);
/// Rows claimed per query.
const BATCH: u32 = 100;
/// The least time between two page messages to one destination.
pub const THROTTLE: SignedDuration = SignedDuration::from_secs(30);
/// Deliveries in flight at once.
const PARALLEL: usize = 16;
const MAX_SLEEP: Duration = Duration::from_secs(60);

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    /// Messages sent (a bundle counts once).
    pub messages: usize,
    /// Notifications they carried.
    pub notifications: usize,
    pub failed: usize,
}

/// Delivers everything due at `now`.
pub async fn deliver_due(state: &AppState, now: Timestamp) -> Result<Delivered, StoreError> {
    let mut total = Delivered::default();
    loop {
        let claimed = state.store.claim_notifications(now, now + CLAIM, BATCH).await?;
        let count = claimed.len();
        let mut bundles: BTreeMap<(ContactMethodId, bool), Vec<Claimed>> = BTreeMap::new();
        for row in claimed {
            let is_page = row.notification.purpose == Purpose::Page;
            bundles.entry((row.notification.contact_method_id.clone(), is_page)).or_default().push(row);
        }
        hold_back_throttled(state, &mut bundles, now).await?;
        let results: Vec<Result<usize, usize>> = stream::iter(bundles.into_values())
            .map(|bundle| deliver_bundle(state, bundle, now))
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        for result in results {
            match result {
                Ok(notifications) => {
                    total.messages += 1;
                    total.notifications += notifications;
                }
                Err(notifications) => total.failed += notifications,
            }
        }
        if count < BATCH as usize {
            return Ok(total);
        }
    }
}

/// Postpones the page bundles of destinations that had a page message within [`THROTTLE`].
async fn hold_back_throttled(
    state: &AppState,
    bundles: &mut BTreeMap<(ContactMethodId, bool), Vec<Claimed>>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let paged: Vec<ContactMethodId> =
        bundles.keys().filter(|(_, is_page)| *is_page).map(|(id, _)| id.clone()).collect();
    let last = state.store.last_page_deliveries(&paged).await?;
    for (method, sent_at) in last {
        let until = sent_at + THROTTLE;
        if until > now
            && let Some(held) = bundles.remove(&(method, true))
        {
            let ids: Vec<NotificationId> = held.iter().map(|c| c.notification.id.clone()).collect();
            state.store.postpone_notifications(&ids, until).await?;
        }
    }
    Ok(())
}

/// Sends one destination's due notifications as one message; `Ok` with how many it carried, or
/// `Err` with how many failed.
async fn deliver_bundle(state: &AppState, bundle: Vec<Claimed>, now: Timestamp) -> Result<usize, usize> {
    let first = &bundle[0];
    let ids: Vec<NotificationId> = bundle.iter().map(|c| c.notification.id.clone()).collect();
    let outgoing = match outgoing(state, &bundle).await {
        Ok(outgoing) => outgoing,
        Err(error) => {
            tracing::error!(error = %error, "preparing a notification failed");
            return Err(ids.len());
        }
    };
    let destination = Destination {
        kind: first.notification.kind,
        address: &first.notification.address,
        signing_secret: first.signing_secret.as_deref(),
    };
    let attempts = bundle.iter().map(|c| c.notification.attempts).max().unwrap_or(1);
    let result = state.notifiers.deliver(destination, &outgoing).await;
    let recorded = match &result {
        Ok(()) => state.store.notifications_delivered(&ids, now).await,
        Err(error) => {
            let retry_at = Backoff::default().after_failure(attempts).map(|wait| now + wait);
            tracing::warn!(notification.id = %first.notification.id, notification.kind = %first.notification.kind,
                notification.attempts = attempts, retry = retry_at.is_some(), error = %error, "notification not delivered");
            state.store.notifications_failed(&ids, &error.to_string(), retry_at).await
        }
    };
    if let Err(error) = recorded {
        // The claim runs out and the rows go out again: at least once.
        tracing::error!(error = %error, "recording a delivery failed");
    }
    state.metrics.notification_attempted(first.notification.kind.as_str(), result.is_ok());
    result.map(|()| ids.len()).map_err(|_| ids.len())
}

/// The message for a bundle: one notice with its links, or several listed under one title.
async fn outgoing(state: &AppState, bundle: &[Claimed]) -> Result<Outgoing, StoreError> {
    let first = &bundle[0].notification;
    if let [only] = bundle {
        let links = if only.notification.purpose == Purpose::Page && only.notification.notice.respond {
            Some(state.link_signer().await?.links(&state.config.public_url(), &first.id))
        } else {
            None
        };
        return Ok(Outgoing { notice: first.notice.clone(), links, idempotency_key: first.id.to_string() });
    }
    let notices: Vec<Notice> = bundle.iter().map(|c| c.notification.notice.clone()).collect();
    let mut notice = Notice::bundle(&notices);
    notice.url = Some(format!("{}/alerts?status=triggered", state.config.public_url()));
    // A bundle's key is its first notification's: a repeat of the same bundle is recognisable.
    Ok(Outgoing { notice, links: None, idempotency_key: first.id.to_string() })
}

/// Runs delivery until the process ends.
pub async fn run(state: AppState) {
    loop {
        let now = state.now();
        let due = match deliver_due(&state, now).await {
            Ok(_) => state.store.next_notification_due().await.unwrap_or_else(|error| {
                tracing::error!(error = %error, "reading the next notification due failed");
                Some(now + SignedDuration::from_secs(5))
            }),
            Err(error) => {
                tracing::error!(error = %error, "delivering notifications failed; retrying shortly");
                Some(now + SignedDuration::from_secs(5))
            }
        };
        state.events.wait_until_due_or_changed(Topic::Notification, due, now, MAX_SLEEP).await;
    }
}
