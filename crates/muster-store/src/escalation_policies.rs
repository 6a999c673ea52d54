//! Escalation policies and how services page through them. A policy's rules are stored whole as
//! one JSON document; the people, teams and schedules they name are checked to exist (and be
//! active) in the transaction that writes them. A deleted policy is kept (soft delete) for the
//! pages that froze it.

use std::collections::HashSet;

use jiff::Timestamp;
use muster_core::{
    FieldError, Invalid,
    audit::Actor,
    escalation::{
        EscalationPolicy, EscalationRules, EscalationTarget, NewEscalationPolicy, ResponseTargets,
        ServiceEscalation,
    },
    ids::{EscalationPolicyId, ServiceId},
    page::Page,
};
use sqlx::{Any, AnyConnection, FromRow};

use crate::{
    Backend, Store, StoreError,
    audit::{self, Audit},
    error::is_unique_violation,
    new_id, rows,
    sql::{Sql, rows_document},
};

const NAME_TAKEN: &str = "an escalation policy with this name already exists";

#[derive(FromRow)]
struct PolicyRow {
    id: String,
    name: String,
    description: String,
    rules: String,
    version: i64,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<PolicyRow> for EscalationPolicy {
    type Error = StoreError;

    fn try_from(row: PolicyRow) -> Result<Self, StoreError> {
        Ok(EscalationPolicy {
            id: EscalationPolicyId(row.id),
            name: row.name,
            description: row.description,
            rules: serde_json::from_str(&row.rules)
                .map_err(|e| StoreError::Corrupt(format!("rules: {e}")))?,
            version: u32::try_from(row.version).unwrap_or(u32::MAX),
            created_at: rows::timestamp(row.created_at)?,
            updated_at: rows::timestamp(row.updated_at)?,
        })
    }
}

const POLICY_SELECT: &str =
    "SELECT id, name, description, rules, version, created_at, updated_at FROM escalation_policies";

async fn fetch_policy(conn: &mut AnyConnection, id: &str) -> Result<EscalationPolicy, StoreError> {
    let row: Option<PolicyRow> = sqlx::query_as::<Any, PolicyRow>(sqlx::AssertSqlSafe(format!(
        "{POLICY_SELECT} WHERE id = $1 AND deleted_at IS NULL"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.ok_or(StoreError::NotFound("escalation policy"))?.try_into()
}

/// The ids of `table` among `ids` that are live (not deleted or deactivated).
async fn live_ids(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
    gone: &str,
    ids: &[&str],
) -> Result<HashSet<String>, StoreError> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let mut sql = Sql::new(backend, format!("SELECT id FROM {table} WHERE {gone} IS NULL AND id"));
    sql.in_json_strings(rows_document(ids));
    let found: Vec<(String,)> = sql.query_as().fetch_all(&mut *conn).await?;
    Ok(found.into_iter().map(|(id,)| id).collect())
}

/// A stored row that a target refers to.
struct Reference<'a> {
    table: &'static str,
    /// The column that marks the row gone (deleted, deactivated).
    gone: &'static str,
    problem: &'static str,
    id: &'a str,
}

/// What a target refers to; tiers refer to nothing stored.
fn reference(target: &EscalationTarget) -> Option<Reference<'_>> {
    let (table, gone, problem, id) = match target {
        EscalationTarget::User { user_id } => {
            ("users", "deactivated_at", "is not a known, active user", user_id.as_str())
        }
        EscalationTarget::Team { team_id } => {
            ("teams", "deleted_at", "is not a known team", team_id.as_str())
        }
        EscalationTarget::Schedule { schedule_id } => {
            ("schedules", "deleted_at", "is not a known schedule", schedule_id.as_str())
        }
        EscalationTarget::Tier { .. } => return None,
    };
    Some(Reference { table, gone, problem, id })
}

/// Checks that every person, team and schedule the rules name exists and is live, naming the
/// field of each one that does not (`steps[0].targets[1].id`). One query per kind of target.
async fn check_targets(
    conn: &mut AnyConnection,
    backend: Backend,
    rules: &EscalationRules,
) -> Result<(), StoreError> {
    let references: Vec<(String, Reference)> = rules
        .steps
        .iter()
        .enumerate()
        .flat_map(|(s, step)| {
            step.targets.iter().enumerate().filter_map(move |(t, target)| {
                Some((format!("steps[{s}].targets[{t}].id"), reference(target)?))
            })
        })
        .collect();
    let mut live = HashSet::new();
    for table in ["users", "teams", "schedules"] {
        let of_table: Vec<&Reference> =
            references.iter().map(|(_, r)| r).filter(|r| r.table == table).collect();
        if let Some(first) = of_table.first() {
            let ids: Vec<&str> = of_table.iter().map(|r| r.id).collect();
            for id in live_ids(conn, backend, table, first.gone, &ids).await? {
                live.insert((table, id));
            }
        }
    }
    let errors: Vec<FieldError> = references
        .iter()
        .filter(|(_, r)| !live.contains(&(r.table, r.id.to_owned())))
        .map(|(field, r)| FieldError::new(field.clone(), r.problem))
        .collect();
    if errors.is_empty() { Ok(()) } else { Err(Invalid(errors).into()) }
}

fn rules_json(rules: &EscalationRules) -> String {
    // Plain data of strings and numbers always serializes.
    serde_json::to_string(rules).unwrap_or_default()
}

fn describe(rules: &EscalationRules) -> String {
    let targets: usize = rules.steps.iter().map(|s| s.targets.len()).sum();
    format!("{} steps, {targets} targets, {} repeats", rules.steps.len(), rules.repeat)
}

#[derive(FromRow)]
struct ServiceEscalationRow {
    escalation_policy_id: Option<String>,
    policy_name: Option<String>,
    business_critical_minutes: i64,
    urgent_minutes: i64,
    acknowledgement_timeout_minutes: Option<i64>,
}

impl Store {
    pub async fn create_escalation_policy(
        &self,
        new: &NewEscalationPolicy,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<EscalationPolicy, StoreError> {
        let id = new_id();
        let mut tx = self.writer.begin().await?;
        check_targets(&mut tx, self.backend, &new.rules).await?;
        let inserted = sqlx::query(
            "INSERT INTO escalation_policies (id, name, description, rules, version, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 1, $5, $5)",
        )
        .bind(&id)
        .bind(&new.name)
        .bind(&new.description)
        .bind(rules_json(&new.rules))
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(error) if is_unique_violation(&error) => {
                return Err(StoreError::conflict("name", NAME_TAKEN));
            }
            other => other?,
        };
        let summary = format!("created escalation policy {} ({})", new.name, describe(&new.rules));
        audit::record(
            &mut tx,
            actor,
            now,
            Audit {
                action: "escalation_policy.create",
                target_kind: "escalation_policy",
                target_id: &id,
                summary,
            },
        )
        .await?;
        let policy = fetch_policy(&mut tx, &id).await?;
        tx.commit().await?;
        Ok(policy)
    }

    pub async fn get_escalation_policy(
        &self,
        id: &EscalationPolicyId,
    ) -> Result<EscalationPolicy, StoreError> {
        let mut conn = self.reader.acquire().await?;
        fetch_policy(&mut conn, id.as_str()).await
    }

    /// Policies by name.
    pub async fn list_escalation_policies(&self, page: Page) -> Result<Vec<EscalationPolicy>, StoreError> {
        let rows: Vec<PolicyRow> = sqlx::query_as::<Any, PolicyRow>(sqlx::AssertSqlSafe(format!(
            "{POLICY_SELECT} WHERE deleted_at IS NULL ORDER BY lower(name), id LIMIT $1 OFFSET $2"
        )))
        .bind(i64::from(page.limit))
        .bind(i64::from(page.offset))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(EscalationPolicy::try_from).collect()
    }

    /// Replaces a policy's name, description and rules, and moves its version on; pages already
    /// started keep the version they froze.
    pub async fn replace_escalation_policy(
        &self,
        id: &EscalationPolicyId,
        new: &NewEscalationPolicy,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<EscalationPolicy, StoreError> {
        let mut tx = self.writer.begin().await?;
        fetch_policy(&mut tx, id.as_str()).await?;
        check_targets(&mut tx, self.backend, &new.rules).await?;
        let updated = sqlx::query(
            "UPDATE escalation_policies SET name = $2, description = $3, rules = $4, version = version + 1,
                updated_at = $5
             WHERE id = $1",
        )
        .bind(id.as_str())
        .bind(&new.name)
        .bind(&new.description)
        .bind(rules_json(&new.rules))
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await;
        match updated {
            Err(error) if is_unique_violation(&error) => {
                return Err(StoreError::conflict("name", NAME_TAKEN));
            }
            other => other?,
        };
        let policy = fetch_policy(&mut tx, id.as_str()).await?;
        let summary = format!(
            "changed escalation policy {} to version {} ({})",
            policy.name,
            policy.version,
            describe(&policy.rules)
        );
        audit::record(
            &mut tx,
            actor,
            now,
            Audit {
                action: "escalation_policy.update",
                target_kind: "escalation_policy",
                target_id: id.as_str(),
                summary,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(policy)
    }

    /// Deletes a policy that no service pages through.
    pub async fn delete_escalation_policy(
        &self,
        id: &EscalationPolicyId,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let policy = fetch_policy(&mut tx, id.as_str()).await?;
        let users: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM services WHERE escalation_policy_id = $1 AND deleted_at IS NULL",
        )
        .bind(id.as_str())
        .fetch_one(&mut *tx)
        .await?;
        if users > 0 {
            return Err(StoreError::conflict(
                "escalation_policy",
                format!("{users} services page through this policy; give them another one first"),
            ));
        }
        sqlx::query("UPDATE escalation_policies SET deleted_at = $2 WHERE id = $1")
            .bind(id.as_str())
            .bind(rows::millis(now))
            .execute(&mut *tx)
            .await?;
        let summary = format!("deleted escalation policy {}", policy.name);
        audit::record(
            &mut tx,
            actor,
            now,
            Audit {
                action: "escalation_policy.delete",
                target_kind: "escalation_policy",
                target_id: id.as_str(),
                summary,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// How a service pages.
    pub async fn service_escalation(&self, service: &ServiceId) -> Result<ServiceEscalation, StoreError> {
        let row: Option<ServiceEscalationRow> = sqlx::query_as::<Any, ServiceEscalationRow>(
            "SELECT s.escalation_policy_id, p.name AS policy_name, s.business_critical_minutes, s.urgent_minutes,
                s.acknowledgement_timeout_minutes
             FROM services s LEFT JOIN escalation_policies p ON p.id = s.escalation_policy_id
             WHERE s.id = $1 AND s.deleted_at IS NULL",
        )
        .bind(service.as_str())
        .fetch_optional(&self.reader)
        .await?;
        let row = row.ok_or(StoreError::NotFound("service"))?;
        let minutes = |value: i64| u32::try_from(value).unwrap_or(u32::MAX);
        Ok(ServiceEscalation {
            policy_id: row.escalation_policy_id.map(EscalationPolicyId),
            policy_name: row.policy_name,
            response_targets: ResponseTargets {
                business_critical_minutes: minutes(row.business_critical_minutes),
                urgent_minutes: minutes(row.urgent_minutes),
                acknowledgement_timeout_minutes: row.acknowledgement_timeout_minutes.map(minutes),
            },
        })
    }

    /// Sets the policy a service pages through (`None`: it pages no one) and its response targets.
    pub async fn set_service_escalation(
        &self,
        service: &ServiceId,
        policy: Option<&EscalationPolicyId>,
        targets: ResponseTargets,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<ServiceEscalation, StoreError> {
        let mut tx = self.writer.begin().await?;
        let policy_name = match policy {
            Some(id) => match fetch_policy(&mut tx, id.as_str()).await {
                Ok(policy) => Some(policy.name),
                Err(StoreError::NotFound(_)) => {
                    return Err(
                        Invalid::one("escalation_policy_id", "is not a known escalation policy").into()
                    );
                }
                Err(error) => return Err(error),
            },
            None => None,
        };
        let updated = sqlx::query(
            "UPDATE services SET escalation_policy_id = $2, business_critical_minutes = $3, urgent_minutes = $4,
                updated_at = $5, acknowledgement_timeout_minutes = $6
             WHERE id = $1 AND deleted_at IS NULL",
        )
        .bind(service.as_str())
        .bind(policy.map(EscalationPolicyId::as_str))
        .bind(i64::from(targets.business_critical_minutes))
        .bind(i64::from(targets.urgent_minutes))
        .bind(rows::millis(now))
        .bind(targets.acknowledgement_timeout_minutes.map(i64::from))
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound("service"));
        }
        let summary = format!(
            "set escalation: policy {}, business critical within {} min, urgent within {} min, {}",
            policy_name.as_deref().unwrap_or("none"),
            targets.business_critical_minutes,
            targets.urgent_minutes,
            match targets.acknowledgement_timeout_minutes {
                Some(minutes) => format!("acknowledgements time out after {minutes} min"),
                None => "acknowledgements never time out".to_owned(),
            }
        );
        audit::record(
            &mut tx,
            actor,
            now,
            Audit {
                action: "service.escalation",
                target_kind: "service",
                target_id: service.as_str(),
                summary,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(ServiceEscalation { policy_id: policy.cloned(), policy_name, response_targets: targets })
    }
}
