//! Who hears about incidents: subscriptions to a service's or one incident's stakeholder
//! updates, and the notifications an incident change queues in its own transaction — updates to
//! subscribers, reminders and role offers to the people concerned.

use jiff::Timestamp;
use muster_core::{
    audit::Actor,
    ids::{ContactMethodId, IncidentId, ServiceId, SubscriptionId, UserId},
    incident::{
        Incident, StakeholderAudience, StakeholderUpdate, Subscription, SubscriptionScope, update_notice,
    },
    notify::{Notice, Notification, Purpose},
};
use sqlx::{Any, AnyConnection, FromRow};

use crate::{
    Backend, Store, StoreError,
    audit::{self, Audit},
    new_id,
    notifications::{fetch_method, insert_notifications, methods_by_ids, queued},
    rows,
    sql::{Sql, rows_document},
};

#[derive(FromRow)]
struct SubscriptionRow {
    id: String,
    user_id: String,
    contact_method_id: String,
    service_id: Option<String>,
    incident_id: Option<String>,
    audience: String,
    created_at: i64,
}

impl TryFrom<SubscriptionRow> for Subscription {
    type Error = StoreError;

    fn try_from(row: SubscriptionRow) -> Result<Self, StoreError> {
        let scope = match (row.service_id, row.incident_id) {
            (Some(service), None) => SubscriptionScope::Service(ServiceId(service)),
            (None, Some(incident)) => SubscriptionScope::Incident(IncidentId(incident)),
            _ => return Err(StoreError::Corrupt(format!("subscription {} has no single scope", row.id))),
        };
        Ok(Subscription {
            id: SubscriptionId(row.id),
            user_id: UserId(row.user_id),
            contact_method_id: ContactMethodId(row.contact_method_id),
            scope,
            audience: rows::parsed("audience", &row.audience)?,
            created_at: rows::timestamp(row.created_at)?,
        })
    }
}

const SUBSCRIPTION_COLUMNS: &str =
    "id, user_id, contact_method_id, service_id, incident_id, audience, created_at";

impl Store {
    /// Subscribes `user` to the stakeholder updates of `scope` through one of their verified
    /// contact methods.
    pub async fn subscribe(
        &self,
        user: &UserId,
        method: &ContactMethodId,
        scope: SubscriptionScope,
        audience: StakeholderAudience,
        now: Timestamp,
    ) -> Result<Subscription, StoreError> {
        let mut tx = self.writer.begin().await?;
        let (found, _) = fetch_method(&mut tx, user, method).await.map_err(|error| match error {
            StoreError::NotFound(_) => {
                muster_core::Invalid::one("contact_method_id", "is not one of your contact methods").into()
            }
            other => other,
        })?;
        if found.verified_at.is_none() {
            return Err(muster_core::Invalid::one("contact_method_id", "is not verified yet").into());
        }
        let (service, incident, what) = match &scope {
            SubscriptionScope::Service(id) => {
                let name: Option<String> =
                    sqlx::query_scalar("SELECT name FROM services WHERE id = $1 AND deleted_at IS NULL")
                        .bind(id.as_str())
                        .fetch_optional(&mut *tx)
                        .await?;
                (
                    Some(id.to_string()),
                    None,
                    format!("service {}", name.ok_or(StoreError::NotFound("service"))?),
                )
            }
            SubscriptionScope::Incident(id) => {
                let number: Option<i64> = sqlx::query_scalar("SELECT number FROM incidents WHERE id = $1")
                    .bind(id.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
                (
                    None,
                    Some(id.to_string()),
                    format!("incident {}", number.ok_or(StoreError::NotFound("incident"))?),
                )
            }
        };
        let duplicate: Option<String> = sqlx::query_scalar(
            "SELECT id FROM incident_subscriptions WHERE user_id = $1 AND contact_method_id = $2
                 AND (service_id = $3 OR incident_id = $4)",
        )
        .bind(user.as_str())
        .bind(method.as_str())
        .bind(service.as_deref())
        .bind(incident.as_deref())
        .fetch_optional(&mut *tx)
        .await?;
        if duplicate.is_some() {
            return Err(StoreError::conflict(
                "scope",
                format!("you already follow {what} through this method"),
            ));
        }
        let subscription = Subscription {
            id: SubscriptionId(new_id()),
            user_id: user.clone(),
            contact_method_id: method.clone(),
            scope,
            audience,
            created_at: now,
        };
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO incident_subscriptions ({SUBSCRIPTION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        )))
        .bind(subscription.id.as_str())
        .bind(user.as_str())
        .bind(method.as_str())
        .bind(service.as_deref())
        .bind(incident.as_deref())
        .bind(audience.as_str())
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        let audit = Audit {
            action: "subscription.create",
            target_kind: "subscription",
            target_id: subscription.id.as_str(),
            summary: format!("subscribed to {} updates of {what}", audience.as_str()),
        };
        audit::record(&mut tx, &Actor::User(user.clone()), now, audit).await?;
        tx.commit().await?;
        Ok(subscription)
    }

    pub async fn subscriptions_of(&self, user: &UserId) -> Result<Vec<Subscription>, StoreError> {
        let found: Vec<SubscriptionRow> = sqlx::query_as::<Any, SubscriptionRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM incident_subscriptions WHERE user_id = $1 ORDER BY created_at, id"
        )))
        .bind(user.as_str())
        .fetch_all(&self.reader)
        .await?;
        found.into_iter().map(Subscription::try_from).collect()
    }

    pub async fn unsubscribe(
        &self,
        user: &UserId,
        id: &SubscriptionId,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let deleted = sqlx::query("DELETE FROM incident_subscriptions WHERE id = $1 AND user_id = $2")
            .bind(id.as_str())
            .bind(user.as_str())
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound("subscription"));
        }
        let audit = Audit {
            action: "subscription.delete",
            target_kind: "subscription",
            target_id: id.as_str(),
            summary: "unsubscribed".to_owned(),
        };
        audit::record(&mut tx, &Actor::User(user.clone()), now, audit).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Queues `update` to everyone subscribed to the incident or one of its services whose audience
/// receives it, once per contact method.
pub(crate) async fn notify_subscribers(
    conn: &mut AnyConnection,
    backend: Backend,
    incident: &Incident,
    update: &StakeholderUpdate,
    now: Timestamp,
) -> Result<(), StoreError> {
    let services: Vec<&str> = incident.services.iter().map(ServiceId::as_str).collect();
    let mut sql = Sql::new(
        backend,
        "SELECT s.contact_method_id, s.audience FROM incident_subscriptions s
         JOIN users u ON u.id = s.user_id AND u.deactivated_at IS NULL
         WHERE s.incident_id = ",
    );
    sql.bind(incident.id.as_str().to_owned())
        .push(" OR s.service_id")
        .in_json_strings(rows_document(&services));
    let found: Vec<(String, String)> = sql.query_as().fetch_all(&mut *conn).await?;
    let mut methods: Vec<String> = found
        .into_iter()
        .filter(|(_, audience)| {
            audience.parse::<StakeholderAudience>().is_ok_and(|a| a.receives(update.audience))
        })
        .map(|(method, _)| method)
        .collect();
    methods.sort();
    methods.dedup();
    let notice = update_notice(incident.number, &incident.title, update);
    let notifications: Vec<Notification> = methods_by_ids(conn, backend, &methods)
        .await?
        .iter()
        .filter(|m| m.verified_at.is_some())
        .map(|m| queued(m, Purpose::StakeholderUpdate, notice.clone(), now, now))
        .collect();
    insert_notifications(conn, backend, &notifications).await
}

/// Queues `notice` to `person` through each verified method their notification rules use at
/// once (delay 0): how Muster reaches someone for an incident without paging them.
pub(crate) async fn notify_person(
    conn: &mut AnyConnection,
    backend: Backend,
    person: &UserId,
    purpose: Purpose,
    notice: Notice,
    now: Timestamp,
) -> Result<(), StoreError> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT r.contact_method_id FROM notification_rules r
         JOIN users u ON u.id = r.user_id AND u.deactivated_at IS NULL
         WHERE r.user_id = $1 AND r.delay_minutes = 0",
    )
    .bind(person.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let notifications: Vec<Notification> = methods_by_ids(conn, backend, &ids)
        .await?
        .iter()
        .filter(|m| m.verified_at.is_some())
        .map(|m| queued(m, purpose, notice.clone(), now, now))
        .collect();
    insert_notifications(conn, backend, &notifications).await
}
