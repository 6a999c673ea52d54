//! Recorded hand-offs. Each is written once (the key is the schedule and the instant), and a
//! watermark per schedule says up to when hand-offs have been recorded, so recording again after a
//! crash neither misses nor repeats one.

use jiff::Timestamp;
use muster_core::{
    ids::{ScheduleId, UserId},
    schedule::HandOff,
};
use sqlx::{Any, FromRow};

use crate::{Store, StoreError, rows};

fn ids_json(ids: &[UserId]) -> Result<String, StoreError> {
    serde_json::to_string(ids).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn ids_from(text: &str) -> Result<Vec<UserId>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("hand-off people: {e}")))
}

impl Store {
    /// Up to when a schedule's hand-offs have been recorded.
    pub async fn handoff_watermark(&self, schedule: &ScheduleId) -> Result<Option<Timestamp>, StoreError> {
        let until: Option<i64> =
            sqlx::query_scalar("SELECT recorded_until FROM handoff_watermarks WHERE schedule_id = $1")
                .bind(schedule.as_str())
                .fetch_optional(&self.reader)
                .await?;
        until.map(rows::timestamp).transpose()
    }

    /// Records hand-offs found up to `until` and moves the watermark there, in one transaction;
    /// hand-offs already recorded are left as they are.
    pub async fn record_handoffs(
        &self,
        schedule: &ScheduleId,
        handoffs: &[HandOff],
        until: Timestamp,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        for handoff in handoffs {
            sqlx::query(
                "INSERT INTO handoffs (schedule_id, at, outgoing, incoming, recorded_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (schedule_id, at) DO NOTHING",
            )
            .bind(schedule.as_str())
            .bind(rows::millis(handoff.at))
            .bind(ids_json(&handoff.outgoing)?)
            .bind(ids_json(&handoff.incoming)?)
            .bind(rows::millis(now))
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO handoff_watermarks (schedule_id, recorded_until) VALUES ($1, $2)
             ON CONFLICT (schedule_id) DO UPDATE SET recorded_until = excluded.recorded_until",
        )
        .bind(schedule.as_str())
        .bind(rows::millis(until))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A schedule's recorded hand-offs, the latest first.
    pub async fn recent_handoffs(
        &self,
        schedule: &ScheduleId,
        limit: u32,
    ) -> Result<Vec<HandOff>, StoreError> {
        #[derive(FromRow)]
        struct Row {
            at: i64,
            outgoing: String,
            incoming: String,
        }
        let rows: Vec<Row> = sqlx::query_as::<Any, Row>(
            "SELECT at, outgoing, incoming FROM handoffs WHERE schedule_id = $1 ORDER BY at DESC LIMIT $2",
        )
        .bind(schedule.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(HandOff {
                    at: rows::timestamp(row.at)?,
                    outgoing: ids_from(&row.outgoing)?,
                    incoming: ids_from(&row.incoming)?,
                })
            })
            .collect()
    }
}
