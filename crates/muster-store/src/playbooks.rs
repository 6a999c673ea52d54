//! "Is it an incident?": each service's standard-response playbooks and declaration criteria,
//! and the count of services with open alerts that one criterion reads.

use jiff::Timestamp;
use muster_core::{
    audit::Actor,
    ids::{PlaybookId, ServiceId},
    incident::{DeclarationCriteria, Playbook},
};
use sqlx::{Any, FromRow};

use crate::{
    Store, StoreError,
    audit::{self, Audit},
    new_id, rows,
};

#[derive(FromRow)]
struct PlaybookRow {
    id: String,
    service_id: String,
    name: String,
    matches: String,
    steps: String,
}

impl From<PlaybookRow> for Playbook {
    fn from(row: PlaybookRow) -> Self {
        Playbook {
            id: PlaybookId(row.id),
            service_id: ServiceId(row.service_id),
            name: row.name,
            matches: row.matches,
            steps: row.steps,
        }
    }
}

impl Store {
    /// Adds a playbook; `name`, `matches` and `steps` were checked by `Playbook::parse`.
    pub async fn create_playbook(
        &self,
        service: &ServiceId,
        (name, matches, steps): (String, String, String),
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Playbook, StoreError> {
        let mut tx = self.writer.begin().await?;
        let exists: Option<String> =
            sqlx::query_scalar("SELECT id FROM services WHERE id = $1 AND deleted_at IS NULL")
                .bind(service.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        exists.ok_or(StoreError::NotFound("service"))?;
        let playbook =
            Playbook { id: PlaybookId(new_id()), service_id: service.clone(), name, matches, steps };
        sqlx::query(
            "INSERT INTO playbooks (id, service_id, name, matches, steps, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(playbook.id.as_str())
        .bind(service.as_str())
        .bind(&playbook.name)
        .bind(&playbook.matches)
        .bind(&playbook.steps)
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        let summary =
            format!("added playbook \"{}\" for alerts matching \"{}\"", playbook.name, playbook.matches);
        let audit = Audit {
            action: "service.playbook.create",
            target_kind: "service",
            target_id: service.as_str(),
            summary,
        };
        audit::record(&mut tx, actor, now, audit).await?;
        tx.commit().await?;
        Ok(playbook)
    }

    pub async fn playbooks_of(&self, service: &ServiceId) -> Result<Vec<Playbook>, StoreError> {
        let found: Vec<PlaybookRow> = sqlx::query_as::<Any, PlaybookRow>(
            "SELECT id, service_id, name, matches, steps FROM playbooks WHERE service_id = $1 ORDER BY name, id",
        )
        .bind(service.as_str())
        .fetch_all(&self.reader)
        .await?;
        Ok(found.into_iter().map(Playbook::from).collect())
    }

    pub async fn delete_playbook(
        &self,
        service: &ServiceId,
        id: &PlaybookId,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let deleted = sqlx::query("DELETE FROM playbooks WHERE id = $1 AND service_id = $2")
            .bind(id.as_str())
            .bind(service.as_str())
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound("playbook"));
        }
        let audit = Audit {
            action: "service.playbook.delete",
            target_kind: "service",
            target_id: service.as_str(),
            summary: format!("deleted playbook {id}"),
        };
        audit::record(&mut tx, actor, now, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn declaration_criteria(&self, service: &ServiceId) -> Result<DeclarationCriteria, StoreError> {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT declaration_investigation_minutes, declaration_services_affected FROM services
             WHERE id = $1 AND deleted_at IS NULL",
        )
        .bind(service.as_str())
        .fetch_optional(&self.reader)
        .await?;
        let (minutes, services) = row.ok_or(StoreError::NotFound("service"))?;
        Ok(DeclarationCriteria {
            investigation_minutes: u32::try_from(minutes).unwrap_or(u32::MAX),
            services_affected: u32::try_from(services).unwrap_or(u32::MAX),
        })
    }

    pub async fn set_declaration_criteria(
        &self,
        service: &ServiceId,
        criteria: &DeclarationCriteria,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let updated = sqlx::query(
            "UPDATE services SET declaration_investigation_minutes = $2, declaration_services_affected = $3,
                 updated_at = $4
             WHERE id = $1 AND deleted_at IS NULL",
        )
        .bind(service.as_str())
        .bind(i64::from(criteria.investigation_minutes))
        .bind(i64::from(criteria.services_affected))
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound("service"));
        }
        let summary = format!(
            "set declaration criteria: investigation {} min, {} services affected",
            criteria.investigation_minutes, criteria.services_affected
        );
        let audit = Audit {
            action: "service.declaration_criteria",
            target_kind: "service",
            target_id: service.as_str(),
            summary,
        };
        audit::record(&mut tx, actor, now, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// How many services have open alerts now (the counter each service keeps).
    pub async fn services_with_open_alerts(&self) -> Result<usize, StoreError> {
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM services WHERE open_alerts > 0 AND deleted_at IS NULL")
                .fetch_one(&self.reader)
                .await?;
        Ok(usize::try_from(count).unwrap_or(0))
    }
}
