//! Contact methods, notification rules and the outbox.
//!
//! A contact method is created unverified, with the hash of a code that is queued to it in the
//! same transaction; typing the code back verifies it. The outbox is written in the transaction of
//! whatever causes a notification and read by the delivery workers of every instance: a worker
//! claims due rows by moving their next attempt past the claim's end (with `FOR UPDATE SKIP
//! LOCKED` on PostgreSQL, so instances never claim the same row), delivers, then records the
//! result. A worker that dies mid-delivery leaves its rows to be claimed again when the claim
//! ends: at least once, with the same idempotency key.

use jiff::Timestamp;
use muster_core::{
    Invalid,
    alert::{ActedBy, Alert},
    audit::Actor,
    ids::{AlertId, ContactMethodId, NotificationId, NotificationRuleId, PageId, UserId},
    notify::{
        ContactMethod, NewContactMethod, NewNotificationRule, Notice, Notification, NotificationRule,
        NotificationStatus, Purpose, Reachable,
    },
};
use sqlx::{Any, AnyConnection, FromRow};

use crate::{
    AlertAction, Backend, Store, StoreError,
    alerts::apply_action,
    audit::{self, Audit},
    new_id, rows,
    sql::{Sql, batch_row, rows_document},
};

/// How many wrong codes a contact method takes before a new code must be sent.
pub const MAX_VERIFICATION_ATTEMPTS: i64 = 5;

#[derive(FromRow)]
struct MethodRow {
    id: String,
    user_id: String,
    kind: String,
    label: String,
    address: String,
    signing_secret: Option<String>,
    verified_at: Option<i64>,
    created_at: i64,
}

impl TryFrom<MethodRow> for ContactMethod {
    type Error = StoreError;

    fn try_from(row: MethodRow) -> Result<Self, StoreError> {
        Ok(ContactMethod {
            id: ContactMethodId(row.id),
            user_id: UserId(row.user_id),
            kind: rows::parsed("kind", &row.kind)?,
            label: row.label,
            address: row.address,
            signed: row.signing_secret.is_some(),
            verified_at: rows::optional_timestamp(row.verified_at)?,
            created_at: rows::timestamp(row.created_at)?,
        })
    }
}

const METHOD_SELECT: &str =
    "SELECT id, user_id, kind, label, address, signing_secret, verified_at, created_at FROM contact_methods";

/// The live (not deleted) contact methods among `ids`, in no particular order.
pub(crate) async fn methods_by_ids(
    conn: &mut AnyConnection,
    backend: Backend,
    ids: &[String],
) -> Result<Vec<ContactMethod>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(backend, format!("{METHOD_SELECT} WHERE deleted_at IS NULL AND id"));
    sql.in_json_strings(rows_document(ids));
    let found: Vec<MethodRow> = sql.query_as().fetch_all(&mut *conn).await?;
    found.into_iter().map(ContactMethod::try_from).collect()
}

pub(crate) async fn fetch_method(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &ContactMethodId,
) -> Result<(ContactMethod, Option<String>), StoreError> {
    let row: Option<MethodRow> = sqlx::query_as::<Any, MethodRow>(sqlx::AssertSqlSafe(format!(
        "{METHOD_SELECT} WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL"
    )))
    .bind(id.as_str())
    .bind(user.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let row = row.ok_or(StoreError::NotFound("contact method"))?;
    let secret = row.signing_secret.clone();
    Ok((row.try_into()?, secret))
}

/// A code sent to verify a contact method: its hash and until when it works.
#[derive(Debug, Clone)]
pub struct VerificationCode {
    pub hash: String,
    pub expires_at: Timestamp,
}

/// A notification as a worker claimed it, with the secret that signs it when its webhook is signed.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub notification: Notification,
    pub signing_secret: Option<String>,
}

#[derive(FromRow)]
struct NotificationRow {
    id: String,
    user_id: String,
    contact_method_id: String,
    kind: String,
    address: String,
    signing_secret: Option<String>,
    purpose: String,
    page_id: Option<String>,
    alert_id: Option<String>,
    step_index: Option<i64>,
    notice: String,
    status: String,
    attempts: i64,
    deliver_at: i64,
    next_attempt_at: i64,
    last_error: Option<String>,
    delivered_at: Option<i64>,
    created_at: i64,
}

impl TryFrom<NotificationRow> for Claimed {
    type Error = StoreError;

    fn try_from(row: NotificationRow) -> Result<Self, StoreError> {
        let notification = Notification {
            id: NotificationId(row.id),
            user_id: UserId(row.user_id),
            contact_method_id: ContactMethodId(row.contact_method_id),
            kind: rows::parsed("kind", &row.kind)?,
            address: row.address,
            signed: row.signing_secret.is_some(),
            purpose: rows::parsed("purpose", &row.purpose)?,
            page_id: row.page_id.map(PageId),
            alert_id: row.alert_id.map(AlertId),
            step_index: row.step_index.map(|i| u32::try_from(i).unwrap_or(u32::MAX)),
            notice: serde_json::from_str(&row.notice)
                .map_err(|e| StoreError::Corrupt(format!("notice: {e}")))?,
            status: rows::parsed("status", &row.status)?,
            attempts: u32::try_from(row.attempts).unwrap_or(u32::MAX),
            deliver_at: rows::timestamp(row.deliver_at)?,
            next_attempt_at: rows::timestamp(row.next_attempt_at)?,
            last_error: row.last_error,
            delivered_at: rows::optional_timestamp(row.delivered_at)?,
            created_at: rows::timestamp(row.created_at)?,
        };
        Ok(Claimed { notification, signing_secret: row.signing_secret })
    }
}

const NOTIFICATION_COLUMNS: &str = "id, user_id, contact_method_id, kind, address, signing_secret, purpose, page_id,
    alert_id, step_index, notice, status, attempts, deliver_at, next_attempt_at, last_error, delivered_at, created_at";

batch_row! {
    /// A new notification as one row of a batch document.
    struct NotificationRecord<'a> {
        id: Text &'a str,
        user_id: Text &'a str,
        contact_method_id: Text &'a str,
        kind: Text &'static str,
        address: Text &'a str,
        purpose: Text &'static str,
        page_id: Text Option<&'a str>,
        alert_id: Text Option<&'a str>,
        step_index: Integer Option<i64>,
        notice: Text String,
        status: Text &'static str,
        attempts: Integer i64,
        deliver_at: Integer i64,
        next_attempt_at: Integer i64,
        created_at: Integer i64,
    }
}

/// Queues notifications, in one statement. The signing secret of a signed webhook is copied from
/// its contact method, so it stays signed however the method changes later.
pub(crate) async fn insert_notifications(
    conn: &mut AnyConnection,
    backend: Backend,
    notifications: &[Notification],
) -> Result<(), StoreError> {
    if notifications.is_empty() {
        return Ok(());
    }
    let records: Vec<NotificationRecord> = notifications
        .iter()
        .map(|n| NotificationRecord {
            id: n.id.as_str(),
            user_id: n.user_id.as_str(),
            contact_method_id: n.contact_method_id.as_str(),
            kind: n.kind.as_str(),
            address: &n.address,
            purpose: n.purpose.as_str(),
            page_id: n.page_id.as_ref().map(PageId::as_str),
            alert_id: n.alert_id.as_ref().map(AlertId::as_str),
            step_index: n.step_index.map(i64::from),
            // Plain data of strings always serializes.
            notice: serde_json::to_string(&n.notice).unwrap_or_default(),
            status: n.status.as_str(),
            attempts: i64::from(n.attempts),
            deliver_at: rows::millis(n.deliver_at),
            next_attempt_at: rows::millis(n.next_attempt_at),
            created_at: rows::millis(n.created_at),
        })
        .collect();
    let names: Vec<&str> = NotificationRecord::COLUMNS.iter().map(|c| c.name()).collect();
    let mut sql = Sql::new(backend, format!("INSERT INTO notifications ({}) ", names.join(", ")));
    sql.rows_from_json(NotificationRecord::COLUMNS, rows_document(&records));
    sql.query().execute(&mut *conn).await?;
    let signed: Vec<&str> = notifications.iter().filter(|n| n.signed).map(|n| n.id.as_str()).collect();
    if !signed.is_empty() {
        let mut sql = Sql::new(
            backend,
            "UPDATE notifications SET signing_secret =
                (SELECT m.signing_secret FROM contact_methods m WHERE m.id = notifications.contact_method_id)
             WHERE id",
        );
        sql.in_json_strings(rows_document(&signed));
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// A new, pending notification of `purpose` through `method`, due at `deliver_at`.
pub fn queued(
    method: &ContactMethod,
    purpose: Purpose,
    notice: Notice,
    deliver_at: Timestamp,
    now: Timestamp,
) -> Notification {
    Notification {
        id: NotificationId(new_id()),
        user_id: method.user_id.clone(),
        contact_method_id: method.id.clone(),
        kind: method.kind,
        address: method.address.clone(),
        signed: method.signed,
        purpose,
        page_id: None,
        alert_id: None,
        step_index: None,
        notice,
        status: NotificationStatus::Pending,
        attempts: 0,
        deliver_at,
        next_attempt_at: deliver_at,
        last_error: None,
        delivered_at: None,
        created_at: now,
    }
}

#[derive(FromRow)]
struct ReachRow {
    user_id: String,
    time_zone: String,
    delay_minutes: i64,
    id: String,
    kind: String,
    label: String,
    address: String,
    signing_secret: Option<String>,
    verified_at: Option<i64>,
    created_at: i64,
}

impl Store {
    /// Adds an unverified contact method and queues its verification code in the same transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_contact_method(
        &self,
        user: &UserId,
        new: &NewContactMethod,
        signing_secret: Option<&str>,
        code: &VerificationCode,
        notice: Notice,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<ContactMethod, StoreError> {
        let mut tx = self.writer.begin().await?;
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM contact_methods WHERE user_id = $1 AND deleted_at IS NULL",
        )
        .bind(user.as_str())
        .fetch_one(&mut *tx)
        .await?;
        if count >= muster_core::notify::contact::MAX_PER_PERSON as i64 {
            return Err(StoreError::conflict("contact_method", "a person has at most 20 contact methods"));
        }
        let id = ContactMethodId(new_id());
        sqlx::query(
            "INSERT INTO contact_methods (id, user_id, kind, label, address, signing_secret, verification_hash,
                verification_expires_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id.as_str())
        .bind(user.as_str())
        .bind(new.kind.as_str())
        .bind(&new.label)
        .bind(&new.address)
        .bind(signing_secret)
        .bind(&code.hash)
        .bind(rows::millis(code.expires_at))
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        let (method, _) = fetch_method(&mut tx, user, &id).await?;
        insert_notifications(
            &mut tx,
            self.backend,
            &[queued(&method, Purpose::Verification, notice, now, now)],
        )
        .await?;
        let summary = format!("added {} contact method {}", new.kind.label(), new.label);
        audit::record(
            &mut tx,
            actor,
            now,
            Audit {
                action: "contact_method.create",
                target_kind: "contact_method",
                target_id: id.as_str(),
                summary,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(method)
    }

    /// Sends a new verification code to an unverified method; the old code stops working.
    pub async fn resend_verification(
        &self,
        user: &UserId,
        id: &ContactMethodId,
        code: &VerificationCode,
        notice: Notice,
        now: Timestamp,
    ) -> Result<ContactMethod, StoreError> {
        let mut tx = self.writer.begin().await?;
        let (method, _) = fetch_method(&mut tx, user, id).await?;
        if method.is_verified() {
            return Err(StoreError::conflict("contact_method", "is already verified"));
        }
        sqlx::query(
            "UPDATE contact_methods SET verification_hash = $2, verification_expires_at = $3, verification_attempts = 0
             WHERE id = $1",
        )
        .bind(id.as_str())
        .bind(&code.hash)
        .bind(rows::millis(code.expires_at))
        .execute(&mut *tx)
        .await?;
        insert_notifications(
            &mut tx,
            self.backend,
            &[queued(&method, Purpose::Verification, notice, now, now)],
        )
        .await?;
        tx.commit().await?;
        Ok(method)
    }

    /// Verifies a method with the hash of the code its owner typed. A wrong, expired or
    /// exhausted code is refused, naming the `code` field.
    pub async fn verify_contact_method(
        &self,
        user: &UserId,
        id: &ContactMethodId,
        code_hash: &str,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<ContactMethod, StoreError> {
        #[derive(FromRow)]
        struct Pending {
            verification_hash: Option<String>,
            verification_expires_at: Option<i64>,
            verification_attempts: i64,
        }
        let mut tx = self.writer.begin().await?;
        let (method, _) = fetch_method(&mut tx, user, id).await?;
        if method.is_verified() {
            return Ok(method);
        }
        let pending: Pending = sqlx::query_as(
            "SELECT verification_hash, verification_expires_at, verification_attempts FROM contact_methods WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_one(&mut *tx)
        .await?;
        if pending.verification_attempts >= MAX_VERIFICATION_ATTEMPTS {
            return Err(Invalid::one("code", "too many wrong codes: send a new one").into());
        }
        if pending.verification_expires_at.is_none_or(|at| at < rows::millis(now)) {
            return Err(Invalid::one("code", "has expired: send a new one").into());
        }
        if pending.verification_hash.as_deref() != Some(code_hash) {
            sqlx::query(
                "UPDATE contact_methods SET verification_attempts = verification_attempts + 1 WHERE id = $1",
            )
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Err(Invalid::one("code", "is not the code that was sent").into());
        }
        sqlx::query(
            "UPDATE contact_methods SET verified_at = $2, verification_hash = NULL, verification_expires_at = NULL
             WHERE id = $1",
        )
        .bind(id.as_str())
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        let (method, _) = fetch_method(&mut tx, user, id).await?;
        let summary = format!("verified {} contact method {}", method.kind.label(), method.label);
        audit::record(
            &mut tx,
            actor,
            now,
            Audit {
                action: "contact_method.verify",
                target_kind: "contact_method",
                target_id: id.as_str(),
                summary,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(method)
    }

    pub async fn contact_methods_of(&self, user: &UserId) -> Result<Vec<ContactMethod>, StoreError> {
        let rows: Vec<MethodRow> = sqlx::query_as::<Any, MethodRow>(sqlx::AssertSqlSafe(format!(
            "{METHOD_SELECT} WHERE user_id = $1 AND deleted_at IS NULL ORDER BY created_at, id"
        )))
        .bind(user.as_str())
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(ContactMethod::try_from).collect()
    }

    pub async fn get_contact_method(
        &self,
        user: &UserId,
        id: &ContactMethodId,
    ) -> Result<ContactMethod, StoreError> {
        let mut conn = self.reader.acquire().await?;
        Ok(fetch_method(&mut conn, user, id).await?.0)
    }

    /// Removes a method and the rules that use it; notifications already queued still go out.
    pub async fn delete_contact_method(
        &self,
        user: &UserId,
        id: &ContactMethodId,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let (method, _) = fetch_method(&mut tx, user, id).await?;
        sqlx::query("DELETE FROM notification_rules WHERE contact_method_id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE contact_methods SET deleted_at = $2 WHERE id = $1")
            .bind(id.as_str())
            .bind(rows::millis(now))
            .execute(&mut *tx)
            .await?;
        let summary = format!("removed {} contact method {}", method.kind.label(), method.label);
        audit::record(
            &mut tx,
            actor,
            now,
            Audit {
                action: "contact_method.delete",
                target_kind: "contact_method",
                target_id: id.as_str(),
                summary,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a rule over one of the person's own methods.
    pub async fn add_notification_rule(
        &self,
        user: &UserId,
        new: &NewNotificationRule,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<NotificationRule, StoreError> {
        let mut tx = self.writer.begin().await?;
        let method = match fetch_method(&mut tx, user, &new.contact_method_id).await {
            Ok((method, _)) => method,
            Err(StoreError::NotFound(_)) => {
                return Err(Invalid::one("contact_method_id", "is not one of your contact methods").into());
            }
            Err(error) => return Err(error),
        };
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notification_rules WHERE user_id = $1")
            .bind(user.as_str())
            .fetch_one(&mut *tx)
            .await?;
        if count >= muster_core::notify::contact::MAX_PER_PERSON as i64 {
            return Err(StoreError::conflict(
                "notification_rule",
                "a person has at most 20 notification rules",
            ));
        }
        let id = NotificationRuleId(new_id());
        sqlx::query(
            "INSERT INTO notification_rules (id, user_id, contact_method_id, delay_minutes, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.as_str())
        .bind(user.as_str())
        .bind(new.contact_method_id.as_str())
        .bind(i64::from(new.delay_minutes))
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        let summary = format!("notify through {} after {} min", method.label, new.delay_minutes);
        audit::record(
            &mut tx,
            actor,
            now,
            Audit {
                action: "notification_rule.create",
                target_kind: "notification_rule",
                target_id: id.as_str(),
                summary,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(NotificationRule {
            id,
            user_id: user.clone(),
            contact_method_id: new.contact_method_id.clone(),
            delay_minutes: new.delay_minutes,
        })
    }

    pub async fn notification_rules_of(&self, user: &UserId) -> Result<Vec<NotificationRule>, StoreError> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT id, contact_method_id, delay_minutes FROM notification_rules WHERE user_id = $1
             ORDER BY delay_minutes, created_at, id",
        )
        .bind(user.as_str())
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, method, delay)| NotificationRule {
                id: NotificationRuleId(id),
                user_id: user.clone(),
                contact_method_id: ContactMethodId(method),
                delay_minutes: u32::try_from(delay).unwrap_or(0),
            })
            .collect())
    }

    pub async fn delete_notification_rule(
        &self,
        user: &UserId,
        id: &NotificationRuleId,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let deleted = sqlx::query("DELETE FROM notification_rules WHERE id = $1 AND user_id = $2")
            .bind(id.as_str())
            .bind(user.as_str())
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound("notification rule"));
        }
        let summary = "removed a notification rule".to_owned();
        audit::record(
            &mut tx,
            actor,
            now,
            Audit {
                action: "notification_rule.delete",
                target_kind: "notification_rule",
                target_id: id.as_str(),
                summary,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// How each of `people` is reached: their zone and their rules over verified methods. Active
    /// people without any such rule come back with no rules, so the page's log can say so.
    pub async fn reachable(&self, people: &[UserId]) -> Result<Vec<Reachable>, StoreError> {
        if people.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = people.iter().map(UserId::as_str).collect();
        let mut sql = Sql::new(
            self.backend,
            "SELECT u.id AS user_id, u.time_zone, r.delay_minutes, m.id, m.kind, m.label, m.address, m.signing_secret,
                m.verified_at, m.created_at
             FROM users u
             JOIN notification_rules r ON r.user_id = u.id
             JOIN contact_methods m ON m.id = r.contact_method_id AND m.deleted_at IS NULL AND m.verified_at IS NOT NULL
             WHERE u.deactivated_at IS NULL AND u.id",
        );
        sql.in_json_strings(rows_document(&ids)).push(" ORDER BY r.delay_minutes, r.id");
        let found: Vec<ReachRow> = sql.query_as().fetch_all(&self.reader).await?;
        let mut reachable: Vec<Reachable> = people
            .iter()
            .map(|id| Reachable { user_id: id.clone(), time_zone: String::new(), rules: Vec::new() })
            .collect();
        for row in found {
            let Some(person) = reachable.iter_mut().find(|p| p.user_id.as_str() == row.user_id) else {
                continue;
            };
            person.time_zone = row.time_zone.clone();
            let method = ContactMethod::try_from(MethodRow {
                id: row.id,
                user_id: row.user_id,
                kind: row.kind,
                label: row.label,
                address: row.address,
                signing_secret: row.signing_secret,
                verified_at: row.verified_at,
                created_at: row.created_at,
            })?;
            person.rules.push((method, u32::try_from(row.delay_minutes).unwrap_or(0)));
        }
        Ok(reachable)
    }

    /// Queues one notification now (a test message).
    pub async fn queue_notification(&self, notification: &Notification) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        insert_notifications(&mut tx, self.backend, std::slice::from_ref(notification)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Claims up to `limit` notifications due at `now` for delivery until `claim_ends`. Each claim
    /// counts as an attempt.
    pub async fn claim_notifications(
        &self,
        now: Timestamp,
        claim_ends: Timestamp,
        limit: u32,
    ) -> Result<Vec<Claimed>, StoreError> {
        let skip_locked = if self.backend == Backend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
        let mut tx = self.writer.begin().await?;
        let rows: Vec<NotificationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE notifications SET attempts = attempts + 1, next_attempt_at = $2
             WHERE id IN (SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at <= $1
                 ORDER BY next_attempt_at, id LIMIT $3{skip_locked})
             RETURNING {NOTIFICATION_COLUMNS}"
        )))
        .bind(rows::millis(now))
        .bind(rows::millis(claim_ends))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut claimed = rows.into_iter().map(Claimed::try_from).collect::<Result<Vec<_>, _>>()?;
        claimed.sort_by(|a, b| {
            (a.notification.deliver_at, &a.notification.id)
                .cmp(&(b.notification.deliver_at, &b.notification.id))
        });
        Ok(claimed)
    }

    /// When the next pending notification may be attempted.
    pub async fn next_notification_due(&self) -> Result<Option<Timestamp>, StoreError> {
        let next: Option<i64> =
            sqlx::query_scalar("SELECT MIN(next_attempt_at) FROM notifications WHERE status = 'pending'")
                .fetch_one(&self.reader)
                .await?;
        rows::optional_timestamp(next)
    }

    /// Records a delivery.
    pub async fn notifications_delivered(
        &self,
        ids: &[NotificationId],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.update_pending(ids, |sql| {
            sql.push("status = 'delivered', last_error = NULL, delivered_at = ").bind(rows::millis(now));
        })
        .await
    }

    /// When each of `methods` last had a page message delivered: what per-destination throttling
    /// measures from.
    pub async fn last_page_deliveries(
        &self,
        methods: &[ContactMethodId],
    ) -> Result<std::collections::HashMap<ContactMethodId, Timestamp>, StoreError> {
        if methods.is_empty() {
            return Ok(Default::default());
        }
        let ids: Vec<&str> = methods.iter().map(ContactMethodId::as_str).collect();
        let mut sql = Sql::new(
            self.backend,
            "SELECT contact_method_id, MAX(delivered_at) FROM notifications
             WHERE purpose = 'page' AND delivered_at IS NOT NULL AND contact_method_id",
        );
        sql.in_json_strings(rows_document(&ids)).push(" GROUP BY contact_method_id");
        let found: Vec<(String, i64)> = sql.query_as().fetch_all(&self.reader).await?;
        found.into_iter().map(|(id, at)| Ok((ContactMethodId(id), rows::timestamp(at)?))).collect()
    }

    /// Holds claimed notifications back until `until` without counting the claim as an attempt:
    /// their destination was sent a message moments ago, and they will go out together.
    pub async fn postpone_notifications(
        &self,
        ids: &[NotificationId],
        until: Timestamp,
    ) -> Result<(), StoreError> {
        self.update_pending(ids, |sql| {
            sql.push("attempts = attempts - 1, next_attempt_at = ").bind(rows::millis(until));
        })
        .await
    }

    /// Records a failed attempt: tried again at `retry_at`, or a dead letter when that was the last.
    pub async fn notifications_failed(
        &self,
        ids: &[NotificationId],
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        self.update_pending(ids, |sql| {
            sql.push("last_error = ").bind(error.chars().take(500).collect::<String>());
            match retry_at {
                Some(at) => sql.push(", next_attempt_at = ").bind(rows::millis(at)),
                None => sql.push(", status = 'dead_letter'"),
            };
        })
        .await
    }

    /// `UPDATE notifications SET …` for the pending ones among `ids`; `set` writes the assignments.
    async fn update_pending(
        &self,
        ids: &[NotificationId],
        set: impl FnOnce(&mut Sql),
    ) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = ids.iter().map(NotificationId::as_str).collect();
        let mut sql = Sql::new(self.backend, "UPDATE notifications SET ");
        set(&mut sql);
        sql.push(" WHERE status = 'pending' AND id").in_json_strings(rows_document(&ids));
        sql.query().execute(&self.writer).await?;
        Ok(())
    }

    /// The notifications a page sent, in order: its delivery log.
    pub async fn notifications_of_page(&self, page: &PageId) -> Result<Vec<Notification>, StoreError> {
        self.notifications_where("page_id = $1", page.as_str(), 500).await
    }

    /// A person's notifications, newest first.
    pub async fn notifications_of_user(
        &self,
        user: &UserId,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError> {
        self.notifications_where("user_id = $1", user.as_str(), limit).await
    }

    /// Notifications that ran out of attempts, newest first.
    pub async fn dead_letters(&self, limit: u32) -> Result<Vec<Notification>, StoreError> {
        self.notifications_where("status = $1", NotificationStatus::DeadLetter.as_str(), limit).await
    }

    async fn notifications_where(
        &self,
        filter: &str,
        value: &str,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError> {
        let order = if filter.starts_with("page_id") { "created_at, id" } else { "created_at DESC, id DESC" };
        let rows: Vec<NotificationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE {filter} ORDER BY {order} LIMIT $2"
        )))
        .bind(value)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(|row| Claimed::try_from(row).map(|c| c.notification)).collect()
    }

    pub async fn get_notification(&self, id: &NotificationId) -> Result<Notification, StoreError> {
        let row: Option<NotificationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE id = $1"
        )))
        .bind(id.as_str())
        .fetch_optional(&self.reader)
        .await?;
        Ok(Claimed::try_from(row.ok_or(StoreError::NotFound("notification"))?)?.notification)
    }

    /// Acts on a page's alert through a notification's signed link, once: the link is marked used
    /// in the same transaction. A used link is a conflict naming `link`.
    pub async fn respond_by_link(
        &self,
        id: &NotificationId,
        action: AlertAction,
        by: &ActedBy,
        now: Timestamp,
    ) -> Result<Alert, StoreError> {
        let mut tx = self.writer.begin().await?;
        let alert_id: Option<Option<String>> = sqlx::query_scalar(
            "UPDATE notifications SET responded_at = $2 WHERE id = $1 AND responded_at IS NULL RETURNING alert_id",
        )
        .bind(id.as_str())
        .bind(rows::millis(now))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(Some(alert_id)) = alert_id else {
            return Err(StoreError::conflict("link", "this link has been used already"));
        };
        let alert = apply_action(&mut tx, self.backend, &AlertId(alert_id), action, by, now).await?;
        tx.commit().await?;
        Ok(alert)
    }

    /// The secret named `name` that signs links, made from `candidate` the first time it is asked
    /// for; every instance of a shared database gets the same one.
    pub async fn signing_key(
        &self,
        name: &str,
        candidate: &str,
        now: Timestamp,
    ) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO signing_keys (name, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(candidate)
        .bind(rows::millis(now))
        .execute(&self.writer)
        .await?;
        let secret: String = sqlx::query_scalar("SELECT secret FROM signing_keys WHERE name = $1")
            .bind(name)
            .fetch_one(&self.writer)
            .await?;
        Ok(secret)
    }
}
