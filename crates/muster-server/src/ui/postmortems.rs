//! Postmortem pages: the list with its filters and search, one postmortem's page (the editor with
//! a live preview and the blameless check on what is being typed, review with comments on each
//! section, approvals and publishing, the read-only published text with its corrections), the
//! action items across all postmortems, and the version diff.
//!
//! The editor posts the whole document; its multi-select of authors arrives as repeated fields,
//! so the editor's forms are read as pairs rather than into a struct.

use axum::{
    Router,
    extract::{Path, Query, State},
    response::{Html, IntoResponse},
    routing::{get, post},
};
use jiff::{civil::DateTime, tz::TimeZone};
use muster_core::{
    FieldError,
    authz::Permission,
    incident::DocumentDiff,
    postmortem::{
        ActionItem, ActionPriority, ActionStatus, BlamelessFlag, PostmortemChange, PostmortemDocument,
        PostmortemStatus, TimelineLine, to_markdown,
    },
    user::User,
};
use muster_store::{Comment, SearchHit, StoredPostmortem};
use serde::Deserialize;

use super::{
    CsrfForm, Layout, NoFields, SignedIn, UiResult, form_errors, form_status, non_empty, render, responders,
    see_other,
};
use crate::{
    auth::Caller,
    error::ApiError,
    markdown,
    postmortems::{self, AddActionItem, PostmortemView},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/postmortems", get(list))
        .route("/postmortems/{id}", get(page))
        .route("/postmortems/{id}/preview", post(preview))
        .route("/postmortems/{id}/document", post(edit))
        .route("/postmortems/{id}/corrections", post(correct))
        .route("/postmortems/{id}/reviewers", post(set_reviewers))
        .route("/postmortems/{id}/flags/{flag_id}/dismiss", post(dismiss))
        .route("/postmortems/{id}/submit", post(submit))
        .route("/postmortems/{id}/approve", post(approve))
        .route("/postmortems/{id}/request-changes", post(request_changes))
        .route("/postmortems/{id}/publish", post(publish))
        .route("/postmortems/{id}/comments", post(comment))
        .route("/postmortems/{id}/action-items", post(add_action_item))
        .route("/postmortems/{id}/diff", get(diff))
        .route("/incidents/{id}/postmortem", post(start))
        .route("/action-items", get(action_items))
        .route("/action-items/{id}/status", post(set_action_status))
}

#[derive(Debug, Default, Deserialize)]
struct ListFilters {
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    done: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "postmortems.html")]
struct ListPage {
    layout: Layout,
    status: String,
    q: String,
    postmortems: Vec<StoredPostmortem>,
    hits: Vec<SearchHit>,
    overdue_items: usize,
    errors: Vec<FieldError>,
}

impl ListPage {
    /// A required postmortem past its due date and not published.
    fn is_late(&self, pm: &StoredPostmortem) -> bool {
        pm.postmortem.published_at.is_none()
            && pm.requirement.due_at.is_some_and(|due| due < self.layout.now())
    }

    fn statuses(&self) -> [(&'static str, &'static str); 4] {
        [("", "All"), ("draft", "Draft"), ("in_review", "In review"), ("published", "Published")]
    }
}

async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Query(filters): Query<ListFilters>,
) -> UiResult {
    let mut errors = Vec::new();
    let hits = match non_empty(&filters.q) {
        Some(q) => postmortems::search(&state, &caller, &q).await.or_else(|e| {
            errors.extend(form_errors(e)?);
            Ok::<_, super::UiError>(vec![])
        })?,
        None => vec![],
    };
    let found = postmortems::list(&state, &caller, Some(&filters.status)).await.or_else(|e| {
        errors.extend(form_errors(e)?);
        Ok::<_, super::UiError>(vec![])
    })?;
    let zone = caller.time_zone();
    let overdue_items = postmortems::action_items(&state, &caller, true)
        .await?
        .iter()
        .filter(|item| item.is_overdue(state.now(), &zone))
        .count();
    let view = ListPage {
        layout: Layout::new(&caller, "postmortems", filters.done.as_deref(), state.now()),
        status: filters.status,
        q: filters.q,
        postmortems: found,
        hits,
        overdue_items,
        errors: errors.clone(),
    };
    render(form_status(&errors), &view)
}

/// The editor's fields as text: what is stored, or what was typed into a form that was refused.
#[derive(Debug, Clone, Default)]
struct EditorFields {
    title: String,
    /// Each section's name, heading and text. The timeline is one line per entry,
    /// `2026-11-23 09:14 | what happened` in the reader's zone; the lessons one per line.
    sections: Vec<(&'static str, &'static str, String)>,
    author_ids: Vec<String>,
    reason: String,
}

/// Sections the editor shows as one line per entry rather than prose.
const LIST_SECTIONS: [&str; 4] = ["timeline", "went_well", "went_wrong", "got_lucky"];
const TIME_FORMAT: &str = "%Y-%m-%d %H:%M";

impl EditorFields {
    fn of(document: &PostmortemDocument, zone: &TimeZone) -> EditorFields {
        let timeline = document
            .timeline
            .iter()
            .map(|line| {
                let at = line.at.to_zoned_datetime(zone.clone()).strftime(TIME_FORMAT).to_string();
                format!("{at} | {}", line.text)
            })
            .collect::<Vec<_>>()
            .join("\n");
        EditorFields {
            title: document.title.clone(),
            sections: PostmortemDocument::SECTIONS
                .iter()
                .zip(document.prose())
                .map(|((name, heading), (_, text))| {
                    (*name, *heading, if *name == "timeline" { timeline.clone() } else { text })
                })
                .collect(),
            author_ids: document.authors.iter().map(|a| a.id.to_string()).collect(),
            reason: String::new(),
        }
    }

    fn from_form(pairs: &[(String, String)]) -> EditorFields {
        let one =
            |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default();
        EditorFields {
            title: one("title"),
            sections: PostmortemDocument::SECTIONS
                .iter()
                .map(|(name, heading)| (*name, *heading, one(name)))
                .collect(),
            author_ids: pairs.iter().filter(|(k, _)| k == "author_id").map(|(_, v)| v.clone()).collect(),
            reason: one("reason"),
        }
    }

    fn is_list(&self, name: &str) -> bool {
        LIST_SECTIONS.contains(&name)
    }

    fn has_author(&self, user: &User) -> bool {
        self.author_ids.iter().any(|id| id == user.id.as_str())
    }

    /// The document these fields describe, on top of `base` (which keeps the date, the
    /// commander and the reviewers). Times are read in `zone`.
    async fn document(
        &self,
        state: &AppState,
        base: &PostmortemDocument,
        zone: &TimeZone,
    ) -> Result<PostmortemDocument, ApiError> {
        if self.author_ids.is_empty() {
            return Err(ApiError::field("author_id", "name at least one author"));
        }
        let authors = postmortems::reviewers(state, &self.author_ids).await?;
        let text = |name: &str| {
            self.sections
                .iter()
                .find(|(n, _, _)| *n == name)
                .map(|(_, _, t)| t.trim().to_owned())
                .unwrap_or_default()
        };
        let lines = |name: &str| -> Vec<String> {
            text(name)
                .lines()
                .map(|l| l.trim().trim_start_matches("- ").trim().to_owned())
                .filter(|l| !l.is_empty())
                .collect()
        };
        Ok(PostmortemDocument {
            title: self.title.trim().to_owned(),
            authors: authors.into_iter().map(|p| p.person).collect(),
            executive_summary: text("executive_summary"),
            problem_summary: text("problem_summary"),
            impact: text("impact"),
            timeline: parse_timeline(&text("timeline"), zone)?,
            root_cause: text("root_cause"),
            trigger: text("trigger"),
            resolution: text("resolution"),
            went_well: lines("went_well"),
            went_wrong: lines("went_wrong"),
            got_lucky: lines("got_lucky"),
            ..base.clone()
        })
    }
}

/// `2026-11-23 09:14 | what happened` per line, the time in `zone`.
fn parse_timeline(text: &str, zone: &TimeZone) -> Result<Vec<TimelineLine>, ApiError> {
    let mut timeline = Vec::new();
    for (number, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let refused = || {
            ApiError::field(
                "timeline",
                format!(
                    "line {} must be a time, a bar and what happened: 2026-11-23 09:14 | Paged Ada",
                    number + 1
                ),
            )
        };
        let (time, what) = line.split_once('|').ok_or_else(refused)?;
        let at = DateTime::strptime(TIME_FORMAT, time.trim())
            .ok()
            .and_then(|t| t.to_zoned_datetime(zone.clone()).ok())
            .ok_or_else(refused)?
            .timestamp();
        timeline.push(TimelineLine { at, text: what.trim().to_owned() });
    }
    Ok(timeline)
}

/// One section of the rendered postmortem, with the comments on it.
struct SectionView {
    name: &'static str,
    heading: &'static str,
    html: String,
    comments: Vec<Comment>,
}

#[derive(askama::Template)]
#[template(path = "postmortem.html")]
struct PostmortemPage {
    layout: Layout,
    view: PostmortemView,
    sections: Vec<SectionView>,
    editor: EditorFields,
    /// The editor is open on a published postmortem, to make a correction.
    correcting: bool,
    people: Vec<User>,
    versions: Vec<u32>,
    /// For the action item rows: come back to this page after a change.
    back: String,
    statuses: [(ActionStatus, &'static str); 4],
    errors: Vec<FieldError>,
}

impl PostmortemPage {
    fn pm(&self) -> &muster_core::postmortem::Postmortem {
        &self.view.postmortem.postmortem
    }

    fn is_author(&self) -> bool {
        self.pm().document.authors.iter().any(|a| a.id == self.layout.viewer.id)
    }

    fn is_status(&self, status: &str) -> bool {
        self.pm().status.as_str() == status
    }

    fn may_respond(&self) -> bool {
        self.layout.viewer.role.allows(Permission::RespondToIncidents)
    }

    /// Authors and admins edit the draft, choose reviewers, submit, publish and correct.
    fn may_write(&self) -> bool {
        self.may_respond() && (self.is_author() || self.layout.is_admin())
    }

    fn shows_editor(&self) -> bool {
        self.may_write() && (self.pm().status != PostmortemStatus::Published || self.correcting)
    }

    fn is_reviewer(&self) -> bool {
        self.pm().reviewers.iter().any(|r| r.person.id == self.layout.viewer.id)
    }

    fn is_reviewer_id(&self, user: &User) -> bool {
        self.pm().reviewers.iter().any(|r| r.person.id == user.id)
    }

    /// Reviewers who have not approved the current text.
    fn waiting_for(&self) -> Vec<&str> {
        self.pm()
            .reviewers
            .iter()
            .filter(|r| r.approved_at.is_none())
            .map(|r| r.person.name.as_str())
            .collect()
    }

    fn heading_of(&self, section: &str) -> &'static str {
        PostmortemDocument::heading(section).unwrap_or("Document")
    }

    fn overdue(&self, item: &ActionItem) -> bool {
        item.is_overdue(self.layout.now(), self.layout.zone())
    }

    fn priorities(&self) -> [ActionPriority; 3] {
        [ActionPriority::High, ActionPriority::Medium, ActionPriority::Low]
    }
}

const ACTION_STATUSES: [(ActionStatus, &str); 4] = [
    (ActionStatus::Open, "Open"),
    (ActionStatus::InProgress, "In progress"),
    (ActionStatus::Done, "Done"),
    (ActionStatus::WontDo, "Won't do"),
];

/// What the page's editor holds.
enum Editor {
    /// The saved document; `correcting` opens it on a published postmortem, for a correction.
    Saved { correcting: bool },
    /// What the person typed (and whether as a correction), shown again with its errors.
    Typed(EditorFields, bool),
}

async fn postmortem_page(
    state: &AppState,
    caller: &Caller,
    id: &str,
    done: Option<&str>,
    editor: Editor,
    errors: Vec<FieldError>,
) -> UiResult {
    let view = postmortems::get(state, caller, id).await?;
    let document = &view.postmortem.postmortem.document;
    let prose = document.prose();
    let sections = PostmortemDocument::SECTIONS
        .iter()
        .zip(prose)
        .map(|((name, heading), (_, text))| SectionView {
            name,
            heading,
            html: section_html(name, document, &text, &caller.time_zone()),
            comments: view.comments.iter().filter(|c| c.section == *name).cloned().collect(),
        })
        .collect();
    let (editor, correcting) = match editor {
        Editor::Saved { correcting } => (EditorFields::of(document, &caller.time_zone()), correcting),
        Editor::Typed(fields, correcting) => (fields, correcting),
    };
    let versions = state
        .store
        .postmortem_versions(&view.postmortem.postmortem.id)
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .map(|(v, _)| v)
        .collect();
    let page = PostmortemPage {
        layout: Layout::new(caller, "postmortems", done, state.now()),
        sections,
        editor,
        correcting,
        people: responders(state).await?,
        versions,
        back: view.postmortem.postmortem.id.to_string(),
        statuses: ACTION_STATUSES,
        view,
        errors: errors.clone(),
    };
    render(form_status(&errors), &page)
}

/// A section as HTML: prose as Markdown, lists as bullets, the timeline with its times.
fn section_html(name: &str, document: &PostmortemDocument, text: &str, zone: &TimeZone) -> String {
    let markdown = match name {
        "timeline" => document
            .timeline
            .iter()
            .map(|l| {
                let at = l.at.to_zoned_datetime(zone.clone()).strftime("%Y-%m-%d %H:%M %Z");
                format!("- **{at}** {}", l.text)
            })
            .collect::<Vec<_>>()
            .join("\n"),
        "went_well" | "went_wrong" | "got_lucky" => {
            text.lines().map(|l| format!("- {l}")).collect::<Vec<_>>().join("\n")
        }
        _ => text.to_owned(),
    };
    if markdown.trim().is_empty() {
        "<p class=\"muted\">Not written yet.</p>".to_owned()
    } else {
        markdown::to_html(&markdown)
    }
}

#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    done: Option<String>,
    /// `1` opens the editor on a published postmortem, for a correction.
    correct: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> UiResult {
    let editor = Editor::Saved { correcting: q.correct.is_some() };
    postmortem_page(&state, &caller, &id, q.done.as_deref(), editor, vec![]).await
}

#[derive(askama::Template)]
#[template(path = "postmortem_preview.html")]
struct PreviewFragment {
    html: String,
    flags: Vec<BlamelessFlag>,
    errors: Vec<FieldError>,
}

/// The live preview: the typed document rendered as its export will be, with the blameless
/// check run on the typed text exactly as submitting will run it. Nothing is saved.
async fn preview(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<Vec<(String, String)>>,
) -> UiResult {
    let view = postmortems::get(&state, &caller, &id).await?;
    let zone = caller.time_zone();
    let fields = EditorFields::from_form(&form);
    let fragment = match fields.document(&state, &view.postmortem.postmortem.document, &zone).await {
        Ok(document) => {
            let html = markdown::to_html(&to_markdown(&document, &view.action_items, &zone));
            let mut typed = view.postmortem.postmortem.clone();
            typed.document = document;
            PreviewFragment { html, flags: postmortems::open_flags(&state, &typed).await?, errors: vec![] }
        }
        Err(error) => PreviewFragment { html: String::new(), flags: vec![], errors: form_errors(error)? },
    };
    Ok(Html(askama::Template::render(&fragment)?).into_response())
}

/// Saves the editor's document as a new draft text, or as a correction of a published one.
async fn save(
    state: &AppState,
    caller: &Caller,
    id: &str,
    form: &[(String, String)],
    correcting: bool,
) -> UiResult {
    let view = postmortems::get(state, caller, id).await?;
    let fields = EditorFields::from_form(form);
    let saved = match fields.document(state, &view.postmortem.postmortem.document, &caller.time_zone()).await
    {
        Ok(document) => {
            let change = if correcting {
                PostmortemChange::Correct { document: Box::new(document), reason: fields.reason.clone() }
            } else {
                PostmortemChange::Edit { document: Box::new(document) }
            };
            postmortems::change(state, caller, id, change).await
        }
        Err(error) => Err(error),
    };
    match saved {
        Ok(_) => Ok(see_other(
            &format!("/postmortems/{id}"),
            if correcting { "postmortem-corrected" } else { "postmortem-saved" },
        )),
        // What was typed stays in the editor beside the problems, so nothing is lost.
        Err(error) => {
            postmortem_page(state, caller, id, None, Editor::Typed(fields, correcting), form_errors(error)?)
                .await
        }
    }
}

async fn edit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<Vec<(String, String)>>,
) -> UiResult {
    save(&state, &caller, &id, &form, false).await
}

async fn correct(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<Vec<(String, String)>>,
) -> UiResult {
    save(&state, &caller, &id, &form, true).await
}

/// Runs a workflow step: on success back to the page with a notice, on a refusal the page with
/// the problem beside it.
async fn act(
    state: &AppState,
    caller: &Caller,
    id: &str,
    done: &str,
    result: Result<impl Sized, ApiError>,
) -> UiResult {
    match result {
        Ok(_) => Ok(see_other(&format!("/postmortems/{id}"), done)),
        Err(error) => {
            postmortem_page(state, caller, id, None, Editor::Saved { correcting: false }, form_errors(error)?)
                .await
        }
    }
}

async fn set_reviewers(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<Vec<(String, String)>>,
) -> UiResult {
    let ids: Vec<String> = form.into_iter().filter(|(k, _)| k == "reviewer_id").map(|(_, v)| v).collect();
    let result = match postmortems::reviewers(&state, &ids).await {
        Ok(reviewers) => {
            postmortems::change(&state, &caller, &id, PostmortemChange::SetReviewers { reviewers }).await
        }
        Err(error) => Err(error),
    };
    act(&state, &caller, &id, "reviewers-set", result).await
}

#[derive(Debug, Deserialize)]
struct ReasonForm {
    #[serde(default)]
    reason: String,
}

async fn dismiss(
    State(state): State<AppState>,
    Path((id, flag_id)): Path<(String, String)>,
    CsrfForm { caller, form }: CsrfForm<ReasonForm>,
) -> UiResult {
    let change = PostmortemChange::Dismiss { flag_id, reason: form.reason };
    let result = postmortems::change(&state, &caller, &id, change).await;
    act(&state, &caller, &id, "flag-dismissed", result).await
}

async fn submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    let result = postmortems::change(&state, &caller, &id, PostmortemChange::Submit).await;
    act(&state, &caller, &id, "postmortem-submitted", result).await
}

async fn approve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    let result = postmortems::change(&state, &caller, &id, PostmortemChange::Approve).await;
    act(&state, &caller, &id, "postmortem-approved", result).await
}

async fn publish(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    let result = postmortems::change(&state, &caller, &id, PostmortemChange::Publish).await;
    act(&state, &caller, &id, "postmortem-published", result).await
}

#[derive(Debug, Deserialize)]
struct CommentForm {
    #[serde(default)]
    section: String,
    #[serde(default)]
    body: String,
}

async fn request_changes(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<CommentForm>,
) -> UiResult {
    let change = PostmortemChange::RequestChanges { comment: form.body };
    let result = postmortems::change(&state, &caller, &id, change).await;
    act(&state, &caller, &id, "postmortem-sent-back", result).await
}

async fn comment(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<CommentForm>,
) -> UiResult {
    let result = postmortems::comment(&state, &caller, &id, &form.section, &form.body).await;
    act(&state, &caller, &id, "comment-added", result).await
}

#[derive(Debug, Deserialize)]
struct ActionItemForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    owner_id: String,
    #[serde(default)]
    due_on: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    tracker_url: String,
}

async fn add_action_item(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, form }: CsrfForm<ActionItemForm>,
) -> UiResult {
    let item = AddActionItem {
        title: form.title,
        owner_id: form.owner_id,
        due_on: non_empty(&form.due_on),
        priority: non_empty(&form.priority),
        tracker_url: non_empty(&form.tracker_url),
    };
    let result = postmortems::add_action_item(&state, &caller, &id, item).await;
    act(&state, &caller, &id, "action-item-added", result).await
}

#[derive(Debug, Deserialize)]
struct ActionStatusForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
    /// The postmortem whose page to go back to; the list of all action items when empty.
    #[serde(default)]
    back: String,
}

async fn set_action_status(
    State(state): State<AppState>,
    Path(item): Path<String>,
    CsrfForm { caller, form }: CsrfForm<ActionStatusForm>,
) -> UiResult {
    let result = postmortems::set_action_status(
        &state,
        &caller,
        &item,
        &form.status,
        non_empty(&form.reason).as_deref(),
    )
    .await;
    // `back` only ever names a postmortem on this site, never an address to go to.
    let back = form.back.trim();
    let to_postmortem =
        !back.is_empty() && back.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    match result {
        Ok(_) if to_postmortem => Ok(see_other(&format!("/postmortems/{back}"), "action-item-updated")),
        Ok(_) => Ok(see_other("/action-items", "action-item-updated")),
        Err(error) if to_postmortem => {
            let editor = Editor::Saved { correcting: false };
            postmortem_page(&state, &caller, back, None, editor, form_errors(error)?).await
        }
        Err(error) => {
            action_items_page(&state, &caller, &ActionFilters::default(), form_errors(error)?).await
        }
    }
}

async fn start(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { caller, .. }: CsrfForm<NoFields>,
) -> UiResult {
    let started = postmortems::start(&state, &caller, &id).await?;
    Ok(see_other(&format!("/postmortems/{}", started.postmortem.id), "postmortem-started"))
}

#[derive(Debug, Default, Deserialize)]
struct ActionFilters {
    /// `all` shows done and skipped items too.
    #[serde(default)]
    show: String,
    done: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "action_items.html")]
struct ActionItemsPage {
    layout: Layout,
    items: Vec<ActionItem>,
    show_all: bool,
    /// The rows come back to this list after a change.
    back: String,
    statuses: [(ActionStatus, &'static str); 4],
    errors: Vec<FieldError>,
}

impl ActionItemsPage {
    fn overdue(&self, item: &ActionItem) -> bool {
        item.is_overdue(self.layout.now(), self.layout.zone())
    }

    fn may_respond(&self) -> bool {
        self.layout.viewer.role.allows(Permission::RespondToIncidents)
    }
}

async fn action_items_page(
    state: &AppState,
    caller: &Caller,
    filters: &ActionFilters,
    errors: Vec<FieldError>,
) -> UiResult {
    let show_all = filters.show == "all";
    let view = ActionItemsPage {
        layout: Layout::new(caller, "postmortems", filters.done.as_deref(), state.now()),
        items: postmortems::action_items(state, caller, !show_all).await?,
        show_all,
        back: String::new(),
        statuses: ACTION_STATUSES,
        errors: errors.clone(),
    };
    render(form_status(&errors), &view)
}

async fn action_items(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Query(filters): Query<ActionFilters>,
) -> UiResult {
    action_items_page(&state, &caller, &filters, vec![]).await
}

#[derive(Debug, Default, Deserialize)]
struct DiffQuery {
    from: Option<u32>,
    to: Option<u32>,
}

#[derive(askama::Template)]
#[template(path = "postmortem_diff.html")]
struct DiffPage {
    layout: Layout,
    view: PostmortemView,
    diff: DocumentDiff,
}

async fn diff(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    Query(q): Query<DiffQuery>,
) -> UiResult {
    let diff = postmortems::diff(&state, &caller, &id, q.from, q.to).await?;
    let view = DiffPage {
        layout: Layout::new(&caller, "postmortems", None, state.now()),
        view: postmortems::get(&state, &caller, &id).await?,
        diff,
    };
    render(form_status(&[]), &view)
}
