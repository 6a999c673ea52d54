//! Services and their integration keys. A deleted service is kept (soft delete) with its keys
//! revoked, because alerts and incidents refer to it.

use jiff::Timestamp;
use muster_core::{
    Invalid,
    audit::Actor,
    ids::{IntegrationKeyId, ServiceId, TeamId},
    page::Page,
    service::{IntegrationKey, IntegrationKind, NewService, Service, ServiceChanges},
};
use sqlx::{Any, AnyConnection, FromRow};

use crate::{
    Store, StoreError,
    audit::{self, Audit},
    error::is_unique_violation,
    new_id, rows,
};

const SERVICE_SELECT: &str = "SELECT s.id, s.name, s.description, s.team_id, t.name AS team_name,
        s.created_at, s.updated_at
    FROM services s LEFT JOIN teams t ON t.id = s.team_id";

const NAME_TAKEN: &str = "a service with this name already exists";

#[derive(FromRow)]
struct ServiceRow {
    id: String,
    name: String,
    description: String,
    team_id: Option<String>,
    team_name: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<ServiceRow> for Service {
    type Error = StoreError;

    fn try_from(row: ServiceRow) -> Result<Self, StoreError> {
        Ok(Service {
            id: row.id.into(),
            name: row.name,
            description: row.description,
            team_id: row.team_id.map(Into::into),
            team_name: row.team_name,
            created_at: rows::timestamp(row.created_at)?,
            updated_at: rows::timestamp(row.updated_at)?,
        })
    }
}

#[derive(FromRow)]
struct KeyRow {
    id: String,
    service_id: String,
    kind: String,
    name: String,
    secret: String,
    created_at: i64,
    revoked_at: Option<i64>,
}

impl TryFrom<KeyRow> for IntegrationKey {
    type Error = StoreError;

    fn try_from(row: KeyRow) -> Result<Self, StoreError> {
        Ok(IntegrationKey {
            id: row.id.into(),
            service_id: row.service_id.into(),
            kind: rows::parsed("kind", &row.kind)?,
            name: row.name,
            key: row.secret,
            created_at: rows::timestamp(row.created_at)?,
            revoked_at: rows::optional_timestamp(row.revoked_at)?,
        })
    }
}

async fn fetch_service(conn: &mut AnyConnection, id: &str) -> Result<Service, StoreError> {
    let row: Option<ServiceRow> = sqlx::query_as::<Any, ServiceRow>(sqlx::AssertSqlSafe(format!(
        "{SERVICE_SELECT} WHERE s.id = $1 AND s.deleted_at IS NULL"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.ok_or(StoreError::NotFound("service"))?.try_into()
}

/// Fails with a field error unless the team exists and is not deleted.
pub(crate) async fn require_team(conn: &mut AnyConnection, team: &TeamId) -> Result<(), StoreError> {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM teams WHERE id = $1 AND deleted_at IS NULL")
        .bind(team.as_str())
        .fetch_optional(conn)
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(Invalid::one("team_id", "is not a known team").into()),
    }
}

impl Store {
    pub async fn create_service(
        &self,
        new: &NewService,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Service, StoreError> {
        let id = new_id();
        let mut tx = self.writer.begin().await?;
        if let Some(team) = &new.team_id {
            require_team(&mut tx, team).await?;
        }
        let inserted = sqlx::query(
            "INSERT INTO services (id, name, description, team_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(&id)
        .bind(&new.name)
        .bind(&new.description)
        .bind(new.team_id.as_ref().map(TeamId::as_str))
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(error) if is_unique_violation(&error) => {
                return Err(StoreError::conflict("name", NAME_TAKEN));
            }
            other => other?,
        };
        let service = fetch_service(&mut tx, &id).await?;
        let owner = service.team_name.as_deref().map(|t| format!(" owned by {t}")).unwrap_or_default();
        let summary = format!("created service {}{owner}", service.name);
        audit::record(
            &mut tx,
            actor,
            now,
            Audit { action: "service.create", target_kind: "service", target_id: &id, summary },
        )
        .await?;
        tx.commit().await?;
        Ok(service)
    }

    pub async fn get_service(&self, id: &ServiceId) -> Result<Service, StoreError> {
        let mut conn = self.reader.acquire().await?;
        fetch_service(&mut conn, id.as_str()).await
    }

    /// Services by name.
    pub async fn list_services(&self, page: Page) -> Result<Vec<Service>, StoreError> {
        let rows: Vec<ServiceRow> = sqlx::query_as::<Any, ServiceRow>(sqlx::AssertSqlSafe(format!(
            "{SERVICE_SELECT} WHERE s.deleted_at IS NULL ORDER BY lower(s.name), s.id LIMIT $1 OFFSET $2"
        )))
        .bind(i64::from(page.limit))
        .bind(i64::from(page.offset))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(Service::try_from).collect()
    }

    /// Every service a team owns, by name (however many services there are in all).
    pub async fn services_of_team(&self, team: &TeamId) -> Result<Vec<Service>, StoreError> {
        let rows: Vec<ServiceRow> = sqlx::query_as::<Any, ServiceRow>(sqlx::AssertSqlSafe(format!(
            "{SERVICE_SELECT} WHERE s.deleted_at IS NULL AND s.team_id = $1 ORDER BY lower(s.name), s.id"
        )))
        .bind(team.as_str())
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(Service::try_from).collect()
    }

    pub async fn update_service(
        &self,
        id: &ServiceId,
        changes: &ServiceChanges,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Service, StoreError> {
        let mut tx = self.writer.begin().await?;
        let before = fetch_service(&mut tx, id.as_str()).await?;
        if let Some(Some(team)) = &changes.team_id {
            require_team(&mut tx, team).await?;
        }
        let team_id = match &changes.team_id {
            Some(team) => team.as_ref().map(TeamId::as_str),
            None => before.team_id.as_ref().map(TeamId::as_str),
        };
        let updated = sqlx::query(
            "UPDATE services SET name = COALESCE($2, name), description = COALESCE($3, description),
                                 team_id = $4, updated_at = $5
             WHERE id = $1",
        )
        .bind(id.as_str())
        .bind(changes.name.as_deref())
        .bind(changes.description.as_deref())
        .bind(team_id)
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await;
        match updated {
            Err(error) if is_unique_violation(&error) => {
                return Err(StoreError::conflict("name", NAME_TAKEN));
            }
            other => other?,
        };
        let after = fetch_service(&mut tx, id.as_str()).await?;
        let mut parts = Vec::new();
        if before.name != after.name {
            parts.push(format!("name {:?} → {:?}", before.name, after.name));
        }
        if before.description != after.description {
            parts.push("description".to_owned());
        }
        if before.team_id != after.team_id {
            let team = |t: &Option<String>| t.clone().unwrap_or_else(|| "no team".to_owned());
            parts.push(format!("owner {} → {}", team(&before.team_name), team(&after.team_name)));
        }
        let summary = format!(
            "updated service {}: {}",
            after.name,
            if parts.is_empty() { "no change".to_owned() } else { parts.join(", ") }
        );
        audit::record(
            &mut tx,
            actor,
            now,
            Audit { action: "service.update", target_kind: "service", target_id: id.as_str(), summary },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes a service and revokes its keys, so monitors pointed at it are refused from now on.
    pub async fn delete_service(
        &self,
        id: &ServiceId,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let service = fetch_service(&mut tx, id.as_str()).await?;
        let at = rows::millis(now);
        sqlx::query("UPDATE services SET deleted_at = $2, updated_at = $2 WHERE id = $1")
            .bind(id.as_str())
            .bind(at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE integration_keys SET revoked_at = $2 WHERE service_id = $1 AND revoked_at IS NULL",
        )
        .bind(id.as_str())
        .bind(at)
        .execute(&mut *tx)
        .await?;
        let summary = format!("deleted service {}", service.name);
        audit::record(
            &mut tx,
            actor,
            now,
            Audit { action: "service.delete", target_kind: "service", target_id: id.as_str(), summary },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds an integration key whose secret the caller generated.
    pub async fn create_integration_key(
        &self,
        service: &ServiceId,
        kind: IntegrationKind,
        name: &str,
        secret: &str,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<IntegrationKey, StoreError> {
        let id = new_id();
        let mut tx = self.writer.begin().await?;
        let owner = fetch_service(&mut tx, service.as_str()).await?;
        sqlx::query(
            "INSERT INTO integration_keys (id, service_id, kind, name, secret, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(service.as_str())
        .bind(kind.as_str())
        .bind(name)
        .bind(secret)
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        let summary = format!("added {kind} integration key {name:?} to service {}", owner.name);
        audit::record(
            &mut tx,
            actor,
            now,
            Audit {
                action: "service.key.create",
                target_kind: "service",
                target_id: service.as_str(),
                summary,
            },
        )
        .await?;
        let key = fetch_key(&mut tx, service, &IntegrationKeyId(id)).await?;
        tx.commit().await?;
        Ok(key)
    }

    /// A service's keys, newest first, revoked ones included.
    pub async fn list_integration_keys(
        &self,
        service: &ServiceId,
    ) -> Result<Vec<IntegrationKey>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        fetch_service(&mut conn, service.as_str()).await?;
        let rows: Vec<KeyRow> = sqlx::query_as::<Any, KeyRow>(
            "SELECT id, service_id, kind, name, secret, created_at, revoked_at FROM integration_keys
             WHERE service_id = $1 ORDER BY created_at DESC, id",
        )
        .bind(service.as_str())
        .fetch_all(&mut *conn)
        .await?;
        rows.into_iter().map(IntegrationKey::try_from).collect()
    }

    /// One of a service's keys, revoked or not.
    pub async fn get_integration_key(
        &self,
        service: &ServiceId,
        key: &IntegrationKeyId,
    ) -> Result<IntegrationKey, StoreError> {
        let mut conn = self.reader.acquire().await?;
        fetch_key(&mut conn, service, key).await
    }

    /// Revokes a key; monitors using it are refused from then on. Revoking twice changes nothing.
    pub async fn revoke_integration_key(
        &self,
        service: &ServiceId,
        key: &IntegrationKeyId,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<IntegrationKey, StoreError> {
        let mut tx = self.writer.begin().await?;
        let before = fetch_key(&mut tx, service, key).await?;
        if before.revoked_at.is_none() {
            sqlx::query("UPDATE integration_keys SET revoked_at = $2 WHERE id = $1")
                .bind(key.as_str())
                .bind(rows::millis(now))
                .execute(&mut *tx)
                .await?;
            let summary = format!("revoked {} integration key {:?}", before.kind, before.name);
            audit::record(
                &mut tx,
                actor,
                now,
                Audit {
                    action: "service.key.revoke",
                    target_kind: "service",
                    target_id: service.as_str(),
                    summary,
                },
            )
            .await?;
        }
        let after = fetch_key(&mut tx, service, key).await?;
        tx.commit().await?;
        Ok(after)
    }
}

async fn fetch_key(
    conn: &mut AnyConnection,
    service: &ServiceId,
    key: &IntegrationKeyId,
) -> Result<IntegrationKey, StoreError> {
    let row: Option<KeyRow> = sqlx::query_as::<Any, KeyRow>(
        "SELECT id, service_id, kind, name, secret, created_at, revoked_at FROM integration_keys
         WHERE id = $1 AND service_id = $2",
    )
    .bind(key.as_str())
    .bind(service.as_str())
    .fetch_optional(conn)
    .await?;
    row.ok_or(StoreError::NotFound("integration key"))?.try_into()
}
