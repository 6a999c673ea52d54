//! Live updates across instances on PostgreSQL: every change an instance publishes is announced
//! to the others (NOTIFY, batched), and every instance re-publishes what the others announce
//! (LISTEN), so an incident room open on one instance updates for a change made through another,
//! and a page started on one instance wakes the engine wherever the lease is held.
//!
//! Announcements carry only what the event bus carries (topic, id, action) and the announcing
//! instance, which skips its own.

use std::time::Duration;

use muster_store::MAX_ANNOUNCEMENT_BYTES;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::{
    events::{ChangeEvent, Topic},
    secrets,
    state::AppState,
};

/// How many changes wait for the announcer before new ones are dropped (and logged).
const QUEUE: usize = 4096;
/// The most changes in one announcement (a storm is announced in a few statements, not thousands).
const BATCH: usize = 200;

#[derive(Debug, Serialize, Deserialize)]
struct Announcement {
    origin: String,
    /// `[topic, id, action]` of each change.
    events: Vec<(String, String, String)>,
}

/// Relays changes until the process ends; returns at once on SQLite, which has one instance.
pub async fn run(state: AppState) {
    if !state.store.announces_changes() {
        return;
    }
    let origin = secrets::random_hex(8);
    let (sender, receiver) = mpsc::channel(QUEUE);
    state.events.relay_to(sender);
    tokio::spawn(announce(state.clone(), receiver, origin.clone()));
    listen(state, origin).await;
}

async fn announce(state: AppState, mut receiver: mpsc::Receiver<ChangeEvent>, origin: String) {
    let mut batch = Vec::with_capacity(BATCH);
    while receiver.recv_many(&mut batch, BATCH).await > 0 {
        for payload in payloads(&origin, &batch) {
            if let Err(error) = state.store.announce_changes(&payload).await {
                tracing::warn!(error = %error, "announcing changes to other instances failed");
            }
        }
        batch.clear();
    }
}

/// The announcements for `events`, each under PostgreSQL's payload limit.
fn payloads(origin: &str, events: &[ChangeEvent]) -> Vec<String> {
    let mut payloads = Vec::new();
    let mut current = Announcement { origin: origin.to_owned(), events: Vec::new() };
    let mut size = 64;
    for event in events {
        let entry = (event.topic.as_str().to_owned(), event.id.clone(), event.action.to_owned());
        let entry_size = entry.0.len() + entry.1.len() + entry.2.len() + 12;
        if size + entry_size > MAX_ANNOUNCEMENT_BYTES && !current.events.is_empty() {
            payloads.extend(serde_json::to_string(&current).ok());
            current.events.clear();
            size = 64;
        }
        size += entry_size;
        current.events.push(entry);
    }
    if !current.events.is_empty() {
        payloads.extend(serde_json::to_string(&current).ok());
    }
    payloads
}

/// The changes another instance announced; none for this instance's own or unreadable ones.
fn changes_from(payload: &str, own_origin: &str) -> Vec<ChangeEvent> {
    let Ok(announcement) = serde_json::from_str::<Announcement>(payload) else {
        tracing::warn!("an unreadable change announcement was ignored");
        return Vec::new();
    };
    if announcement.origin == own_origin {
        return Vec::new();
    }
    announcement
        .events
        .into_iter()
        .filter_map(|(topic, id, action)| {
            let topic = Topic::ALL.into_iter().find(|t| t.as_str() == topic)?;
            let action = ["created", "updated", "deleted"].into_iter().find(|a| *a == action)?;
            Some(ChangeEvent { topic, id, action })
        })
        .collect()
}

async fn listen(state: AppState, origin: String) {
    loop {
        match state.store.listen_for_changes().await {
            Ok(Some(mut listener)) => loop {
                match listener.next().await {
                    Ok(payload) => {
                        for event in changes_from(&payload, &origin) {
                            state.events.publish_here(event);
                        }
                    }
                    // The listener reconnects on the next call; what was announced meanwhile is
                    // missed, as a browser's own reconnect would miss it.
                    Err(error) => {
                        tracing::warn!(error = %error, "listening for other instances' changes failed")
                    }
                }
            },
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(error = %error, "cannot listen for other instances' changes; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(i: usize) -> ChangeEvent {
        ChangeEvent { topic: Topic::Alert, id: format!("{i:036}"), action: "created" }
    }

    #[test]
    fn a_storm_is_announced_in_payloads_under_the_limit_and_read_back_whole() {
        let events: Vec<ChangeEvent> = (0..BATCH).map(event).collect();
        let payloads = payloads("a", &events);
        assert!(payloads.len() > 1, "200 alert ids do not fit one notification");
        assert!(payloads.iter().all(|p| p.len() <= MAX_ANNOUNCEMENT_BYTES));
        let read: Vec<ChangeEvent> = payloads.iter().flat_map(|p| changes_from(p, "b")).collect();
        assert_eq!(read, events);
        assert!(changes_from(&payloads[0], "a").is_empty(), "an instance skips its own announcements");
        assert!(changes_from("not json", "b").is_empty());
        let odd = r#"{"origin":"x","events":[["weather","1","created"],["incident","2","exploded"],["incident","3","updated"]]}"#;
        assert_eq!(
            changes_from(odd, "b"),
            [ChangeEvent { topic: Topic::Incident, id: "3".into(), action: "updated" }]
        );
    }
}
