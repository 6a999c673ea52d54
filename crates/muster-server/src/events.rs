//! Live change events. Every write publishes what changed; browsers and API clients follow along
//! over server-sent events (`GET /api/v1/events`), so a page showing a list or an incident room
//! updates for everyone who has it open.
//!
//! Events carry only what changed (topic, id, action), never the data: a client re-reads what it
//! shows, through the same access checks as any other read.

use std::{
    convert::Infallible,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{
    extract::{Query, State},
    response::sse::{Event, KeepAlive, Sse},
};
use futures_util::{Stream, StreamExt};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, broadcast};
use tokio_stream::wrappers::BroadcastStream;

use crate::{auth::Caller, error::ApiResult, state::AppState};

/// What kind of object changed; also the SSE event name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    User,
    Team,
    Service,
    Schedule,
    Alert,
    Heartbeat,
    EscalationPolicy,
    /// A page started (the escalation engine wakes for it).
    Page,
    /// A notification was queued (the outbox wakes for it).
    Notification,
    /// An incident, its document, timeline or stakeholder updates changed.
    Incident,
    /// A postmortem, its comments or action items changed.
    Postmortem,
}

impl Topic {
    const COUNT: usize = 11;
    pub const ALL: [Topic; Topic::COUNT] = [
        Topic::User,
        Topic::Team,
        Topic::Service,
        Topic::Schedule,
        Topic::Alert,
        Topic::Heartbeat,
        Topic::EscalationPolicy,
        Topic::Page,
        Topic::Notification,
        Topic::Incident,
        Topic::Postmortem,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::User => "user",
            Topic::Team => "team",
            Topic::Service => "service",
            Topic::Schedule => "schedule",
            Topic::Alert => "alert",
            Topic::Heartbeat => "heartbeat",
            Topic::EscalationPolicy => "escalation_policy",
            Topic::Page => "page",
            Topic::Notification => "notification",
            Topic::Incident => "incident",
            Topic::Postmortem => "postmortem",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChangeEvent {
    pub topic: Topic,
    pub id: String,
    /// `created`, `updated` or `deleted`.
    pub action: &'static str,
}

/// A fan-out of change events to every open stream. Slow readers skip events rather than slow
/// down writers; a skipped event is reported to the client as a `resync` event.
#[derive(Debug, Clone)]
pub struct EventBus {
    sender: broadcast::Sender<ChangeEvent>,
    /// Counts service changes, so caches of service data know when they are stale.
    service_changes: Arc<AtomicU64>,
    /// One wake-up per topic for background jobs, which must not be woken by every alert.
    wake_ups: Arc<[Notify; Topic::COUNT]>,
    /// Where this instance's own changes go to be announced to the other instances (PostgreSQL).
    relay: Arc<std::sync::OnceLock<tokio::sync::mpsc::Sender<ChangeEvent>>>,
}

const BUFFERED_EVENTS: usize = 1024;

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    pub fn new() -> Self {
        EventBus {
            sender: broadcast::channel(BUFFERED_EVENTS).0,
            service_changes: Arc::default(),
            wake_ups: Arc::new(std::array::from_fn(|_| Notify::new())),
            relay: Arc::default(),
        }
    }

    /// Publishes a change made by this instance, here and (through the relay) on the others.
    pub fn publish(&self, topic: Topic, id: impl Into<String>, action: &'static str) {
        let event = ChangeEvent { topic, id: id.into(), action };
        if let Some(relay) = self.relay.get()
            && relay.try_send(event.clone()).is_err()
        {
            // The announcer is behind (the database is slow or away): other instances miss this
            // change until the next one; this instance's own readers still get it.
            tracing::warn!(
                event.topic = topic.as_str(),
                "change not relayed to other instances: the relay is full"
            );
        }
        self.publish_here(event);
    }

    /// Sends every change this instance publishes to `relay` as well; set once, by the relay.
    pub fn relay_to(&self, relay: tokio::sync::mpsc::Sender<ChangeEvent>) {
        let _ = self.relay.set(relay);
    }

    /// Publishes a change on this instance only: one another instance made and announced.
    pub fn publish_here(&self, event: ChangeEvent) {
        let topic = event.topic;
        if topic == Topic::Service {
            self.service_changes.fetch_add(1, Ordering::SeqCst);
        }
        // A stored permit means a change made while the job was busy still wakes it once.
        self.wake_ups[topic as usize].notify_one();
        // No subscribers is normal; nothing to do then.
        let _ = self.sender.send(event);
    }

    /// Wakes the background job that follows `topic` without announcing a change: for what a job
    /// waits on besides changes (the heartbeat watcher, for this instance taking the engine lease).
    pub fn wake(&self, topic: Topic) {
        self.wake_ups[topic as usize].notify_one();
    }

    /// How many service changes this process has published; it moves on every change of a
    /// service, its keys or its alert settings.
    pub fn service_generation(&self) -> u64 {
        self.service_changes.load(Ordering::SeqCst)
    }

    /// Resolves at the next change of `topic` (or at once if one happened since the last wait).
    /// For the one background job that follows the topic.
    pub async fn changed(&self, topic: Topic) {
        self.wake_ups[topic as usize].notified().await;
    }

    /// How background jobs wait: until `due` (at most `longest`, so a jump of the clock is noticed)
    /// or until `topic` changes, whichever comes first; never a fixed polling cycle.
    pub async fn wait_until_due_or_changed(
        &self,
        topic: Topic,
        due: Option<Timestamp>,
        now: Timestamp,
        longest: Duration,
    ) {
        let wait = due.map_or(longest, |at| {
            Duration::try_from(at.duration_since(now)).unwrap_or_default().min(longest)
        });
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = self.changed(topic) => {}
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ChangeEvent> {
        self.sender.subscribe()
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct EventFilter {
    /// Comma-separated topics to follow (`user,team,service,schedule`); all when absent.
    topics: Option<String>,
}

/// Streams change events as server-sent events named after their topic.
#[utoipa::path(
    get, path = "/api/v1/events", tag = "events", params(EventFilter),
    responses((status = 200, description = "An event stream; each event is named after its topic and carries a ChangeEvent", content_type = "text/event-stream")),
    security(("bearer" = []))
)]
pub async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    Query(filter): Query<EventFilter>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    caller.require(muster_core::authz::Permission::ReadDirectory, "follow changes")?;
    let wanted: Option<Vec<String>> =
        filter.topics.map(|t| t.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect());
    let events = BroadcastStream::new(state.events.subscribe()).filter_map(move |received| {
        let event = match received {
            Ok(change) if wanted.as_ref().is_none_or(|w| w.iter().any(|t| t == change.topic.as_str())) => {
                Event::default().event(change.topic.as_str()).json_data(&change).ok()
            }
            Ok(_) => None,
            Err(_lagged) => Some(Event::default().event("resync").data("{}")),
        };
        std::future::ready(event.map(Ok))
    });
    let opened =
        futures_util::stream::once(std::future::ready(Ok(Event::default().event("ready").data("{}"))));
    Ok(Sse::new(opened.chain(events)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_job_wakes_for_its_own_topic_only_and_never_misses_a_change() {
        let bus = EventBus::new();
        bus.publish(Topic::Alert, "a1", "created");
        let woken = tokio::time::timeout(Duration::from_millis(50), bus.changed(Topic::Heartbeat)).await;
        assert!(woken.is_err(), "an alert does not wake the heartbeat watcher");
        bus.publish(Topic::Heartbeat, "h1", "created");
        let woken = tokio::time::timeout(Duration::from_millis(50), bus.changed(Topic::Heartbeat)).await;
        assert!(woken.is_ok(), "a change made while the job was busy wakes it once it waits");
    }
}
