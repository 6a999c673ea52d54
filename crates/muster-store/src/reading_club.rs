//! The reading club's records: votes for the postmortem of the month and an admin's choice, the
//! reading list, and review sessions with the postmortems discussed and who attended. Only
//! published postmortems are voted for, listed or discussed: drafts are not ready to be read.

use jiff::{Timestamp, civil::Date};
use muster_core::{
    audit::Actor,
    ids::{PostmortemId, UserId},
    incident::Person,
    postmortem::{Month, PostmortemStatus, postmortem_of_the_month},
    validate::{optional_text, required_line},
};
use serde::Serialize;
use sqlx::AnyConnection;

use crate::{
    Store, StoreError,
    audit::{self, Audit},
    new_id,
    postmortems::fetch,
    rows,
    users::require_active_user,
};

/// A published postmortem as the club's pages list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostmortemRef {
    pub postmortem_id: PostmortemId,
    pub title: String,
    pub incident_number: i64,
}

/// One postmortem's votes in a month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Standing {
    #[serde(flatten)]
    pub postmortem: PostmortemRef,
    pub votes: u32,
}

/// A month's vote: the standings (most votes first), an admin's choice if made, the winner, and
/// what the asking person voted for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthVote {
    pub month: Month,
    pub standings: Vec<Standing>,
    pub chosen_by: Option<Person>,
    pub winner: Option<PostmortemRef>,
    pub my_vote: Option<PostmortemId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadingListEntry {
    #[serde(flatten)]
    pub postmortem: PostmortemRef,
    pub note: String,
    pub added_by: Person,
    pub at: Timestamp,
}

/// A review session to record: when, what was discussed, who came.
#[derive(Debug, Clone)]
pub struct NewReviewSession {
    pub held_on: Date,
    pub title: String,
    pub notes: String,
    pub postmortems: Vec<PostmortemId>,
    pub attendees: Vec<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewSession {
    pub id: String,
    pub held_on: Date,
    pub title: String,
    pub notes: String,
    pub postmortems: Vec<PostmortemRef>,
    pub attendees: Vec<Person>,
    pub recorded_by: Person,
}

const MAX_NOTE_CHARS: usize = 2000;

/// The postmortem, which must be published, as the club lists it.
async fn published(
    conn: &mut AnyConnection,
    store: &Store,
    id: &PostmortemId,
) -> Result<PostmortemRef, StoreError> {
    let found = fetch(conn, store.backend, id, false).await?;
    if found.postmortem.status != PostmortemStatus::Published {
        return Err(StoreError::Conflict {
            field: "postmortem_id",
            problem: format!(
                "\"{}\" is not published yet; only published postmortems are read",
                found.postmortem.document.title
            ),
        });
    }
    let (number,): (i64,) = sqlx::query_as("SELECT number FROM incidents WHERE id = $1")
        .bind(found.postmortem.incident_id.as_str())
        .fetch_one(&mut *conn)
        .await?;
    Ok(PostmortemRef {
        postmortem_id: id.clone(),
        title: found.postmortem.document.title,
        incident_number: number,
    })
}

async fn refs(conn: &mut AnyConnection, ids: Vec<String>) -> Result<Vec<PostmortemRef>, StoreError> {
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        let (document, number): (String, i64) = sqlx::query_as(
            "SELECT p.document, i.number FROM postmortems p JOIN incidents i ON i.id = p.incident_id WHERE p.id = $1",
        )
        .bind(&id)
        .fetch_one(&mut *conn)
        .await?;
        let document: muster_core::postmortem::PostmortemDocument = rows::json("document", &document)?;
        found.push(PostmortemRef {
            postmortem_id: PostmortemId(id),
            title: document.title,
            incident_number: number,
        });
    }
    Ok(found)
}

impl Store {
    /// `voter`'s vote for the postmortem of `month`; voting again moves the vote.
    pub async fn vote_for_postmortem(
        &self,
        month: &Month,
        voter: &UserId,
        postmortem: &PostmortemId,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        published(&mut tx, self, postmortem).await?;
        sqlx::query(
            "INSERT INTO postmortem_votes (month, voter_id, postmortem_id, at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (month, voter_id) DO UPDATE SET postmortem_id = excluded.postmortem_id, at = excluded.at",
        )
        .bind(month.as_str())
        .bind(voter.as_str())
        .bind(postmortem.as_str())
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An admin's choice of the postmortem of `month`, which overrides the vote; recorded in the audit log.
    pub async fn choose_postmortem_of_the_month(
        &self,
        month: &Month,
        postmortem: &PostmortemId,
        by: &Person,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let chosen = published(&mut tx, self, postmortem).await?;
        sqlx::query(
            "INSERT INTO postmortem_month_choices (month, postmortem_id, chosen_by_id, chosen_by_name, at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (month) DO UPDATE SET postmortem_id = excluded.postmortem_id,
                 chosen_by_id = excluded.chosen_by_id, chosen_by_name = excluded.chosen_by_name, at = excluded.at",
        )
        .bind(month.as_str())
        .bind(postmortem.as_str())
        .bind(by.id.as_str())
        .bind(&by.name)
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        let summary = format!("chose \"{}\" as the postmortem of {month}", chosen.title);
        let audit = Audit {
            action: "postmortem.month.choose",
            target_kind: "postmortem",
            target_id: postmortem.as_str(),
            summary,
        };
        audit::record(&mut tx, &Actor::User(by.id.clone()), now, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The vote of `month` as `viewer` sees it.
    pub async fn month_vote(&self, month: &Month, viewer: &UserId) -> Result<MonthVote, StoreError> {
        let mut conn = self.reader.acquire().await?;
        let counted: Vec<(String, i64)> = sqlx::query_as(
            "SELECT postmortem_id, COUNT(*) FROM postmortem_votes WHERE month = $1
             GROUP BY postmortem_id ORDER BY COUNT(*) DESC, postmortem_id",
        )
        .bind(month.as_str())
        .fetch_all(&mut *conn)
        .await?;
        let chosen: Option<(String, String, String)> = sqlx::query_as(
            "SELECT postmortem_id, chosen_by_id, chosen_by_name FROM postmortem_month_choices WHERE month = $1",
        )
        .bind(month.as_str())
        .fetch_optional(&mut *conn)
        .await?;
        let my_vote: Option<(String,)> =
            sqlx::query_as("SELECT postmortem_id FROM postmortem_votes WHERE month = $1 AND voter_id = $2")
                .bind(month.as_str())
                .bind(viewer.as_str())
                .fetch_optional(&mut *conn)
                .await?;
        let votes: Vec<(PostmortemId, u32)> = counted
            .iter()
            .map(|(id, n)| (PostmortemId(id.clone()), u32::try_from(*n).unwrap_or(u32::MAX)))
            .collect();
        let chosen_id = chosen.as_ref().map(|(id, _, _)| PostmortemId(id.clone()));
        let winner = postmortem_of_the_month(chosen_id.as_ref(), &votes);
        let winner = match winner {
            Some(id) => refs(&mut conn, vec![id.0]).await?.pop(),
            None => None,
        };
        let titles = refs(&mut conn, counted.iter().map(|(id, _)| id.clone()).collect()).await?;
        Ok(MonthVote {
            month: month.clone(),
            standings: titles
                .into_iter()
                .zip(votes)
                .map(|(postmortem, (_, votes))| Standing { postmortem, votes })
                .collect(),
            chosen_by: chosen.map(|(_, id, name)| Person { id: UserId(id), name }),
            winner,
            my_vote: my_vote.map(|(id,)| PostmortemId(id)),
        })
    }

    /// Puts a published postmortem on the reading list, or changes its note.
    pub async fn add_to_reading_list(
        &self,
        postmortem: &PostmortemId,
        note: &str,
        by: &Person,
        now: Timestamp,
    ) -> Result<ReadingListEntry, StoreError> {
        let note = optional_text("note", note, MAX_NOTE_CHARS).map_err(muster_core::Invalid::from)?;
        let mut tx = self.writer.begin().await?;
        let listed = published(&mut tx, self, postmortem).await?;
        sqlx::query(
            "INSERT INTO reading_list (postmortem_id, note, added_by_id, added_by_name, at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (postmortem_id) DO UPDATE SET note = excluded.note",
        )
        .bind(postmortem.as_str())
        .bind(&note)
        .bind(by.id.as_str())
        .bind(&by.name)
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ReadingListEntry { postmortem: listed, note, added_by: by.clone(), at: now })
    }

    pub async fn remove_from_reading_list(&self, postmortem: &PostmortemId) -> Result<(), StoreError> {
        let removed = sqlx::query("DELETE FROM reading_list WHERE postmortem_id = $1")
            .bind(postmortem.as_str())
            .execute(&self.writer)
            .await?;
        if removed.rows_affected() == 0 {
            return Err(StoreError::NotFound("reading list entry"));
        }
        Ok(())
    }

    /// The reading list, longest-listed first.
    pub async fn reading_list(&self) -> Result<Vec<ReadingListEntry>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        let listed: Vec<(String, String, String, String, i64)> = sqlx::query_as(
            "SELECT postmortem_id, note, added_by_id, added_by_name, at FROM reading_list ORDER BY at, postmortem_id",
        )
        .fetch_all(&mut *conn)
        .await?;
        let titles = refs(&mut conn, listed.iter().map(|row| row.0.clone()).collect()).await?;
        titles
            .into_iter()
            .zip(listed)
            .map(|(postmortem, (_, note, by_id, by_name, at))| {
                Ok(ReadingListEntry {
                    postmortem,
                    note,
                    added_by: Person { id: UserId(by_id), name: by_name },
                    at: rows::timestamp(at)?,
                })
            })
            .collect()
    }

    /// Records a review session: the postmortems discussed (published ones) and who attended.
    pub async fn record_review_session(
        &self,
        new: NewReviewSession,
        by: &Person,
        now: Timestamp,
    ) -> Result<ReviewSession, StoreError> {
        let title = required_line("title", &new.title, 200).map_err(muster_core::Invalid::from)?;
        let notes = optional_text("notes", &new.notes, 20_000).map_err(muster_core::Invalid::from)?;
        if new.postmortems.is_empty() {
            return Err(muster_core::Invalid::one(
                "postmortem_ids",
                "name at least one postmortem discussed",
            )
            .into());
        }
        if new.attendees.is_empty() {
            return Err(muster_core::Invalid::one("attendee_ids", "name at least one attendee").into());
        }
        let id = new_id();
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO review_sessions (id, held_on, title, notes, recorded_by_id, recorded_by_name, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(new.held_on.to_string())
        .bind(&title)
        .bind(&notes)
        .bind(by.id.as_str())
        .bind(&by.name)
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        let mut postmortems = Vec::new();
        for postmortem in dedup(new.postmortems) {
            postmortems.push(published(&mut tx, self, &postmortem).await?);
            sqlx::query("INSERT INTO review_session_postmortems (session_id, postmortem_id) VALUES ($1, $2)")
                .bind(&id)
                .bind(postmortem.as_str())
                .execute(&mut *tx)
                .await?;
        }
        let mut attendees = Vec::new();
        for attendee in dedup(new.attendees) {
            let user = require_active_user(&mut tx, "attendee_ids", &attendee).await?;
            sqlx::query(
                "INSERT INTO review_session_attendees (session_id, user_id, name) VALUES ($1, $2, $3)",
            )
            .bind(&id)
            .bind(user.id.as_str())
            .bind(&user.name)
            .execute(&mut *tx)
            .await?;
            attendees.push(Person { id: user.id, name: user.name });
        }
        let summary = format!("recorded the review session \"{title}\" of {}", new.held_on);
        let audit = Audit {
            action: "postmortem.session.record",
            target_kind: "review_session",
            target_id: &id,
            summary,
        };
        audit::record(&mut tx, &Actor::User(by.id.clone()), now, audit).await?;
        tx.commit().await?;
        Ok(ReviewSession {
            id,
            held_on: new.held_on,
            title,
            notes,
            postmortems,
            attendees,
            recorded_by: by.clone(),
        })
    }

    /// The latest review sessions, most recent first.
    pub async fn review_sessions(&self, limit: u32) -> Result<Vec<ReviewSession>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        let sessions: Vec<(String, String, String, String, String, String)> = sqlx::query_as(
            "SELECT id, held_on, title, notes, recorded_by_id, recorded_by_name FROM review_sessions
             ORDER BY held_on DESC, id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&mut *conn)
        .await?;
        let mut found = Vec::with_capacity(sessions.len());
        for (id, held_on, title, notes, by_id, by_name) in sessions {
            let discussed: Vec<(String,)> = sqlx::query_as(
                "SELECT postmortem_id FROM review_session_postmortems WHERE session_id = $1 ORDER BY postmortem_id",
            )
            .bind(&id)
            .fetch_all(&mut *conn)
            .await?;
            let attendees: Vec<(String, String)> = sqlx::query_as(
                "SELECT user_id, name FROM review_session_attendees WHERE session_id = $1 ORDER BY name, user_id",
            )
            .bind(&id)
            .fetch_all(&mut *conn)
            .await?;
            found.push(ReviewSession {
                held_on: rows::parsed("held_on", &held_on)?,
                postmortems: refs(&mut conn, discussed.into_iter().map(|(p,)| p).collect()).await?,
                attendees: attendees.into_iter().map(|(id, name)| Person { id: UserId(id), name }).collect(),
                recorded_by: Person { id: UserId(by_id), name: by_name },
                id,
                title,
                notes,
            });
        }
        Ok(found)
    }
}

fn dedup<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut unique = Vec::with_capacity(items.len());
    for item in items {
        if !unique.contains(&item) {
            unique.push(item);
        }
    }
    unique
}
