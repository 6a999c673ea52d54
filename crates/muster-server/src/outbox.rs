//! Outbox delivery: the background job that hands queued notifications to their channels, at
//! least once. It sleeps until the next notification is due (or a retry's backoff ends), or until
//! a notification is queued, and never polls on a fixed cycle.
//!
//! Every instance runs it: a pass claims due rows (the store makes sure no two instances claim the
//! same one), groups them by destination so that several alerts falling due together for one
//! person's channel go out as one message rather than a burst, delivers, and records each result.
//! Page messages are also throttled per destination: within `notification_throttle_seconds` (30
//! by default) of the last page message a destination received, new ones wait until the window
//! ends and then go out as one bundle, so a storm reaches a phone as a few messages listing every
//! alert, and none is dropped.
//! A failure is retried on the core's backoff until the dead letters (at once when retrying
//! cannot help, such as e-mail on a server without `smtp_url`); a worker that dies
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
const BATCH: u32 = 500;
/// Deliveries in flight at once.
const PARALLEL: usize = 64;
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
        // Page messages to one destination go out together; anything else goes out on its own.
        let mut bundles: BTreeMap<(ContactMethodId, Option<NotificationId>), Vec<Claimed>> = BTreeMap::new();
        for row in claimed {
            let alone = (row.notification.purpose != Purpose::Page).then(|| row.notification.id.clone());
            bundles.entry((row.notification.contact_method_id.clone(), alone)).or_default().push(row);
        }
        hold_back_throttled(state, &mut bundles, now).await?;
        let attempts: Vec<Attempt> = stream::iter(bundles.into_values())
            .map(|bundle| attempt(state, bundle))
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        let delivered: Vec<NotificationId> =
            attempts.iter().filter(|a| a.failure.is_none()).flat_map(|a| a.ids.iter().cloned()).collect();
        // A result that cannot be recorded is not lost: the claim runs out and the rows go out
        // again, with the same idempotency keys.
        if let Err(error) = state.store.notifications_delivered(&delivered, now).await {
            tracing::error!(error = %error, "recording deliveries failed");
        }
        for attempt in &attempts {
            state.metrics.notification_attempted(attempt.kind.as_str(), attempt.failure.is_none());
            match &attempt.failure {
                None => {
                    total.messages += 1;
                    total.notifications += attempt.ids.len();
                }
                Some(failure) => {
                    total.failed += attempt.ids.len();
                    let retry_at = if failure.permanent {
                        None
                    } else {
                        Backoff::default().after_failure(attempt.attempts).map(|wait| now + wait)
                    };
                    tracing::warn!(notification.id = %attempt.ids[0], notification.kind = %attempt.kind,
                        notification.attempts = attempt.attempts, retry = retry_at.is_some(),
                        error = %failure.message, "notification not delivered");
                    if let Err(error) =
                        state.store.notifications_failed(&attempt.ids, &failure.message, retry_at).await
                    {
                        tracing::error!(error = %error, "recording a failed delivery failed");
                    }
                }
            }
        }
        if count < BATCH as usize {
            return Ok(total);
        }
    }
}

/// One message's delivery: the notifications it carried and why it failed, if it did.
struct Attempt {
    ids: Vec<NotificationId>,
    kind: muster_core::notify::ContactKind,
    attempts: u32,
    failure: Option<Failure>,
}

/// Why a message was not delivered, and whether trying again could help.
struct Failure {
    message: String,
    permanent: bool,
}

/// Postpones the page bundles of destinations that had a page message within the throttle window.
async fn hold_back_throttled(
    state: &AppState,
    bundles: &mut BTreeMap<(ContactMethodId, Option<NotificationId>), Vec<Claimed>>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let throttle = SignedDuration::from_secs(i64::from(state.config.notification_throttle_seconds));
    if throttle.is_zero() {
        return Ok(());
    }
    let paged: Vec<ContactMethodId> =
        bundles.keys().filter(|(_, alone)| alone.is_none()).map(|(id, _)| id.clone()).collect();
    let last = state.store.last_page_deliveries(&paged).await?;
    for (method, sent_at) in last {
        let until = sent_at + throttle;
        if until > now
            && let Some(held) = bundles.remove(&(method, None))
        {
            let ids: Vec<NotificationId> = held.iter().map(|c| c.notification.id.clone()).collect();
            state.store.postpone_notifications(&ids, until).await?;
        }
    }
    Ok(())
}

/// Sends one destination's due notifications as one message.
async fn attempt(state: &AppState, bundle: Vec<Claimed>) -> Attempt {
    let first = &bundle[0];
    let ids: Vec<NotificationId> = bundle.iter().map(|c| c.notification.id.clone()).collect();
    let kind = first.notification.kind;
    let attempts = bundle.iter().map(|c| c.notification.attempts).max().unwrap_or(1);
    let failure = match outgoing(state, &bundle).await {
        Ok(outgoing) => {
            let destination = Destination {
                kind,
                address: &first.notification.address,
                signing_secret: first.signing_secret.as_deref(),
            };
            state
                .notifiers
                .deliver(destination, &outgoing)
                .await
                .err()
                .map(|error| Failure { message: error.to_string(), permanent: error.is_permanent() })
        }
        Err(error) => {
            tracing::error!(error = %error, "preparing a notification failed");
            Some(Failure { message: "Muster could not prepare the message".to_owned(), permanent: false })
        }
    };
    Attempt { ids, kind, attempts, failure }
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
        let mut notice = first.notice.clone();
        // Notices queued by the store link inside Muster by path; the public URL is the server's.
        if let Some(path) = notice.url.as_deref().filter(|url| url.starts_with('/')) {
            notice.url = Some(format!("{}{path}", state.config.public_url()));
        }
        return Ok(Outgoing { notice, links, idempotency_key: first.id.to_string() });
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
        // The wait counts from now, not from the start of the pass, which took time of its own.
        state.events.wait_until_due_or_changed(Topic::Notification, due, state.now(), MAX_SLEEP).await;
    }
}
