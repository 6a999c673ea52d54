//! Requests for cover ("swaps"): a person on call asks someone to take part of their shift; when
//! someone accepts, the override that puts them on call is written in the same transaction, so a
//! request is never accepted without its override nor accepted twice.

use jiff::Timestamp;
use muster_core::{
    Invalid,
    audit::Actor,
    ids::{CoverRequestId, OverrideId, ScheduleId, UserId},
    schedule::{CoverRequest, CoverStatus, OverrideKind},
    validate::{MAX_DESCRIPTION_CHARS, optional_text},
};
use sqlx::{Any, AnyConnection, FromRow};

use crate::{
    Store, StoreError,
    audit::{self, Audit},
    new_id, rows,
    schedules::{insert_override, lock_schedule},
};

#[derive(FromRow)]
struct CoverRow {
    id: String,
    schedule_id: String,
    requester_id: String,
    starts_at: i64,
    ends_at: i64,
    note: String,
    status: String,
    resolved_by: Option<String>,
    override_id: Option<String>,
    created_at: i64,
}

impl TryFrom<CoverRow> for CoverRequest {
    type Error = StoreError;

    fn try_from(row: CoverRow) -> Result<Self, StoreError> {
        Ok(CoverRequest {
            id: CoverRequestId(row.id),
            schedule_id: ScheduleId(row.schedule_id),
            requester: UserId(row.requester_id),
            start: rows::timestamp(row.starts_at)?,
            end: rows::timestamp(row.ends_at)?,
            note: row.note,
            status: rows::parsed("status", &row.status)?,
            resolved_by: row.resolved_by.map(UserId),
            override_id: row.override_id.map(OverrideId),
            created_at: rows::timestamp(row.created_at)?,
        })
    }
}

const COLUMNS: &str =
    "id, schedule_id, requester_id, starts_at, ends_at, note, status, resolved_by, override_id, created_at";

async fn fetch(
    conn: &mut AnyConnection,
    schedule: &ScheduleId,
    id: &CoverRequestId,
) -> Result<CoverRequest, StoreError> {
    let row: Option<CoverRow> = sqlx::query_as::<Any, CoverRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM cover_requests WHERE id = $1 AND schedule_id = $2"
    )))
    .bind(id.as_str())
    .bind(schedule.as_str())
    .fetch_optional(conn)
    .await?;
    row.ok_or(StoreError::NotFound("cover request"))?.try_into()
}

fn still_open(request: &CoverRequest) -> Result<(), StoreError> {
    match request.status {
        CoverStatus::Open => Ok(()),
        other => Err(StoreError::conflict("status", format!("the request is already {}", other.as_str()))),
    }
}

impl Store {
    /// Asks for cover of `[start, end)`, which must not be over yet; the requester must be on call
    /// at some time in it.
    pub async fn create_cover_request(
        &self,
        schedule: &ScheduleId,
        requester: &UserId,
        (start, end): (Timestamp, Timestamp),
        note: &str,
        now: Timestamp,
    ) -> Result<CoverRequest, StoreError> {
        if end <= start {
            return Err(Invalid::one("end", "must be after start").into());
        }
        if end <= now {
            return Err(Invalid::one("end", "must be in the future").into());
        }
        let note = optional_text("note", note, MAX_DESCRIPTION_CHARS).map_err(Invalid::from)?;
        let id = new_id();
        let mut tx = self.writer.begin().await?;
        let current = lock_schedule(&mut tx, schedule, now).await?;
        if !current.layers.shifts(start, end).iter().any(|shift| &shift.person == requester) {
            return Err(Invalid::one("start", "you are not on call at any time in this interval").into());
        }
        sqlx::query(
            "INSERT INTO cover_requests (id, schedule_id, requester_id, starts_at, ends_at, note, status, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'open', $7)",
        )
        .bind(&id)
        .bind(schedule.as_str())
        .bind(requester.as_str())
        .bind(rows::millis(start))
        .bind(rows::millis(end))
        .bind(&note)
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        let summary = format!("asked for cover on schedule {} from {start} until {end}", current.name);
        audit::record(
            &mut tx,
            &Actor::User(requester.clone()),
            now,
            Audit {
                action: "schedule.cover.request",
                target_kind: "schedule",
                target_id: schedule.as_str(),
                summary,
            },
        )
        .await?;
        let created = fetch(&mut tx, schedule, &CoverRequestId(id)).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// A schedule's requests that have not ended yet, the soonest first.
    pub async fn cover_requests(
        &self,
        schedule: &ScheduleId,
        now: Timestamp,
    ) -> Result<Vec<CoverRequest>, StoreError> {
        let rows: Vec<CoverRow> = sqlx::query_as::<Any, CoverRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM cover_requests WHERE schedule_id = $1 AND ends_at > $2 ORDER BY starts_at, id"
        )))
        .bind(schedule.as_str())
        .bind(rows::millis(now))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(CoverRequest::try_from).collect()
    }

    /// `acceptor` takes the request: an override replaces the requester with them.
    pub async fn accept_cover_request(
        &self,
        schedule: &ScheduleId,
        id: &CoverRequestId,
        acceptor: &UserId,
        now: Timestamp,
    ) -> Result<CoverRequest, StoreError> {
        let mut tx = self.writer.begin().await?;
        let current = lock_schedule(&mut tx, schedule, now).await?;
        let request = fetch(&mut tx, schedule, id).await?;
        still_open(&request)?;
        if &request.requester == acceptor {
            return Err(Invalid::one("user", "you cannot cover your own request").into());
        }
        let kind = OverrideKind::Replace { absent: request.requester.clone(), cover: acceptor.clone() };
        let actor = Actor::User(acceptor.clone());
        let created =
            insert_override(&mut tx, &current, kind, (request.start, request.end), &actor, now).await?;
        sqlx::query(
            "UPDATE cover_requests SET status = 'accepted', resolved_by = $2, override_id = $3, resolved_at = $4 WHERE id = $1",
        )
        .bind(id.as_str())
        .bind(acceptor.as_str())
        .bind(created.id.as_str())
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        let summary = format!("accepted cover request {id} on schedule {}", current.name);
        audit::record(
            &mut tx,
            &actor,
            now,
            Audit {
                action: "schedule.cover.accept",
                target_kind: "schedule",
                target_id: schedule.as_str(),
                summary,
            },
        )
        .await?;
        let accepted = fetch(&mut tx, schedule, id).await?;
        tx.commit().await?;
        Ok(accepted)
    }

    pub async fn withdraw_cover_request(
        &self,
        schedule: &ScheduleId,
        id: &CoverRequestId,
        by: &Actor,
        now: Timestamp,
    ) -> Result<CoverRequest, StoreError> {
        let mut tx = self.writer.begin().await?;
        let request = fetch(&mut tx, schedule, id).await?;
        still_open(&request)?;
        let by_user = match by {
            Actor::User(user) => Some(user.as_str()),
            Actor::System(_) => None,
        };
        sqlx::query("UPDATE cover_requests SET status = 'withdrawn', resolved_by = $2, resolved_at = $3 WHERE id = $1")
            .bind(id.as_str())
            .bind(by_user)
            .bind(rows::millis(now))
            .execute(&mut *tx)
            .await?;
        let summary = format!("withdrew cover request {id}");
        audit::record(
            &mut tx,
            by,
            now,
            Audit {
                action: "schedule.cover.withdraw",
                target_kind: "schedule",
                target_id: schedule.as_str(),
                summary,
            },
        )
        .await?;
        let withdrawn = fetch(&mut tx, schedule, id).await?;
        tx.commit().await?;
        Ok(withdrawn)
    }
}
