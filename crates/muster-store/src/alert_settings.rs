//! A service's alert settings, maintenance windows and heartbeat monitors, and finding the key an
//! inbound request presents.

use jiff::Timestamp;
use muster_core::{
    alert::{
        ActedBy, PriorityMap,
        settings::{AlertSettings, Heartbeat, MaintenanceWindow, NewHeartbeat, NewMaintenanceWindow},
    },
    audit::Actor,
    ids::{HeartbeatId, IntegrationKeyId, MaintenanceWindowId, ServiceId, UserId},
    service::IntegrationKind,
};
use sqlx::{Any, FromRow};

use crate::{
    Store, StoreError,
    audit::{self, Audit},
    new_id, rows,
};

/// A live integration key as an inbound request needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundKey {
    pub id: IntegrationKeyId,
    pub service_id: ServiceId,
    pub kind: IntegrationKind,
    pub name: String,
    /// Requests must carry an HMAC-SHA256 signature made with this secret (Grafana keys).
    pub signing_secret: Option<String>,
    /// The header whose Unix time is signed with the body, when the sender sends one.
    pub signing_timestamp_header: Option<String>,
    pub rate_limit_per_minute: Option<u32>,
}

#[derive(FromRow)]
struct InboundKeyRow {
    id: String,
    service_id: String,
    kind: String,
    name: String,
    signing_secret: Option<String>,
    signing_timestamp_header: Option<String>,
    rate_limit_per_minute: Option<i64>,
}

#[derive(FromRow)]
struct SettingsRow {
    priority_critical: String,
    priority_error: String,
    priority_warning: String,
    priority_info: String,
    rate_limit_per_minute: Option<i64>,
    open_alert_cap: Option<i64>,
}

#[derive(FromRow)]
struct WindowRow {
    id: String,
    service_id: String,
    starts_at: i64,
    ends_at: i64,
    reason: String,
    created_by_user_id: Option<String>,
    created_by: String,
}

#[derive(FromRow)]
struct HeartbeatRow {
    id: String,
    service_id: String,
    name: String,
    interval_seconds: i64,
    secret: String,
    last_check_in_at: Option<i64>,
    down_since: Option<i64>,
    created_at: i64,
}

impl TryFrom<HeartbeatRow> for Heartbeat {
    type Error = StoreError;

    fn try_from(row: HeartbeatRow) -> Result<Self, StoreError> {
        Ok(Heartbeat {
            id: HeartbeatId(row.id),
            service_id: ServiceId(row.service_id),
            name: row.name,
            interval_seconds: u32::try_from(row.interval_seconds).unwrap_or(u32::MAX),
            key: row.secret,
            last_check_in_at: rows::optional_timestamp(row.last_check_in_at)?,
            down_since: rows::optional_timestamp(row.down_since)?,
            created_at: rows::timestamp(row.created_at)?,
        })
    }
}

const HEARTBEAT_SELECT: &str =
    "SELECT id, service_id, name, interval_seconds, secret, last_check_in_at, down_since,
    created_at FROM heartbeats";

fn limit(value: Option<i64>) -> Option<u32> {
    value.map(|v| u32::try_from(v).unwrap_or(u32::MAX))
}

impl Store {
    /// The live key with this secret, of a live service; `None` when unknown or revoked.
    pub async fn find_inbound_key(&self, secret: &str) -> Result<Option<InboundKey>, StoreError> {
        let row: Option<InboundKeyRow> = sqlx::query_as::<Any, InboundKeyRow>(
            "SELECT k.id, k.service_id, k.kind, k.name, k.signing_secret, k.signing_timestamp_header,
                    s.rate_limit_per_minute
             FROM integration_keys k JOIN services s ON s.id = k.service_id
             WHERE k.secret = $1 AND k.revoked_at IS NULL AND s.deleted_at IS NULL",
        )
        .bind(secret)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|row| {
            Ok(InboundKey {
                id: IntegrationKeyId(row.id),
                service_id: ServiceId(row.service_id),
                kind: rows::parsed("kind", &row.kind)?,
                name: row.name,
                signing_secret: row.signing_secret,
                signing_timestamp_header: row.signing_timestamp_header,
                rate_limit_per_minute: limit(row.rate_limit_per_minute),
            })
        })
        .transpose()
    }

    /// Sets or clears the signing secret a key's requests must be signed with.
    pub async fn set_key_signing(
        &self,
        service: &ServiceId,
        key: &IntegrationKeyId,
        secret: Option<&str>,
        timestamp_header: Option<&str>,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let updated = sqlx::query(
            "UPDATE integration_keys SET signing_secret = $3, signing_timestamp_header = $4
             WHERE id = $1 AND service_id = $2 AND revoked_at IS NULL",
        )
        .bind(key.as_str())
        .bind(service.as_str())
        .bind(secret)
        .bind(timestamp_header)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound("integration key"));
        }
        let summary =
            if secret.is_some() { "required signed requests" } else { "stopped requiring signed requests" };
        audit::record(
            &mut tx,
            actor,
            now,
            Audit {
                action: "service.key.signing",
                target_kind: "service",
                target_id: service.as_str(),
                summary: format!("{summary} on integration key {key}"),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn alert_settings(&self, service: &ServiceId) -> Result<AlertSettings, StoreError> {
        let row: Option<SettingsRow> = sqlx::query_as::<Any, SettingsRow>(
            "SELECT priority_critical, priority_error, priority_warning, priority_info, rate_limit_per_minute,
                    open_alert_cap
             FROM services WHERE id = $1 AND deleted_at IS NULL",
        )
        .bind(service.as_str())
        .fetch_optional(&self.reader)
        .await?;
        let row = row.ok_or(StoreError::NotFound("service"))?;
        Ok(AlertSettings {
            priorities: PriorityMap {
                critical: rows::parsed("priority_critical", &row.priority_critical)?,
                error: rows::parsed("priority_error", &row.priority_error)?,
                warning: rows::parsed("priority_warning", &row.priority_warning)?,
                info: rows::parsed("priority_info", &row.priority_info)?,
            },
            rate_limit_per_minute: limit(row.rate_limit_per_minute),
            open_alert_cap: limit(row.open_alert_cap),
        })
    }

    pub async fn set_alert_settings(
        &self,
        service: &ServiceId,
        settings: &AlertSettings,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let p = settings.priorities;
        let updated = sqlx::query(
            "UPDATE services SET priority_critical = $2, priority_error = $3, priority_warning = $4,
                priority_info = $5, rate_limit_per_minute = $6, open_alert_cap = $7, updated_at = $8
             WHERE id = $1 AND deleted_at IS NULL",
        )
        .bind(service.as_str())
        .bind(p.critical.as_str())
        .bind(p.error.as_str())
        .bind(p.warning.as_str())
        .bind(p.info.as_str())
        .bind(settings.rate_limit_per_minute.map(i64::from))
        .bind(settings.open_alert_cap.map(i64::from))
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound("service"));
        }
        let show = |v: Option<u32>| v.map_or_else(|| "none".to_owned(), |v| v.to_string());
        let summary = format!(
            "set alert settings: critical→{}, error→{}, warning→{}, info→{}, rate limit {}/min, open-alert cap {}",
            p.critical,
            p.error,
            p.warning,
            p.info,
            show(settings.rate_limit_per_minute),
            show(settings.open_alert_cap)
        );
        audit::record(
            &mut tx,
            actor,
            now,
            Audit {
                action: "service.alert_settings",
                target_kind: "service",
                target_id: service.as_str(),
                summary,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn create_maintenance_window(
        &self,
        service: &ServiceId,
        window: &NewMaintenanceWindow,
        by: &ActedBy,
        now: Timestamp,
    ) -> Result<MaintenanceWindow, StoreError> {
        let id = new_id();
        let mut tx = self.writer.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO maintenance_windows (id, service_id, starts_at, ends_at, reason, created_by_user_id,
                created_by, created_at)
             SELECT $1, id, $3, $4, $5, $6, $7, $8 FROM services WHERE id = $2 AND deleted_at IS NULL",
        )
        .bind(&id)
        .bind(service.as_str())
        .bind(rows::millis(window.starts_at))
        .bind(rows::millis(window.ends_at))
        .bind(&window.reason)
        .bind(by.user_id.as_ref().map(UserId::as_str))
        .bind(&by.name)
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(StoreError::NotFound("service"));
        }
        let actor = by.user_id.clone().map_or(Actor::System("maintenance"), Actor::User);
        let summary = format!("scheduled maintenance from {} to {}", window.starts_at, window.ends_at);
        audit::record(
            &mut tx,
            &actor,
            now,
            Audit {
                action: "service.maintenance.create",
                target_kind: "service",
                target_id: service.as_str(),
                summary,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(MaintenanceWindow {
            id: MaintenanceWindowId(id),
            service_id: service.clone(),
            starts_at: window.starts_at,
            ends_at: window.ends_at,
            reason: window.reason.clone(),
            created_by: by.clone(),
        })
    }

    /// A service's maintenance windows that have not ended, soonest first.
    pub async fn maintenance_windows(
        &self,
        service: &ServiceId,
        now: Timestamp,
    ) -> Result<Vec<MaintenanceWindow>, StoreError> {
        let rows: Vec<WindowRow> = sqlx::query_as::<Any, WindowRow>(
            "SELECT id, service_id, starts_at, ends_at, reason, created_by_user_id, created_by
             FROM maintenance_windows WHERE service_id = $1 AND ends_at > $2 ORDER BY starts_at, id",
        )
        .bind(service.as_str())
        .bind(rows::millis(now))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(MaintenanceWindow {
                    id: MaintenanceWindowId(row.id),
                    service_id: ServiceId(row.service_id),
                    starts_at: rows::timestamp(row.starts_at)?,
                    ends_at: rows::timestamp(row.ends_at)?,
                    reason: row.reason,
                    created_by: ActedBy { user_id: row.created_by_user_id.map(UserId), name: row.created_by },
                })
            })
            .collect()
    }

    /// Ends a maintenance window now (or cancels one that has not started).
    pub async fn end_maintenance_window(
        &self,
        service: &ServiceId,
        window: &MaintenanceWindowId,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let at = rows::millis(now);
        let updated = sqlx::query(
            "UPDATE maintenance_windows SET ends_at = $3, starts_at = CASE WHEN starts_at > $3 THEN $3 ELSE starts_at END
             WHERE id = $1 AND service_id = $2 AND ends_at > $3",
        )
        .bind(window.as_str())
        .bind(service.as_str())
        .bind(at)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound("maintenance window"));
        }
        audit::record(
            &mut tx,
            actor,
            now,
            Audit {
                action: "service.maintenance.end",
                target_kind: "service",
                target_id: service.as_str(),
                summary: "ended a maintenance window".to_owned(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn create_heartbeat(
        &self,
        service: &ServiceId,
        heartbeat: &NewHeartbeat,
        secret: &str,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Heartbeat, StoreError> {
        let id = new_id();
        let mut tx = self.writer.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO heartbeats (id, service_id, name, interval_seconds, secret, created_at)
             SELECT $1, id, $3, $4, $5, $6 FROM services WHERE id = $2 AND deleted_at IS NULL",
        )
        .bind(&id)
        .bind(service.as_str())
        .bind(&heartbeat.name)
        .bind(i64::from(heartbeat.interval_seconds))
        .bind(secret)
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(StoreError::NotFound("service"));
        }
        let summary = format!("added heartbeat {:?} every {} s", heartbeat.name, heartbeat.interval_seconds);
        audit::record(
            &mut tx,
            actor,
            now,
            Audit {
                action: "service.heartbeat.create",
                target_kind: "service",
                target_id: service.as_str(),
                summary,
            },
        )
        .await?;
        tx.commit().await?;
        self.heartbeat_where(Some(("id", &id)))
            .await?
            .into_iter()
            .next()
            .ok_or(StoreError::NotFound("heartbeat"))
    }

    /// Live heartbeats whose `column` equals `value`, or all of them.
    async fn heartbeat_where(&self, filter: Option<(&str, &str)>) -> Result<Vec<Heartbeat>, StoreError> {
        let condition = filter.map_or_else(String::new, |(column, _)| format!("{column} = $1 AND "));
        let sql = format!("{HEARTBEAT_SELECT} WHERE {condition}deleted_at IS NULL ORDER BY name, id");
        let mut query = sqlx::query_as::<Any, HeartbeatRow>(sqlx::AssertSqlSafe(sql));
        if let Some((_, value)) = filter {
            query = query.bind(value.to_owned());
        }
        let rows: Vec<HeartbeatRow> = query.fetch_all(&self.reader).await?;
        rows.into_iter().map(Heartbeat::try_from).collect()
    }

    pub async fn heartbeats_of(&self, service: &ServiceId) -> Result<Vec<Heartbeat>, StoreError> {
        self.heartbeat_where(Some(("service_id", service.as_str()))).await
    }

    pub async fn find_heartbeat(&self, secret: &str) -> Result<Option<Heartbeat>, StoreError> {
        Ok(self.heartbeat_where(Some(("secret", secret))).await?.into_iter().next())
    }

    /// Every live heartbeat, for the job that watches them.
    pub async fn all_heartbeats(&self) -> Result<Vec<Heartbeat>, StoreError> {
        self.heartbeat_where(None).await
    }

    /// Records a check-in; returns whether the heartbeat was down (its alert should be resolved).
    pub async fn check_in_heartbeat(&self, id: &HeartbeatId, now: Timestamp) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let down_since: Option<Option<i64>> =
            sqlx::query_scalar("SELECT down_since FROM heartbeats WHERE id = $1 AND deleted_at IS NULL")
                .bind(id.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        let Some(down_since) = down_since else { return Err(StoreError::NotFound("heartbeat")) };
        sqlx::query("UPDATE heartbeats SET last_check_in_at = $2, down_since = NULL WHERE id = $1")
            .bind(id.as_str())
            .bind(rows::millis(now))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(down_since.is_some())
    }

    /// Marks a heartbeat down from `since`, unless a check-in arrived meanwhile; returns whether
    /// it was marked (so that its alert is raised once).
    pub async fn mark_heartbeat_down(
        &self,
        heartbeat: &Heartbeat,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let marked = sqlx::query(
            "UPDATE heartbeats SET down_since = $2
             WHERE id = $1 AND down_since IS NULL AND deleted_at IS NULL
               AND COALESCE(last_check_in_at, created_at) + interval_seconds * 1000 <= $2",
        )
        .bind(heartbeat.id.as_str())
        .bind(rows::millis(now))
        .execute(&self.writer)
        .await?;
        Ok(marked.rows_affected() == 1)
    }

    pub async fn delete_heartbeat(
        &self,
        service: &ServiceId,
        id: &HeartbeatId,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let deleted = sqlx::query(
            "UPDATE heartbeats SET deleted_at = $3 WHERE id = $1 AND service_id = $2 AND deleted_at IS NULL",
        )
        .bind(id.as_str())
        .bind(service.as_str())
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound("heartbeat"));
        }
        audit::record(
            &mut tx,
            actor,
            now,
            Audit {
                action: "service.heartbeat.delete",
                target_kind: "service",
                target_id: service.as_str(),
                summary: format!("deleted heartbeat {id}"),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
