//! Postmortem operations shared by the API and the web UI: the draft written when an incident
//! that needs one is resolved (or started by hand), reading, every workflow change, comments,
//! action items, export to Markdown and printable HTML, and search.

use jiff::{Timestamp, tz::TimeZone};
use muster_core::{
    authz::Permission,
    escalation::ResponseOutcome,
    ids::{ActionItemId, PostmortemId, UserId},
    incident::{DocumentDiff, Incident, IncidentState},
    postmortem::{
        ActionItem, ActionPriority, ActionStatus, IncidentFacts, PostmortemChange, PostmortemDocument,
        PostmortemPolicy, PostmortemStatus, Requirement, draft_from_incident, requirement, to_markdown,
    },
};
use muster_store::{Comment, HistoryLine, NewActionItem, SearchHit, StoredPostmortem};
use serde::{Deserialize, Serialize};

use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    events::Topic,
    incidents::{participant, resolve_id},
    state::AppState,
};

/// The team's postmortem policy, from the configuration.
pub fn policy(state: &AppState) -> PostmortemPolicy {
    PostmortemPolicy {
        lengthy_after: jiff::SignedDuration::from_mins(i64::from(state.config.postmortem_lengthy_minutes)),
        due_working_days: state.config.postmortem_due_working_days,
    }
}

/// Writes the draft of `incident`'s postmortem from the incident, unless it has one: at once when
/// a required incident is resolved, or when someone starts one by hand (`force`). Working days
/// count in `zone`, the zone of whoever resolved it.
pub async fn draft_for(
    state: &AppState,
    incident: &Incident,
    zone: &TimeZone,
    force: bool,
) -> ApiResult<Option<StoredPostmortem>> {
    if let Some(existing) = state.store.postmortem_of_incident(&incident.id).await? {
        return Ok(Some(existing));
    }
    let needed = requirement(incident, &policy(state), zone);
    if !(needed.required || force) {
        return Ok(None);
    }
    let document = draft(state, incident, zone).await?;
    let created = state.store.create_postmortem(&incident.id, document, &needed, state.now()).await?;
    state.events.publish(Topic::Postmortem, created.postmortem.id.as_str(), "created");
    Ok(Some(created))
}

async fn draft(state: &AppState, incident: &Incident, zone: &TimeZone) -> ApiResult<PostmortemDocument> {
    let timeline = state.store.incident_timeline(&incident.id).await?;
    let mut service_names = Vec::new();
    for id in &incident.services {
        service_names.push(state.store.get_service(id).await?.name);
    }
    let (mut met, mut missed) = (0, 0);
    for alert in &incident.alerts {
        if let Some(page) = state.store.page_of_alert(alert).await? {
            match page.outcome(state.now()) {
                Some(ResponseOutcome::Met) => met += 1,
                Some(ResponseOutcome::Missed) => missed += 1,
                _ => {}
            }
        }
    }
    let facts = IncidentFacts {
        incident,
        timeline: &timeline,
        service_names: &service_names,
        targets_met: met,
        targets_missed: missed,
    };
    Ok(draft_from_incident(facts, zone))
}

/// After an incident change: a required postmortem is drafted the moment its incident resolves.
pub async fn after_incident_change(state: &AppState, caller: &Caller, incident: &Incident) -> ApiResult<()> {
    if incident.state == IncidentState::Resolved {
        draft_for(state, incident, &caller.time_zone(), false).await?;
    }
    Ok(())
}

/// How far back the reminder job looks for resolved incidents whose draft was never written.
const MISSED_DRAFT_WINDOW: jiff::SignedDuration = jiff::SignedDuration::from_hours(7 * 24);

/// Drafts the required postmortems of recently resolved incidents that have none. The draft is
/// written just after the resolve commits, so a process stopped in between would otherwise leave
/// a required postmortem unwritten and unreminded. Working days count in the commander's zone.
pub async fn draft_missed(state: &AppState, now: Timestamp) -> ApiResult<usize> {
    let mut drafted = 0;
    for id in state.store.resolved_without_postmortem(now - MISSED_DRAFT_WINDOW).await? {
        let incident = state.store.get_incident(&id).await?;
        let commander = state.store.get_user(&incident.command.commander.id).await?;
        let zone = TimeZone::get(&commander.time_zone).unwrap_or(TimeZone::UTC);
        if draft_for(state, &incident, &zone, false).await?.is_some() {
            tracing::warn!(
                incident.number = incident.number,
                "required postmortem had no draft; drafted it now"
            );
            drafted += 1;
        }
    }
    Ok(drafted)
}

/// A postmortem as its page shows it: the postmortem, its requirement, the open blameless flags,
/// its action items, comments and history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PostmortemView {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub postmortem: StoredPostmortem,
    pub incident_number: i64,
    pub flags: Vec<muster_core::postmortem::BlamelessFlag>,
    pub action_items: Vec<ActionItem>,
    #[schema(value_type = Vec<Object>)]
    pub comments: Vec<Comment>,
    #[schema(value_type = Vec<Object>)]
    pub history: Vec<HistoryLine>,
}

/// The names of everyone in the incident, whom the blameless check watches for.
fn people_of(incident: &Incident) -> Vec<String> {
    let command = &incident.command;
    let mut names: Vec<String> =
        [Some(&command.commander), command.comms_lead.as_ref(), command.ops_lead.as_ref()]
            .into_iter()
            .flatten()
            .chain(command.investigators.iter())
            .map(|p| p.name.clone())
            .collect();
    names.sort();
    names.dedup();
    names
}

/// The blameless flags of `postmortem`'s text that nobody dismissed, watching for the names of
/// everyone in its incident as well as those in the document.
pub async fn open_flags(
    state: &AppState,
    postmortem: &muster_core::postmortem::Postmortem,
) -> ApiResult<Vec<muster_core::postmortem::BlamelessFlag>> {
    let incident = state.store.get_incident(&postmortem.incident_id).await?;
    Ok(postmortem.open_flags(&people_of(&incident)))
}

/// A postmortem named by its id, or by its incident's number (`incident-42` or `42`).
pub async fn resolve_postmortem(state: &AppState, id: &str) -> ApiResult<PostmortemId> {
    let number = id.trim().trim_start_matches("incident-");
    if number.parse::<i64>().is_ok() {
        let incident = resolve_id(state, number).await?;
        let found = state.store.postmortem_of_incident(&incident).await?;
        return found.map(|p| p.postmortem.id).ok_or(ApiError::NotFound("postmortem"));
    }
    Ok(PostmortemId(id.to_owned()))
}

pub async fn get(state: &AppState, caller: &Caller, id: &str) -> ApiResult<PostmortemView> {
    caller.require(Permission::ReadIncidents, "read postmortems")?;
    let id = resolve_postmortem(state, id).await?;
    let stored = state.store.get_postmortem(&id).await?;
    let incident = state.store.get_incident(&stored.postmortem.incident_id).await?;
    Ok(PostmortemView {
        flags: stored.postmortem.open_flags(&people_of(&incident)),
        incident_number: incident.number,
        action_items: state.store.action_items(Some(&id), false).await?,
        comments: state.store.postmortem_comments(&id).await?,
        history: state.store.postmortem_history(&id).await?,
        postmortem: stored,
    })
}

/// Starts the postmortem of an incident by hand (an optional one), or returns the one it has.
pub async fn start(state: &AppState, caller: &Caller, incident: &str) -> ApiResult<StoredPostmortem> {
    caller.require(Permission::RespondToIncidents, "start postmortems")?;
    let incident = state.store.get_incident(&resolve_id(state, incident).await?).await?;
    if incident.state.is_open() {
        return Err(ApiError::Conflict {
            field: "state".into(),
            problem: "the postmortem is written once the incident is resolved".into(),
        });
    }
    draft_for(state, &incident, &caller.time_zone(), true).await?.ok_or(ApiError::Internal)
}

pub async fn change(
    state: &AppState,
    caller: &Caller,
    id: &str,
    change: PostmortemChange,
) -> ApiResult<StoredPostmortem> {
    caller.require(Permission::RespondToIncidents, "change postmortems")?;
    let id = resolve_postmortem(state, id).await?;
    let stored = state.store.get_postmortem(&id).await?;
    let incident = state.store.get_incident(&stored.postmortem.incident_id).await?;
    let changed = state
        .store
        .change_postmortem(&id, &participant(caller), change, &people_of(&incident), state.now())
        .await?;
    state.events.publish(Topic::Postmortem, id.as_str(), "updated");
    Ok(changed)
}

/// The reviewers, by user id, as participants.
pub async fn reviewers(
    state: &AppState,
    ids: &[String],
) -> ApiResult<Vec<muster_core::incident::Participant>> {
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        found.push(state.store.participant(&UserId(id.trim().to_owned())).await?);
    }
    Ok(found)
}

pub async fn comment(
    state: &AppState,
    caller: &Caller,
    id: &str,
    section: &str,
    body: &str,
) -> ApiResult<Comment> {
    caller.require(Permission::RespondToIncidents, "comment on postmortems")?;
    let id = resolve_postmortem(state, id).await?;
    let comment =
        state.store.comment_on_postmortem(&id, &participant(caller), section, body, state.now()).await?;
    state.events.publish(Topic::Postmortem, id.as_str(), "updated");
    Ok(comment)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddActionItem {
    pub title: String,
    pub owner_id: String,
    /// `YYYY-MM-DD`.
    pub due_on: Option<String>,
    /// `high`, `medium` (the default) or `low`.
    pub priority: Option<String>,
    /// A link to the ticket in an external tracker.
    pub tracker_url: Option<String>,
}

pub async fn add_action_item(
    state: &AppState,
    caller: &Caller,
    id: &str,
    body: AddActionItem,
) -> ApiResult<ActionItem> {
    caller.require(Permission::RespondToIncidents, "add action items")?;
    let id = resolve_postmortem(state, id).await?;
    let due_on = body
        .due_on
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            d.parse::<jiff::civil::Date>()
                .map_err(|_| ApiError::field("due_on", "must be a date such as 2026-12-31"))
        })
        .transpose()?;
    let priority = body.priority.as_deref().unwrap_or("medium").parse::<ActionPriority>()?;
    let tracker_url = body.tracker_url.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
    if let Some(url) = &tracker_url
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        return Err(ApiError::field("tracker_url", "must be an http:// or https:// link"));
    }
    let new =
        NewActionItem { title: body.title, owner: UserId(body.owner_id), due_on, priority, tracker_url };
    let item = state.store.add_action_item(&id, new, &caller.actor(), state.now()).await?;
    state.events.publish(Topic::Postmortem, id.as_str(), "updated");
    Ok(item)
}

pub async fn set_action_status(
    state: &AppState,
    caller: &Caller,
    item: &str,
    status: &str,
    reason: Option<&str>,
) -> ApiResult<ActionItem> {
    caller.require(Permission::RespondToIncidents, "change action items")?;
    let status = status.parse::<ActionStatus>()?;
    let item = state
        .store
        .set_action_status(&ActionItemId(item.to_owned()), status, reason, &caller.actor(), state.now())
        .await?;
    state.events.publish(Topic::Postmortem, item.postmortem_id.as_str(), "updated");
    Ok(item)
}

pub async fn action_items(state: &AppState, caller: &Caller, open_only: bool) -> ApiResult<Vec<ActionItem>> {
    caller.require(Permission::ReadIncidents, "read action items")?;
    Ok(state.store.action_items(None, open_only).await?)
}

/// The open action items past their due day (in the caller's zone) owned by any of `owners`:
/// what a team's page shows so that follow-ups are not forgotten.
pub async fn overdue_action_items(
    state: &AppState,
    caller: &Caller,
    owners: &[UserId],
) -> ApiResult<Vec<ActionItem>> {
    let zone = caller.time_zone();
    let mut open = action_items(state, caller, true).await?;
    open.retain(|item| owners.contains(&item.owner.id) && item.is_overdue(state.now(), &zone));
    Ok(open)
}

pub async fn list(
    state: &AppState,
    caller: &Caller,
    status: Option<&str>,
) -> ApiResult<Vec<StoredPostmortem>> {
    caller.require(Permission::ReadIncidents, "read postmortems")?;
    let status =
        status.map(str::trim).filter(|s| !s.is_empty()).map(str::parse::<PostmortemStatus>).transpose()?;
    Ok(state.store.list_postmortems(status, 200).await?)
}

pub async fn search(state: &AppState, caller: &Caller, query: &str) -> ApiResult<Vec<SearchHit>> {
    caller.require(Permission::ReadIncidents, "search postmortems")?;
    if query.chars().count() > 200 {
        return Err(ApiError::field("q", "must be at most 200 characters"));
    }
    Ok(state.store.search_postmortems(query, 50).await?)
}

/// The postmortem as Markdown, with its action items, times in `zone`.
pub async fn markdown(state: &AppState, caller: &Caller, id: &str) -> ApiResult<String> {
    let view = get(state, caller, id).await?;
    Ok(to_markdown(&view.postmortem.postmortem.document, &view.action_items, &caller.time_zone()))
}

/// Whether an incident needs a postmortem, for its page.
pub fn requirement_of(state: &AppState, caller: &Caller, incident: &Incident) -> Requirement {
    requirement(incident, &policy(state), &caller.time_zone())
}

/// Which exports there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Markdown,
    Html,
}

impl std::str::FromStr for ExportFormat {
    type Err = ApiError;

    fn from_str(value: &str) -> Result<Self, ApiError> {
        match value.trim() {
            "markdown" | "md" => Ok(ExportFormat::Markdown),
            "html" => Ok(ExportFormat::Html),
            _ => Err(ApiError::field("format", "must be markdown or html")),
        }
    }
}

/// The postmortem as a printable HTML page: its Markdown rendered as CommonMark.
pub async fn html(state: &AppState, caller: &Caller, id: &str) -> ApiResult<String> {
    let markdown = markdown(state, caller, id).await?;
    let body = crate::markdown::to_html(&markdown);
    let title = markdown.lines().next().unwrap_or("Postmortem").trim_start_matches("# ");
    let title = title.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    Ok(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\n<style>body{{font:15px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}}@media print{{body{{margin:0}}}}</style></head>\n<body>\n{body}</body></html>\n"
    ))
}

/// How a published postmortem changed between two of its versions; by default the last
/// correction (the version before the latest against the latest).
pub async fn diff(
    state: &AppState,
    caller: &Caller,
    id: &str,
    from: Option<u32>,
    to: Option<u32>,
) -> ApiResult<DocumentDiff> {
    caller.require(Permission::ReadIncidents, "read postmortems")?;
    let id = resolve_postmortem(state, id).await?;
    let versions = state.store.postmortem_versions(&id).await?;
    let latest = versions.last().map(|(v, _)| *v).ok_or_else(|| ApiError::Conflict {
        field: "status".into(),
        problem: "versions are kept once the postmortem is published".into(),
    })?;
    let to = to.unwrap_or(latest);
    let from = from.unwrap_or(to.saturating_sub(1).max(1));
    let find = |version: u32, field: &'static str| {
        versions.iter().find(|(v, _)| *v == version).map(|(_, d)| d).ok_or_else(|| {
            ApiError::field(field, format!("there is no version {version}; the latest is {latest}"))
        })
    };
    Ok(PostmortemDocument::diff((from, find(from, "from")?), (to, find(to, "to")?)))
}
