//! SLOs, the SLI counts posted for them, and ops mode with its deploy exceptions. Entering and
//! leaving ops mode and granting an exception are audited; at most one ops mode is in force per
//! service (a partial unique index), so two people entering at once cannot both succeed.

use jiff::Timestamp;
use muster_core::{
    audit::Actor,
    ids::{ServiceId, SloId},
    incident::Person,
    slo::{DeployException, OpsMode, ReducedObjective, Slo},
    validate::required_line,
};
use sqlx::FromRow;

use crate::{
    Store, StoreError,
    audit::{self, Audit},
    error::is_unique_violation,
    new_id, rows,
};

/// Objectives are stored in thousandths of a percent.
fn to_milli(objective: f64) -> i64 {
    (objective * 1000.0).round() as i64
}

fn from_milli(milli: i64) -> f64 {
    milli as f64 / 1000.0
}

#[derive(FromRow)]
struct SloRow {
    id: String,
    service_id: String,
    name: String,
    sli: String,
    objective_milli: i64,
    window_days: i64,
}

impl TryFrom<SloRow> for Slo {
    type Error = StoreError;

    fn try_from(row: SloRow) -> Result<Slo, StoreError> {
        Ok(Slo {
            id: SloId(row.id),
            service_id: ServiceId(row.service_id),
            name: row.name,
            sli: rows::json("sli", &row.sli)?,
            objective: from_milli(row.objective_milli),
            window_days: u32::try_from(row.window_days).unwrap_or(28),
        })
    }
}

#[derive(FromRow)]
struct OpsModeRow {
    id: String,
    reason: String,
    entered_by_id: String,
    entered_by_name: String,
    entered_at: i64,
    expected_end: Option<i64>,
    reduced_objectives: String,
    left_at: Option<i64>,
    left_by_id: Option<String>,
    left_by_name: Option<String>,
}

const OPS_COLUMNS: &str = "id, reason, entered_by_id, entered_by_name, entered_at, expected_end, \
     reduced_objectives, left_at, left_by_id, left_by_name";

impl TryFrom<OpsModeRow> for OpsMode {
    type Error = StoreError;

    fn try_from(row: OpsModeRow) -> Result<OpsMode, StoreError> {
        Ok(OpsMode {
            id: row.id,
            reason: row.reason,
            entered_by: Person { id: muster_core::ids::UserId(row.entered_by_id), name: row.entered_by_name },
            entered_at: rows::timestamp(row.entered_at)?,
            expected_end: rows::optional_timestamp(row.expected_end)?,
            reduced_objectives: rows::json("reduced_objectives", &row.reduced_objectives)?,
            left_at: rows::optional_timestamp(row.left_at)?,
            left_by: match (row.left_by_id, row.left_by_name) {
                (Some(id), Some(name)) => Some(Person { id: muster_core::ids::UserId(id), name }),
                _ => None,
            },
        })
    }
}

/// Ops mode as asked for: why, until when, and the objectives to run on meanwhile.
#[derive(Debug, Clone)]
pub struct EnterOpsMode {
    pub reason: String,
    pub expected_end: Option<Timestamp>,
    pub reduced_objectives: Vec<ReducedObjective>,
}

impl Store {
    /// Adds an SLO (already checked by core); its name is unique within the service.
    pub async fn create_slo(&self, slo: &Slo, actor: &Actor, now: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO slos (id, service_id, name, sli, objective_milli, window_days, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(slo.id.as_str())
        .bind(slo.service_id.as_str())
        .bind(&slo.name)
        .bind(rows::to_json(&slo.sli))
        .bind(to_milli(slo.objective))
        .bind(i64::from(slo.window_days))
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(error) if is_unique_violation(&error) => {
                return Err(StoreError::Conflict {
                    field: "name",
                    problem: format!("the service already has an SLO named {}", slo.name),
                });
            }
            other => other?,
        };
        let summary =
            format!("added the SLO {} ({}% over {} days)", slo.name, slo.objective, slo.window_days);
        let audit = Audit {
            action: "slo.create",
            target_kind: "service",
            target_id: slo.service_id.as_str(),
            summary,
        };
        audit::record(&mut tx, actor, now, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A service's SLOs by name.
    pub async fn slos_of(&self, service: &ServiceId) -> Result<Vec<Slo>, StoreError> {
        let found: Vec<SloRow> = sqlx::query_as(
            "SELECT id, service_id, name, sli, objective_milli, window_days FROM slos WHERE service_id = $1 ORDER BY name",
        )
        .bind(service.as_str())
        .fetch_all(&self.reader)
        .await?;
        found.into_iter().map(Slo::try_from).collect()
    }

    /// Deletes an SLO and its counts.
    pub async fn delete_slo(
        &self,
        service: &ServiceId,
        id: &SloId,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM slo_counts WHERE slo_id = $1").bind(id.as_str()).execute(&mut *tx).await?;
        let deleted = sqlx::query("DELETE FROM slos WHERE id = $1 AND service_id = $2")
            .bind(id.as_str())
            .bind(service.as_str())
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound("slo"));
        }
        let audit = Audit {
            action: "slo.delete",
            target_kind: "service",
            target_id: service.as_str(),
            summary: format!("deleted the SLO {id}"),
        };
        audit::record(&mut tx, actor, now, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records the good and total events of a period ending at `at`.
    pub async fn record_slo_counts(
        &self,
        slo: &SloId,
        good: u64,
        total: u64,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let (good, total) =
            (i64::try_from(good).unwrap_or(i64::MAX), i64::try_from(total).unwrap_or(i64::MAX));
        sqlx::query("INSERT INTO slo_counts (id, slo_id, at, good, total) VALUES ($1, $2, $3, $4, $5)")
            .bind(new_id())
            .bind(slo.as_str())
            .bind(rows::millis(at))
            .bind(good)
            .bind(total)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Good and total events posted for `slo` at or after `since`.
    pub async fn slo_counts_since(&self, slo: &SloId, since: Timestamp) -> Result<(u64, u64), StoreError> {
        let (good, total): (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT CAST(SUM(good) AS BIGINT), CAST(SUM(total) AS BIGINT) FROM slo_counts WHERE slo_id = $1 AND at >= $2",
        )
        .bind(slo.as_str())
        .bind(rows::millis(since))
        .fetch_one(&self.reader)
        .await?;
        let count = |n: Option<i64>| u64::try_from(n.unwrap_or(0)).unwrap_or(0);
        Ok((count(good), count(total)))
    }

    /// Counts posted for `slo` after `since`, oldest first: when, good and total events.
    pub async fn slo_counts_after(
        &self,
        slo: &SloId,
        since: Timestamp,
    ) -> Result<Vec<muster_core::slo::PostedCounts>, StoreError> {
        let found: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT at, good, total FROM slo_counts WHERE slo_id = $1 AND at > $2 ORDER BY at",
        )
        .bind(slo.as_str())
        .bind(rows::millis(since))
        .fetch_all(&self.reader)
        .await?;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        found
            .into_iter()
            .map(|(at, good, total)| Ok((rows::timestamp(at)?, count(good), count(total))))
            .collect()
    }

    /// The service's ops mode in force, if any.
    pub async fn ops_mode_of(&self, service: &ServiceId) -> Result<Option<OpsMode>, StoreError> {
        let row: Option<OpsModeRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {OPS_COLUMNS} FROM ops_modes WHERE service_id = $1 AND left_at IS NULL"
        )))
        .bind(service.as_str())
        .fetch_optional(&self.reader)
        .await?;
        row.map(OpsMode::try_from).transpose()
    }

    /// The service's past and present ops modes, the latest first.
    pub async fn ops_mode_history(
        &self,
        service: &ServiceId,
        limit: u32,
    ) -> Result<Vec<OpsMode>, StoreError> {
        let found: Vec<OpsModeRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {OPS_COLUMNS} FROM ops_modes WHERE service_id = $1 ORDER BY entered_at DESC, id DESC LIMIT $2"
        )))
        .bind(service.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        found.into_iter().map(OpsMode::try_from).collect()
    }

    /// Puts a service into ops mode; refused while it already is.
    pub async fn enter_ops_mode(
        &self,
        service: &ServiceId,
        enter: EnterOpsMode,
        by: &Person,
        now: Timestamp,
    ) -> Result<OpsMode, StoreError> {
        let reason = required_line("reason", &enter.reason, 500).map_err(muster_core::Invalid::from)?;
        let ops = OpsMode {
            id: new_id(),
            reason,
            entered_by: by.clone(),
            entered_at: now,
            expected_end: enter.expected_end,
            reduced_objectives: enter.reduced_objectives,
            left_at: None,
            left_by: None,
        };
        let mut tx = self.writer.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO ops_modes (id, service_id, reason, entered_by_id, entered_by_name, entered_at, expected_end, reduced_objectives)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&ops.id)
        .bind(service.as_str())
        .bind(&ops.reason)
        .bind(by.id.as_str())
        .bind(&by.name)
        .bind(rows::millis(now))
        .bind(ops.expected_end.map(rows::millis))
        .bind(rows::to_json(&ops.reduced_objectives))
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(error) if is_unique_violation(&error) => {
                return Err(StoreError::Conflict {
                    field: "ops_mode",
                    problem: "the service is in ops mode already".into(),
                });
            }
            other => other?,
        };
        let summary = format!("put the service into ops mode: {}", ops.reason);
        let audit =
            Audit { action: "ops_mode.enter", target_kind: "service", target_id: service.as_str(), summary };
        audit::record(&mut tx, &Actor::User(by.id.clone()), now, audit).await?;
        tx.commit().await?;
        Ok(ops)
    }

    /// Takes a service out of ops mode, which restores its objectives and ends the freeze.
    pub async fn leave_ops_mode(
        &self,
        service: &ServiceId,
        by: &Person,
        now: Timestamp,
    ) -> Result<OpsMode, StoreError> {
        let mut tx = self.writer.begin().await?;
        let left = sqlx::query(
            "UPDATE ops_modes SET left_at = $1, left_by_id = $2, left_by_name = $3 WHERE service_id = $4 AND left_at IS NULL",
        )
        .bind(rows::millis(now))
        .bind(by.id.as_str())
        .bind(&by.name)
        .bind(service.as_str())
        .execute(&mut *tx)
        .await?;
        if left.rows_affected() == 0 {
            return Err(StoreError::Conflict {
                field: "ops_mode",
                problem: "the service is not in ops mode".into(),
            });
        }
        let row: OpsModeRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {OPS_COLUMNS} FROM ops_modes WHERE service_id = $1 AND left_at = $2 ORDER BY entered_at DESC LIMIT 1"
        )))
        .bind(service.as_str())
        .bind(rows::millis(now))
        .fetch_one(&mut *tx)
        .await?;
        let audit = Audit {
            action: "ops_mode.leave",
            target_kind: "service",
            target_id: service.as_str(),
            summary: "took the service out of ops mode".into(),
        };
        audit::record(&mut tx, &Actor::User(by.id.clone()), now, audit).await?;
        tx.commit().await?;
        OpsMode::try_from(row)
    }

    /// Lets the deploy named `deploy` through the freeze of the service's current ops mode.
    pub async fn grant_deploy_exception(
        &self,
        service: &ServiceId,
        deploy: &str,
        reason: &str,
        by: &Person,
        now: Timestamp,
    ) -> Result<DeployException, StoreError> {
        let deploy = required_line("deploy", deploy, 200).map_err(muster_core::Invalid::from)?;
        let reason = required_line("reason", reason, 500).map_err(muster_core::Invalid::from)?;
        let mut tx = self.writer.begin().await?;
        let ops: Option<(String,)> =
            sqlx::query_as("SELECT id FROM ops_modes WHERE service_id = $1 AND left_at IS NULL")
                .bind(service.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        let Some((ops_id,)) = ops else {
            return Err(StoreError::Conflict {
                field: "ops_mode",
                problem: "the service is not in ops mode, so every deploy may proceed".into(),
            });
        };
        sqlx::query(
            "INSERT INTO deploy_exceptions (id, ops_mode_id, deploy, reason, granted_by_id, granted_by_name, granted_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(new_id())
        .bind(&ops_id)
        .bind(&deploy)
        .bind(&reason)
        .bind(by.id.as_str())
        .bind(&by.name)
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        let summary = format!("granted the deploy {deploy} an exception to the change freeze: {reason}");
        let audit = Audit {
            action: "ops_mode.exception",
            target_kind: "service",
            target_id: service.as_str(),
            summary,
        };
        audit::record(&mut tx, &Actor::User(by.id.clone()), now, audit).await?;
        tx.commit().await?;
        Ok(DeployException { deploy, reason, granted_by: by.clone(), granted_at: now })
    }

    /// The exceptions granted during an ops mode, oldest first.
    pub async fn deploy_exceptions(&self, ops_mode: &str) -> Result<Vec<DeployException>, StoreError> {
        let found: Vec<(String, String, String, String, i64)> = sqlx::query_as(
            "SELECT deploy, reason, granted_by_id, granted_by_name, granted_at FROM deploy_exceptions
             WHERE ops_mode_id = $1 ORDER BY granted_at, id",
        )
        .bind(ops_mode)
        .fetch_all(&self.reader)
        .await?;
        found
            .into_iter()
            .map(|(deploy, reason, by_id, by_name, at)| {
                Ok(DeployException {
                    deploy,
                    reason,
                    granted_by: Person { id: muster_core::ids::UserId(by_id), name: by_name },
                    granted_at: rows::timestamp(at)?,
                })
            })
            .collect()
    }
}
