//! Users and their password hashes. Users are never deleted, only deactivated, because alerts,
//! incidents and the audit log refer to them.

use jiff::Timestamp;
use muster_core::{
    audit::Actor,
    ids::UserId,
    page::Page,
    user::{NewUser, Role, User, UserChanges},
};
use sqlx::{Any, AnyConnection, FromRow};

use crate::{
    Store, StoreError,
    audit::{self, Audit},
    error::is_unique_violation,
    new_id, rows,
};

const USER_COLUMNS: &str = "id, name, email, time_zone, role, created_at, updated_at, deactivated_at";

#[derive(FromRow)]
struct UserRow {
    id: String,
    name: String,
    email: String,
    time_zone: String,
    role: String,
    created_at: i64,
    updated_at: i64,
    deactivated_at: Option<i64>,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(row: UserRow) -> Result<Self, StoreError> {
        Ok(User {
            id: row.id.into(),
            name: row.name,
            email: row.email,
            time_zone: row.time_zone,
            role: rows::parsed("role", &row.role)?,
            created_at: rows::timestamp(row.created_at)?,
            updated_at: rows::timestamp(row.updated_at)?,
            deactivated_at: rows::optional_timestamp(row.deactivated_at)?,
        })
    }
}

/// A user with the password hash to check a sign-in against.
#[derive(Debug)]
pub struct Credentials {
    pub user: User,
    /// `None` for users who have no password yet (they sign in with an API token only).
    pub password_hash: Option<String>,
}

pub(crate) async fn fetch_user(conn: &mut AnyConnection, id: &str) -> Result<User, StoreError> {
    let row: Option<UserRow> = sqlx::query_as::<Any, UserRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.ok_or(StoreError::NotFound("user"))?.try_into()
}

/// Fails unless the user exists and is active; used before linking someone to a team.
pub(crate) async fn require_active_user(
    conn: &mut AnyConnection,
    field: &'static str,
    id: &UserId,
) -> Result<User, StoreError> {
    match fetch_user(conn, id.as_str()).await {
        Ok(user) if user.is_active() => Ok(user),
        Ok(_) => Err(muster_core::Invalid::one(field, "is a deactivated user").into()),
        Err(StoreError::NotFound(_)) => Err(muster_core::Invalid::one(field, "is not a known user").into()),
        Err(error) => Err(error),
    }
}

impl Store {
    pub async fn create_user(
        &self,
        new: &NewUser,
        password_hash: Option<&str>,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<User, StoreError> {
        let id = new_id();
        let mut tx = self.writer.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO users (id, name, email, time_zone, role, password_hash, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(&id)
        .bind(&new.name)
        .bind(&new.email)
        .bind(&new.time_zone)
        .bind(new.role.as_str())
        .bind(password_hash)
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(error) if is_unique_violation(&error) => {
                return Err(StoreError::conflict("email", "a user with this e-mail address already exists"));
            }
            other => other?,
        };
        let summary = format!("created user {} <{}> as {}", new.name, new.email, new.role);
        audit::record(
            &mut tx,
            actor,
            now,
            Audit { action: "user.create", target_kind: "user", target_id: &id, summary },
        )
        .await?;
        let user = fetch_user(&mut tx, &id).await?;
        tx.commit().await?;
        Ok(user)
    }

    pub async fn get_user(&self, id: &UserId) -> Result<User, StoreError> {
        let mut conn = self.reader.acquire().await?;
        fetch_user(&mut conn, id.as_str()).await
    }

    pub async fn find_user_by_email(&self, email: &str) -> Result<User, StoreError> {
        Ok(self.credentials(email).await?.ok_or(StoreError::NotFound("user"))?.user)
    }

    /// The user with this (already lower-cased) e-mail address and their password hash.
    pub async fn credentials(&self, email: &str) -> Result<Option<Credentials>, StoreError> {
        #[derive(FromRow)]
        struct Row {
            #[sqlx(flatten)]
            user: UserRow,
            password_hash: Option<String>,
        }
        let row: Option<Row> = sqlx::query_as::<Any, Row>(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1"
        )))
        .bind(email)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|row| Ok(Credentials { user: row.user.try_into()?, password_hash: row.password_hash }))
            .transpose()
    }

    /// Users by name, deactivated ones included (they are marked).
    pub async fn list_users(&self, page: Page) -> Result<Vec<User>, StoreError> {
        let rows: Vec<UserRow> = sqlx::query_as::<Any, UserRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY lower(name), id LIMIT $1 OFFSET $2"
        )))
        .bind(i64::from(page.limit))
        .bind(i64::from(page.offset))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(User::try_from).collect()
    }

    /// Every active admin, by name: who may grant what only admins may.
    pub async fn active_admins(&self) -> Result<Vec<User>, StoreError> {
        let rows: Vec<UserRow> = sqlx::query_as::<Any, UserRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE role = 'admin' AND deactivated_at IS NULL ORDER BY lower(name), id"
        )))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(User::try_from).collect()
    }

    /// The users with these ids (unknown ids are skipped), in no particular order.
    pub async fn users_by_ids(&self, ids: &[UserId]) -> Result<Vec<User>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id IN ({})", placeholders.join(", "));
        // Only numbered placeholders are put into the text; the ids themselves are bound.
        let mut query = sqlx::query_as::<Any, UserRow>(sqlx::AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(id.as_str().to_owned());
        }
        query.fetch_all(&self.reader).await?.into_iter().map(User::try_from).collect()
    }

    pub async fn count_users(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users").fetch_one(&self.reader).await?)
    }

    pub async fn update_user(
        &self,
        id: &UserId,
        changes: &UserChanges,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<User, StoreError> {
        let mut tx = self.writer.begin().await?;
        let before = fetch_user(&mut tx, id.as_str()).await?;
        if before.role == Role::Admin && changes.role.is_some_and(|role| role != Role::Admin) {
            ensure_another_admin(&mut tx, id).await?;
        }
        sqlx::query(
            "UPDATE users SET name = COALESCE($2, name), time_zone = COALESCE($3, time_zone),
                              role = COALESCE($4, role), updated_at = $5
             WHERE id = $1",
        )
        .bind(id.as_str())
        .bind(changes.name.as_deref())
        .bind(changes.time_zone.as_deref())
        .bind(changes.role.map(Role::as_str))
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        let after = fetch_user(&mut tx, id.as_str()).await?;
        let summary = describe_user_changes(&before, &after);
        audit::record(
            &mut tx,
            actor,
            now,
            Audit { action: "user.update", target_kind: "user", target_id: id.as_str(), summary },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Replaces a user's password hash and signs them out everywhere.
    pub async fn set_password(
        &self,
        id: &UserId,
        password_hash: &str,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let user = fetch_user(&mut tx, id.as_str()).await?;
        sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
            .bind(id.as_str())
            .bind(password_hash)
            .bind(rows::millis(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id.as_str()).execute(&mut *tx).await?;
        let summary = format!("set the password of {}", user.email);
        audit::record(
            &mut tx,
            actor,
            now,
            Audit { action: "user.password", target_kind: "user", target_id: id.as_str(), summary },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deactivates a user: they can no longer sign in, their sessions and tokens stop working and
    /// they leave their teams, but everything that refers to them keeps its history.
    pub async fn deactivate_user(
        &self,
        id: &UserId,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<User, StoreError> {
        let mut tx = self.writer.begin().await?;
        let before = fetch_user(&mut tx, id.as_str()).await?;
        if !before.is_active() {
            return Ok(before);
        }
        if before.role == Role::Admin {
            ensure_another_admin(&mut tx, id).await?;
        }
        let at = rows::millis(now);
        sqlx::query("UPDATE users SET deactivated_at = $2, updated_at = $2 WHERE id = $1")
            .bind(id.as_str())
            .bind(at)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id.as_str()).execute(&mut *tx).await?;
        sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
            .bind(id.as_str())
            .bind(at)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM team_members WHERE user_id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        let summary = format!("deactivated user {}", before.email);
        audit::record(
            &mut tx,
            actor,
            now,
            Audit { action: "user.deactivate", target_kind: "user", target_id: id.as_str(), summary },
        )
        .await?;
        let after = fetch_user(&mut tx, id.as_str()).await?;
        tx.commit().await?;
        Ok(after)
    }
}

/// Refuses to remove the last active admin, which would lock everyone out of user management.
async fn ensure_another_admin(conn: &mut AnyConnection, leaving: &UserId) -> Result<(), StoreError> {
    let others: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE role = 'admin' AND deactivated_at IS NULL AND id <> $1",
    )
    .bind(leaving.as_str())
    .fetch_one(conn)
    .await?;
    if others == 0 {
        return Err(StoreError::conflict(
            "role",
            "this is the last active admin; make someone else admin first",
        ));
    }
    Ok(())
}

fn describe_user_changes(before: &User, after: &User) -> String {
    let mut changes = Vec::new();
    if before.name != after.name {
        changes.push(format!("name {:?} → {:?}", before.name, after.name));
    }
    if before.time_zone != after.time_zone {
        changes.push(format!("time zone {} → {}", before.time_zone, after.time_zone));
    }
    if before.role != after.role {
        changes.push(format!("role {} → {}", before.role, after.role));
    }
    if changes.is_empty() {
        format!("updated user {} (no change)", after.email)
    } else {
        format!("updated user {}: {}", after.email, changes.join(", "))
    }
}
