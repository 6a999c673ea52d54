//! Postmortems: the draft made when an incident that needs one is resolved, every later change
//! in one transaction through core's `Postmortem::apply` (with its history line and audit
//! entry), the published versions, reviewers' comments, action items, and full-text search over
//! published postmortems (SQLite FTS5, PostgreSQL `tsvector`), behind one call.

use jiff::{Timestamp, civil::Date};
use muster_core::{
    audit::Actor,
    ids::{ActionItemId, IncidentId, PostmortemId, UserId},
    incident::{Participant, Person},
    notify::Purpose,
    postmortem::{
        ActionItem, ActionPriority, ActionStatus, Postmortem, PostmortemChange, PostmortemDocument,
        PostmortemStatus, Requirement,
    },
};
use serde::Serialize;
use sqlx::{Any, AnyConnection, FromRow};

use crate::{
    Backend, Store, StoreError,
    audit::{self, Audit},
    new_id, rows,
    subscriptions::notify_person,
};

#[derive(FromRow)]
struct PostmortemRow {
    id: String,
    incident_id: String,
    status: String,
    version: i64,
    document: String,
    reviewers: String,
    dismissed: String,
    override_by: Option<String>,
    published_at: Option<i64>,
    updated_at: i64,
    required: i64,
    reasons: String,
    due_at: Option<i64>,
}

const POSTMORTEM_COLUMNS: &str = "id, incident_id, status, version, document, reviewers, dismissed, override_by, \
     published_at, updated_at, required, reasons, due_at";

impl TryFrom<PostmortemRow> for StoredPostmortem {
    type Error = StoreError;

    fn try_from(row: PostmortemRow) -> Result<Self, StoreError> {
        let postmortem = Postmortem {
            id: PostmortemId(row.id),
            incident_id: IncidentId(row.incident_id),
            status: rows::parsed("status", &row.status)?,
            version: u32::try_from(row.version).unwrap_or(u32::MAX),
            document: rows::json("document", &row.document)?,
            reviewers: rows::json("reviewers", &row.reviewers)?,
            dismissed: rows::json("dismissed", &row.dismissed)?,
            override_by: row.override_by.as_deref().map(|t| rows::json("override_by", t)).transpose()?,
            published_at: rows::optional_timestamp(row.published_at)?,
            updated_at: rows::timestamp(row.updated_at)?,
        };
        let requirement = Requirement {
            required: row.required != 0,
            reasons: rows::json("reasons", &row.reasons)?,
            due_at: rows::optional_timestamp(row.due_at)?,
        };
        Ok(StoredPostmortem { postmortem, requirement })
    }
}

/// A postmortem with what the store keeps beside it: whether it was required, why, and by when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredPostmortem {
    #[serde(flatten)]
    pub postmortem: Postmortem,
    pub requirement: Requirement,
}

pub(crate) async fn fetch(
    conn: &mut AnyConnection,
    backend: Backend,
    id: &PostmortemId,
    lock: bool,
) -> Result<StoredPostmortem, StoreError> {
    let lock = if lock && backend == Backend::Postgres { " FOR UPDATE" } else { "" };
    let row: Option<PostmortemRow> = sqlx::query_as::<Any, PostmortemRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {POSTMORTEM_COLUMNS} FROM postmortems WHERE id = $1{lock}"
    )))
    .bind(id.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    StoredPostmortem::try_from(row.ok_or(StoreError::NotFound("postmortem"))?)
}

/// One line of a postmortem's history: who did what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryLine {
    pub at: Timestamp,
    pub actor: String,
    pub message: String,
}

/// A reviewer's comment on one section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comment {
    pub id: String,
    pub section: String,
    pub body: String,
    pub author: Person,
    pub at: Timestamp,
}

/// A published postmortem found by search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchHit {
    pub postmortem_id: PostmortemId,
    pub title: String,
    /// The number of the incident it is the postmortem of.
    pub incident_number: i64,
}

/// Words too common to say two incidents are alike.
const COMMON_WORDS: [&str; 12] =
    ["after", "again", "all", "and", "for", "from", "into", "the", "this", "that", "with", "were"];

async fn append_history(
    conn: &mut AnyConnection,
    id: &PostmortemId,
    actor: Option<&Person>,
    message: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO postmortem_history (id, postmortem_id, at, actor_id, actor_name, message) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id())
    .bind(id.as_str())
    .bind(rows::millis(now))
    .bind(actor.map(|p| p.id.as_str()))
    .bind(actor.map_or("Muster", |p| p.name.as_str()))
    .bind(message)
    .execute(conn)
    .await?;
    Ok(())
}

/// The text search reads: every prose section of the document.
fn searchable(document: &PostmortemDocument) -> String {
    document.prose().into_iter().map(|(_, text)| text).collect::<Vec<_>>().join("\n")
}

/// Keeps the search table in step with a published document.
async fn index_for_search(
    conn: &mut AnyConnection,
    id: &PostmortemId,
    document: &PostmortemDocument,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM postmortem_search WHERE postmortem_id = $1")
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO postmortem_search (postmortem_id, title, body) VALUES ($1, $2, $3)")
        .bind(id.as_str())
        .bind(&document.title)
        .bind(searchable(document))
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(FromRow)]
struct ActionRow {
    id: String,
    postmortem_id: String,
    title: String,
    owner_id: String,
    owner_name: String,
    due_on: Option<String>,
    priority: String,
    status: String,
    wont_do_reason: Option<String>,
    tracker_url: Option<String>,
    reminded_at: Option<i64>,
}

const ACTION_COLUMNS: &str = "id, postmortem_id, title, owner_id, owner_name, due_on, priority, status, \
     wont_do_reason, tracker_url, reminded_at";

impl TryFrom<ActionRow> for ActionItem {
    type Error = StoreError;

    fn try_from(row: ActionRow) -> Result<Self, StoreError> {
        Ok(ActionItem {
            id: ActionItemId(row.id),
            postmortem_id: PostmortemId(row.postmortem_id),
            title: row.title,
            owner: Person { id: UserId(row.owner_id), name: row.owner_name },
            due_on: row.due_on.as_deref().map(|d| rows::parsed::<Date>("due_on", d)).transpose()?,
            priority: rows::parsed("priority", &row.priority)?,
            status: rows::parsed("status", &row.status)?,
            wont_do_reason: row.wont_do_reason,
            tracker_url: row.tracker_url,
            reminded_at: rows::optional_timestamp(row.reminded_at)?,
        })
    }
}

/// What a new action item says.
#[derive(Debug, Clone)]
pub struct NewActionItem {
    pub title: String,
    pub owner: UserId,
    pub due_on: Option<Date>,
    pub priority: ActionPriority,
    pub tracker_url: Option<String>,
}

impl Store {
    /// Creates the draft of an incident's postmortem, or returns the one it already has: a
    /// resolve that is retried, or a reopened and resolved-again incident, makes no second one.
    pub async fn create_postmortem(
        &self,
        incident: &IncidentId,
        document: PostmortemDocument,
        requirement: &Requirement,
        now: Timestamp,
    ) -> Result<StoredPostmortem, StoreError> {
        let mut tx = self.writer.begin().await?;
        let existing: Option<String> =
            sqlx::query_scalar("SELECT id FROM postmortems WHERE incident_id = $1")
                .bind(incident.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(id) = existing {
            let found = fetch(&mut tx, self.backend, &PostmortemId(id), false).await?;
            tx.commit().await?;
            return Ok(found);
        }
        let postmortem = Postmortem::new(PostmortemId(new_id()), incident.clone(), document, now);
        sqlx::query(
            "INSERT INTO postmortems (id, incident_id, status, version, document, reviewers, dismissed, override_by,
                 required, reasons, due_at, published_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9, $10, NULL, $11, $11)",
        )
        .bind(postmortem.id.as_str())
        .bind(incident.as_str())
        .bind(postmortem.status.as_str())
        .bind(i64::from(postmortem.version))
        .bind(rows::to_json(&postmortem.document))
        .bind(rows::to_json(&postmortem.reviewers))
        .bind(rows::to_json(&postmortem.dismissed))
        .bind(i64::from(requirement.required))
        .bind(rows::to_json(&requirement.reasons))
        .bind(requirement.due_at.map(rows::millis))
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        let why = if requirement.required {
            let reasons: Vec<String> = requirement.reasons.iter().map(|r| r.describe()).collect();
            format!(
                "Muster drafted the postmortem from the incident; it is required because {}",
                reasons.join(", ")
            )
        } else {
            "Muster drafted the postmortem from the incident".to_owned()
        };
        append_history(&mut tx, &postmortem.id, None, &why, now).await?;
        let audit = Audit {
            action: "postmortem.draft",
            target_kind: "postmortem",
            target_id: postmortem.id.as_str(),
            summary: why,
        };
        audit::record(&mut tx, &Actor::System("postmortems"), now, audit).await?;
        let created = fetch(&mut tx, self.backend, &postmortem.id, false).await?;
        tx.commit().await?;
        Ok(created)
    }

    pub async fn get_postmortem(&self, id: &PostmortemId) -> Result<StoredPostmortem, StoreError> {
        let mut conn = self.reader.acquire().await?;
        fetch(&mut conn, self.backend, id, false).await
    }

    pub async fn postmortem_of_incident(
        &self,
        incident: &IncidentId,
    ) -> Result<Option<StoredPostmortem>, StoreError> {
        let id: Option<String> = sqlx::query_scalar("SELECT id FROM postmortems WHERE incident_id = $1")
            .bind(incident.as_str())
            .fetch_optional(&self.reader)
            .await?;
        match id {
            Some(id) => Ok(Some(self.get_postmortem(&PostmortemId(id)).await?)),
            None => Ok(None),
        }
    }

    /// Postmortems, most recently changed first; only those in `status` when given.
    pub async fn list_postmortems(
        &self,
        status: Option<PostmortemStatus>,
        limit: u32,
    ) -> Result<Vec<StoredPostmortem>, StoreError> {
        let status_filter = if status.is_some() { "WHERE status = $2" } else { "" };
        let query = sqlx::query_as::<Any, PostmortemRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {POSTMORTEM_COLUMNS} FROM postmortems {status_filter} ORDER BY updated_at DESC, id DESC LIMIT $1"
        )))
        .bind(i64::from(limit));
        let query = match status {
            Some(status) => query.bind(status.as_str()),
            None => query,
        };
        query.fetch_all(&self.reader).await?.into_iter().map(StoredPostmortem::try_from).collect()
    }

    /// Applies `change` by `who` under the postmortem's lock, with its history line; publishing
    /// and corrections keep the version and the search text in the same transaction.
    pub async fn change_postmortem(
        &self,
        id: &PostmortemId,
        who: &Participant,
        change: PostmortemChange,
        people: &[String],
        now: Timestamp,
    ) -> Result<StoredPostmortem, StoreError> {
        let mut tx = self.writer.begin().await?;
        let StoredPostmortem { mut postmortem, .. } = fetch(&mut tx, self.backend, id, true).await?;
        let version_before = (postmortem.status, postmortem.version);
        let correction_reason = match &change {
            PostmortemChange::Correct { reason, .. } => Some(reason.trim().to_owned()),
            _ => None,
        };
        let said = postmortem.apply(who, change, people, now)?;
        sqlx::query(
            "UPDATE postmortems SET status = $2, version = $3, document = $4, reviewers = $5, dismissed = $6,
                 override_by = $7, published_at = $8, updated_at = $9
             WHERE id = $1",
        )
        .bind(id.as_str())
        .bind(postmortem.status.as_str())
        .bind(i64::from(postmortem.version))
        .bind(rows::to_json(&postmortem.document))
        .bind(rows::to_json(&postmortem.reviewers))
        .bind(rows::to_json(&postmortem.dismissed))
        .bind(postmortem.override_by.as_ref().map(rows::to_json))
        .bind(postmortem.published_at.map(rows::millis))
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        let published_now = postmortem.status == PostmortemStatus::Published
            && version_before != (PostmortemStatus::Published, postmortem.version);
        if published_now {
            let reason = correction_reason.unwrap_or_else(|| "published".to_owned());
            sqlx::query(
                "INSERT INTO postmortem_versions (postmortem_id, version, document, reason, by_id, by_name, at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id.as_str())
            .bind(i64::from(postmortem.version))
            .bind(rows::to_json(&postmortem.document))
            .bind(&reason)
            .bind(who.person.id.as_str())
            .bind(&who.person.name)
            .bind(rows::millis(now))
            .execute(&mut *tx)
            .await?;
            index_for_search(&mut tx, id, &postmortem.document).await?;
        }
        append_history(&mut tx, id, Some(&who.person), &said, now).await?;
        let audit = Audit {
            action: "postmortem.change",
            target_kind: "postmortem",
            target_id: id.as_str(),
            summary: said,
        };
        audit::record(&mut tx, &Actor::User(who.person.id.clone()), now, audit).await?;
        let changed = fetch(&mut tx, self.backend, id, false).await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// The published versions' documents, oldest first.
    pub async fn postmortem_versions(
        &self,
        id: &PostmortemId,
    ) -> Result<Vec<(u32, PostmortemDocument)>, StoreError> {
        let found: Vec<(i64, String)> = sqlx::query_as(
            "SELECT version, document FROM postmortem_versions WHERE postmortem_id = $1 ORDER BY version",
        )
        .bind(id.as_str())
        .fetch_all(&self.reader)
        .await?;
        found
            .into_iter()
            .map(|(version, document)| {
                Ok((u32::try_from(version).unwrap_or(u32::MAX), rows::json("document", &document)?))
            })
            .collect()
    }

    pub async fn postmortem_history(&self, id: &PostmortemId) -> Result<Vec<HistoryLine>, StoreError> {
        let found: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT at, actor_name, message FROM postmortem_history WHERE postmortem_id = $1 ORDER BY at, id",
        )
        .bind(id.as_str())
        .fetch_all(&self.reader)
        .await?;
        found
            .into_iter()
            .map(|(at, actor, message)| Ok(HistoryLine { at: rows::timestamp(at)?, actor, message }))
            .collect()
    }

    /// A reviewer's (or author's) comment on one section of a postmortem not yet published.
    pub async fn comment_on_postmortem(
        &self,
        id: &PostmortemId,
        who: &Participant,
        section: &str,
        body: &str,
        now: Timestamp,
    ) -> Result<Comment, StoreError> {
        let body =
            muster_core::validate::optional_text("body", body, 5000).map_err(muster_core::Invalid::from)?;
        if body.is_empty() {
            return Err(muster_core::Invalid::one("body", "must not be empty").into());
        }
        let mut tx = self.writer.begin().await?;
        let StoredPostmortem { postmortem, .. } = fetch(&mut tx, self.backend, id, true).await?;
        if !postmortem.document.prose().iter().any(|(name, _)| *name == section) {
            return Err(muster_core::Invalid::one("section", "is not a section of the postmortem").into());
        }
        if postmortem.status == PostmortemStatus::Published {
            return Err(StoreError::conflict("status", "a published postmortem takes no more comments"));
        }
        let comment =
            Comment { id: new_id(), section: section.to_owned(), body, author: who.person.clone(), at: now };
        sqlx::query(
            "INSERT INTO postmortem_comments (id, postmortem_id, section, body, author_id, author_name, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&comment.id)
        .bind(id.as_str())
        .bind(&comment.section)
        .bind(&comment.body)
        .bind(who.person.id.as_str())
        .bind(&who.person.name)
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        let summary = format!("commented on {section}");
        append_history(&mut tx, id, Some(&who.person), &format!("{} {summary}", who.person.name), now)
            .await?;
        let audit = Audit {
            action: "postmortem.comment",
            target_kind: "postmortem",
            target_id: id.as_str(),
            summary,
        };
        audit::record(&mut tx, &Actor::User(who.person.id.clone()), now, audit).await?;
        tx.commit().await?;
        Ok(comment)
    }

    pub async fn postmortem_comments(&self, id: &PostmortemId) -> Result<Vec<Comment>, StoreError> {
        let found: Vec<(String, String, String, String, String, i64)> = sqlx::query_as(
            "SELECT id, section, body, author_id, author_name, at FROM postmortem_comments
             WHERE postmortem_id = $1 ORDER BY at, id",
        )
        .bind(id.as_str())
        .fetch_all(&self.reader)
        .await?;
        found
            .into_iter()
            .map(|(id, section, body, author_id, author_name, at)| {
                Ok(Comment {
                    id,
                    section,
                    body,
                    author: Person { id: UserId(author_id), name: author_name },
                    at: rows::timestamp(at)?,
                })
            })
            .collect()
    }

    /// Published postmortems matching `query`'s words, best first.
    pub async fn search_postmortems(&self, query: &str, limit: u32) -> Result<Vec<SearchHit>, StoreError> {
        let words: Vec<String> = query
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(20)
            .map(str::to_owned)
            .collect();
        self.search(&words, false, None, limit).await
    }

    /// Published postmortems of other incidents sharing any telling word of `text` (a new
    /// incident's title), best first: the past incidents worth reading now.
    pub async fn similar_postmortems(
        &self,
        text: &str,
        except: &IncidentId,
        limit: u32,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let mut words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .map(str::to_lowercase)
            .filter(|w| w.chars().count() >= 3 && !COMMON_WORDS.contains(&w.as_str()))
            .take(20)
            .collect();
        words.sort();
        words.dedup();
        self.search(&words, true, Some(except), limit).await
    }

    /// Searches published postmortems for all of `words`, or any of them.
    async fn search(
        &self,
        words: &[String],
        any: bool,
        except: Option<&IncidentId>,
        limit: u32,
    ) -> Result<Vec<SearchHit>, StoreError> {
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let except = except.map_or("", IncidentId::as_str);
        let found: Vec<(String, String, i64)> = match self.backend {
            Backend::Sqlite => {
                // Each word quoted, so nothing the reader types is FTS5 syntax.
                let quoted: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
                let query = quoted.join(if any { " OR " } else { " " });
                sqlx::query_as(
                    "SELECT postmortem_search.postmortem_id, postmortem_search.title, i.number
                     FROM postmortem_search
                     JOIN postmortems p ON p.id = postmortem_search.postmortem_id
                     JOIN incidents i ON i.id = p.incident_id
                     WHERE postmortem_search MATCH $1 AND p.incident_id <> $2
                     ORDER BY rank LIMIT $3",
                )
                .bind(query)
                .bind(except)
                .bind(i64::from(limit))
                .fetch_all(&self.reader)
                .await?
            }
            Backend::Postgres => {
                // `plainto_tsquery` of each word (dropping stop words) joined with & or |.
                let joiner = if any { " || " } else { " && " };
                let parts: Vec<String> =
                    (0..words.len()).map(|i| format!("plainto_tsquery('english', ${})", i + 3)).collect();
                let sql = format!(
                    "SELECT s.postmortem_id, s.title, i.number FROM postmortem_search s
                     JOIN postmortems p ON p.id = s.postmortem_id
                     JOIN incidents i ON i.id = p.incident_id
                     WHERE to_tsvector('english', s.title || ' ' || s.body) @@ ({query}) AND p.incident_id <> $2
                     ORDER BY ts_rank(to_tsvector('english', s.title || ' ' || s.body), ({query})) DESC
                     LIMIT $1",
                    query = parts.join(joiner)
                );
                let mut statement =
                    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(i64::from(limit)).bind(except);
                for word in words {
                    statement = statement.bind(word.clone());
                }
                statement.fetch_all(&self.reader).await?
            }
        };
        Ok(found
            .into_iter()
            .map(|(id, title, incident_number)| SearchHit {
                postmortem_id: PostmortemId(id),
                title,
                incident_number,
            })
            .collect())
    }

    /// Adds an action item to a postmortem; its owner must be an active person.
    pub async fn add_action_item(
        &self,
        postmortem: &PostmortemId,
        new: NewActionItem,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<ActionItem, StoreError> {
        let title = muster_core::validate::required_line("title", &new.title, 200)
            .map_err(muster_core::Invalid::from)?;
        let mut tx = self.writer.begin().await?;
        fetch(&mut tx, self.backend, postmortem, true).await?;
        let owner = crate::users::require_active_user(&mut tx, "owner_id", &new.owner).await?;
        let item = ActionItem {
            id: ActionItemId(new_id()),
            postmortem_id: postmortem.clone(),
            title,
            owner: Person { id: owner.id, name: owner.name },
            due_on: new.due_on,
            priority: new.priority,
            status: ActionStatus::Open,
            wont_do_reason: None,
            tracker_url: new.tracker_url,
            reminded_at: None,
        };
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO action_items ({ACTION_COLUMNS}, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, NULL, $10, $10)"
        )))
        .bind(item.id.as_str())
        .bind(postmortem.as_str())
        .bind(&item.title)
        .bind(item.owner.id.as_str())
        .bind(&item.owner.name)
        .bind(item.due_on.map(|d| d.to_string()))
        .bind(item.priority.as_str())
        .bind(item.status.as_str())
        .bind(item.tracker_url.as_deref())
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        let summary = format!("added action item \"{}\" for {}", item.title, item.owner.name);
        let audit = Audit {
            action: "postmortem.action.add",
            target_kind: "postmortem",
            target_id: postmortem.as_str(),
            summary,
        };
        audit::record(&mut tx, actor, now, audit).await?;
        tx.commit().await?;
        Ok(item)
    }

    /// Moves an action item to `status` (won't do needs a reason).
    pub async fn set_action_status(
        &self,
        id: &ActionItemId,
        status: ActionStatus,
        reason: Option<&str>,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<ActionItem, StoreError> {
        let mut tx = self.writer.begin().await?;
        let row: Option<ActionRow> = sqlx::query_as::<Any, ActionRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {ACTION_COLUMNS} FROM action_items WHERE id = $1"
        )))
        .bind(id.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let mut item = ActionItem::try_from(row.ok_or(StoreError::NotFound("action item"))?)?;
        item.set_status(status, reason).map_err(muster_core::Invalid::from)?;
        sqlx::query(
            "UPDATE action_items SET status = $2, wont_do_reason = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(id.as_str())
        .bind(item.status.as_str())
        .bind(item.wont_do_reason.as_deref())
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        let summary = format!("set action item \"{}\" to {}", item.title, item.status.as_str());
        let audit = Audit {
            action: "postmortem.action.status",
            target_kind: "postmortem",
            target_id: item.postmortem_id.as_str(),
            summary,
        };
        audit::record(&mut tx, actor, now, audit).await?;
        tx.commit().await?;
        Ok(item)
    }

    /// Reminds the authors of a required postmortem past its due date, at most once a day; `false`
    /// when it no longer needs one (published, or another instance reminded first).
    pub async fn remind_postmortem_authors(
        &self,
        id: &PostmortemId,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let StoredPostmortem { postmortem, requirement } = fetch(&mut tx, self.backend, id, true).await?;
        let reminded: Option<i64> = sqlx::query_scalar("SELECT reminded_at FROM postmortems WHERE id = $1")
            .bind(id.as_str())
            .fetch_one(&mut *tx)
            .await?;
        let reminded = rows::optional_timestamp(reminded)?;
        let due = requirement.due_at.filter(|_| requirement.required);
        if !muster_core::postmortem::authors_reminder_due(postmortem.status, due, reminded, now) {
            return Ok(false);
        }
        let number: i64 = sqlx::query_scalar("SELECT number FROM incidents WHERE id = $1")
            .bind(postmortem.incident_id.as_str())
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query("UPDATE postmortems SET reminded_at = $2 WHERE id = $1")
            .bind(id.as_str())
            .bind(rows::millis(now))
            .execute(&mut *tx)
            .await?;
        let notice = muster_core::postmortem::authors_reminder_notice(
            number,
            &postmortem.document.title,
            due.unwrap_or(now),
        );
        for author in &postmortem.document.authors {
            notify_person(
                &mut tx,
                self.backend,
                &author.id,
                Purpose::PostmortemReminder,
                notice.clone(),
                now,
            )
            .await?;
        }
        let names: Vec<&str> = postmortem.document.authors.iter().map(|a| a.name.as_str()).collect();
        let said = format!("Muster reminded {} that the postmortem is overdue", names.join(", "));
        append_history(&mut tx, id, None, &said, now).await?;
        let audit = Audit {
            action: "postmortem.remind",
            target_kind: "postmortem",
            target_id: id.as_str(),
            summary: said,
        };
        audit::record(&mut tx, &Actor::System("reminders"), now, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Reminds an overdue action item's owner, at most once a day (the day in the owner's zone).
    pub async fn remind_action_owner(&self, id: &ActionItemId, now: Timestamp) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let row: Option<ActionRow> = sqlx::query_as::<Any, ActionRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {ACTION_COLUMNS} FROM action_items WHERE id = $1"
        )))
        .bind(id.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let item = ActionItem::try_from(row.ok_or(StoreError::NotFound("action item"))?)?;
        let owner = crate::users::fetch_user(&mut tx, item.owner.id.as_str()).await?;
        let zone = jiff::tz::TimeZone::get(&owner.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
        if !owner.is_active() || !item.reminder_due(now, &zone) {
            return Ok(false);
        }
        sqlx::query("UPDATE action_items SET reminded_at = $2 WHERE id = $1")
            .bind(id.as_str())
            .bind(rows::millis(now))
            .execute(&mut *tx)
            .await?;
        let notice = muster_core::postmortem::overdue_notice(&item);
        notify_person(&mut tx, self.backend, &item.owner.id, Purpose::ActionItemReminder, notice, now)
            .await?;
        let summary = format!("reminded {} of the overdue action item \"{}\"", item.owner.name, item.title);
        let audit = Audit {
            action: "postmortem.action.remind",
            target_kind: "postmortem",
            target_id: item.postmortem_id.as_str(),
            summary,
        };
        audit::record(&mut tx, &Actor::System("reminders"), now, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Incidents resolved since `since` that have no postmortem: the reminder job drafts the
    /// required ones among them, in case the process stopped between a resolve and its draft.
    pub async fn resolved_without_postmortem(&self, since: Timestamp) -> Result<Vec<IncidentId>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT i.id FROM incidents i LEFT JOIN postmortems p ON p.incident_id = i.id
             WHERE i.state = 'resolved' AND i.resolved_at >= $1 AND p.id IS NULL ORDER BY i.resolved_at",
        )
        .bind(rows::millis(since))
        .fetch_all(&self.reader)
        .await?;
        Ok(ids.into_iter().map(IncidentId).collect())
    }

    /// Required postmortems not published yet, for the reminder job.
    pub async fn postmortems_awaiting_publication(&self) -> Result<Vec<PostmortemId>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM postmortems WHERE required = 1 AND status <> 'published' AND due_at IS NOT NULL",
        )
        .fetch_all(&self.reader)
        .await?;
        Ok(ids.into_iter().map(PostmortemId).collect())
    }

    /// Action items of one postmortem, or of all when `postmortem` is `None`; only open ones
    /// (open or in progress) when `open_only`.
    pub async fn action_items(
        &self,
        postmortem: Option<&PostmortemId>,
        open_only: bool,
    ) -> Result<Vec<ActionItem>, StoreError> {
        let open = if open_only { " AND status IN ('open', 'in_progress')" } else { "" };
        let found: Vec<ActionRow> = match postmortem {
            Some(id) => sqlx::query_as::<Any, ActionRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {ACTION_COLUMNS} FROM action_items WHERE postmortem_id = $1{open} ORDER BY created_at, id"
            )))
            .bind(id.as_str())
            .fetch_all(&self.reader)
            .await?,
            None => sqlx::query_as::<Any, ActionRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {ACTION_COLUMNS} FROM action_items WHERE 1 = 1{open} ORDER BY due_on, created_at, id"
            )))
            .fetch_all(&self.reader)
            .await?,
        };
        found.into_iter().map(ActionItem::try_from).collect()
    }
}
