//! API tokens. Only a hash of each token is stored; the token itself is shown once at creation.

use jiff::{SignedDuration, Timestamp};
use muster_core::{
    audit::Actor,
    ids::{ApiTokenId, UserId},
    token::ApiToken,
    user::User,
};
use sqlx::{Any, AnyConnection, FromRow};

use crate::{
    Store, StoreError,
    audit::{self, Audit},
    new_id, rows,
    users::fetch_user,
};

/// How stale `last_used_at` may get before a request refreshes it; keeps reads from becoming writes.
const LAST_USED_GRANULARITY: SignedDuration = SignedDuration::from_secs(60);

#[derive(FromRow)]
struct TokenRow {
    id: String,
    user_id: String,
    name: String,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TryFrom<TokenRow> for ApiToken {
    type Error = StoreError;

    fn try_from(row: TokenRow) -> Result<Self, StoreError> {
        Ok(ApiToken {
            id: row.id.into(),
            user_id: row.user_id.into(),
            name: row.name,
            created_at: rows::timestamp(row.created_at)?,
            last_used_at: rows::optional_timestamp(row.last_used_at)?,
            revoked_at: rows::optional_timestamp(row.revoked_at)?,
        })
    }
}

async fn fetch_token(conn: &mut AnyConnection, user: &UserId, id: &str) -> Result<ApiToken, StoreError> {
    let row: Option<TokenRow> = sqlx::query_as::<Any, TokenRow>(
        "SELECT id, user_id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE id = $1 AND user_id = $2",
    )
    .bind(id)
    .bind(user.as_str())
    .fetch_optional(conn)
    .await?;
    row.ok_or(StoreError::NotFound("API token"))?.try_into()
}

impl Store {
    pub async fn create_api_token(
        &self,
        user: &UserId,
        name: &str,
        token_hash: &str,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<ApiToken, StoreError> {
        let id = new_id();
        let mut tx = self.writer.begin().await?;
        let owner = fetch_user(&mut tx, user.as_str()).await?;
        if !owner.is_active() {
            return Err(muster_core::Invalid::one("user", "is deactivated").into());
        }
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(user.as_str())
        .bind(name)
        .bind(token_hash)
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        let summary = format!("created API token {name:?} for {}", owner.email);
        audit::record(
            &mut tx,
            actor,
            now,
            Audit { action: "token.create", target_kind: "user", target_id: user.as_str(), summary },
        )
        .await?;
        let token = fetch_token(&mut tx, user, &id).await?;
        tx.commit().await?;
        Ok(token)
    }

    /// A user's tokens, newest first, revoked ones included.
    pub async fn list_api_tokens(&self, user: &UserId) -> Result<Vec<ApiToken>, StoreError> {
        let rows: Vec<TokenRow> = sqlx::query_as::<Any, TokenRow>(
            "SELECT id, user_id, name, created_at, last_used_at, revoked_at FROM api_tokens
             WHERE user_id = $1 ORDER BY created_at DESC, id",
        )
        .bind(user.as_str())
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(ApiToken::try_from).collect()
    }

    /// Revokes one of a user's tokens. Revoking twice changes nothing.
    pub async fn revoke_api_token(
        &self,
        user: &UserId,
        token: &ApiTokenId,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<ApiToken, StoreError> {
        let mut tx = self.writer.begin().await?;
        let before = fetch_token(&mut tx, user, token.as_str()).await?;
        if before.revoked_at.is_none() {
            sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1")
                .bind(token.as_str())
                .bind(rows::millis(now))
                .execute(&mut *tx)
                .await?;
            let summary = format!("revoked API token {:?}", before.name);
            audit::record(
                &mut tx,
                actor,
                now,
                Audit { action: "token.revoke", target_kind: "user", target_id: user.as_str(), summary },
            )
            .await?;
        }
        let after = fetch_token(&mut tx, user, token.as_str()).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The active user that an unrevoked token with this hash belongs to, noting the use.
    pub async fn api_token_user(&self, token_hash: &str, now: Timestamp) -> Result<Option<User>, StoreError> {
        #[derive(FromRow)]
        struct Row {
            id: String,
            user_id: String,
            last_used_at: Option<i64>,
        }
        let mut conn = self.reader.acquire().await?;
        let row: Option<Row> = sqlx::query_as::<Any, Row>(
            "SELECT id, user_id, last_used_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user = fetch_user(&mut conn, &row.user_id).await?;
        if !user.is_active() {
            return Ok(None);
        }
        drop(conn);
        let stale = match rows::optional_timestamp(row.last_used_at)? {
            Some(last) => now.duration_since(last) >= LAST_USED_GRANULARITY,
            None => true,
        };
        if stale {
            sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                .bind(&row.id)
                .bind(rows::millis(now))
                .execute(&self.writer)
                .await?;
        }
        Ok(Some(user))
    }
}
