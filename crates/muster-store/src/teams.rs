//! Teams and their members. A deleted team is kept (soft delete) for the history that names it.

use std::collections::HashMap;

use jiff::Timestamp;
use muster_core::{
    audit::Actor,
    ids::{TeamId, UserId},
    page::Page,
    team::{NewTeam, Team, TeamChanges, TeamMember},
};
use sqlx::{Any, AnyConnection, FromRow};

use crate::{
    Store, StoreError,
    audit::{self, Audit},
    error::is_unique_violation,
    new_id, rows,
    users::require_active_user,
};

#[derive(FromRow)]
struct TeamRow {
    id: String,
    name: String,
    description: String,
    created_at: i64,
    updated_at: i64,
}

#[derive(FromRow)]
struct MemberRow {
    team_id: String,
    user_id: String,
    name: String,
    email: String,
}

fn team_from(row: TeamRow, members: Vec<TeamMember>) -> Result<Team, StoreError> {
    Ok(Team {
        id: row.id.into(),
        name: row.name,
        description: row.description,
        members,
        created_at: rows::timestamp(row.created_at)?,
        updated_at: rows::timestamp(row.updated_at)?,
    })
}

fn member_from(row: MemberRow) -> TeamMember {
    TeamMember { user_id: row.user_id.into(), name: row.name, email: row.email }
}

const NAME_TAKEN: &str = "a team with this name already exists";

pub(crate) async fn fetch_team(conn: &mut AnyConnection, id: &str) -> Result<Team, StoreError> {
    let row: TeamRow = sqlx::query_as::<Any, TeamRow>(
        "SELECT id, name, description, created_at, updated_at FROM teams WHERE id = $1 AND deleted_at IS NULL",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound("team"))?;
    let members: Vec<MemberRow> = sqlx::query_as::<Any, MemberRow>(
        "SELECT m.team_id, m.user_id, u.name, u.email FROM team_members m JOIN users u ON u.id = m.user_id
         WHERE m.team_id = $1 ORDER BY lower(u.name), u.id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    team_from(row, members.into_iter().map(member_from).collect())
}

impl Store {
    pub async fn create_team(
        &self,
        new: &NewTeam,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Team, StoreError> {
        let id = new_id();
        let mut tx = self.writer.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO teams (id, name, description, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(&id)
        .bind(&new.name)
        .bind(&new.description)
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(error) if is_unique_violation(&error) => {
                return Err(StoreError::conflict("name", NAME_TAKEN));
            }
            other => other?,
        };
        let summary = format!("created team {}", new.name);
        audit::record(
            &mut tx,
            actor,
            now,
            Audit { action: "team.create", target_kind: "team", target_id: &id, summary },
        )
        .await?;
        let team = fetch_team(&mut tx, &id).await?;
        tx.commit().await?;
        Ok(team)
    }

    pub async fn get_team(&self, id: &TeamId) -> Result<Team, StoreError> {
        let mut conn = self.reader.acquire().await?;
        fetch_team(&mut conn, id.as_str()).await
    }

    /// Teams by name with their members, in two queries whatever the page size.
    pub async fn list_teams(&self, page: Page) -> Result<Vec<Team>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        let teams: Vec<TeamRow> = sqlx::query_as::<Any, TeamRow>(
            "SELECT id, name, description, created_at, updated_at FROM teams WHERE deleted_at IS NULL
             ORDER BY lower(name), id LIMIT $1 OFFSET $2",
        )
        .bind(i64::from(page.limit))
        .bind(i64::from(page.offset))
        .fetch_all(&mut *conn)
        .await?;
        let members: Vec<MemberRow> = sqlx::query_as::<Any, MemberRow>(
            "SELECT m.team_id, m.user_id, u.name, u.email FROM team_members m JOIN users u ON u.id = m.user_id
             WHERE m.team_id IN (SELECT id FROM teams WHERE deleted_at IS NULL
                                 ORDER BY lower(name), id LIMIT $1 OFFSET $2)
             ORDER BY lower(u.name), u.id",
        )
        .bind(i64::from(page.limit))
        .bind(i64::from(page.offset))
        .fetch_all(&mut *conn)
        .await?;
        let mut by_team: HashMap<String, Vec<TeamMember>> = HashMap::new();
        for row in members {
            by_team.entry(row.team_id.clone()).or_default().push(member_from(row));
        }
        teams
            .into_iter()
            .map(|row| {
                let members = by_team.remove(&row.id).unwrap_or_default();
                team_from(row, members)
            })
            .collect()
    }

    pub async fn update_team(
        &self,
        id: &TeamId,
        changes: &TeamChanges,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Team, StoreError> {
        let mut tx = self.writer.begin().await?;
        let before = fetch_team(&mut tx, id.as_str()).await?;
        let updated = sqlx::query(
            "UPDATE teams SET name = COALESCE($2, name), description = COALESCE($3, description), updated_at = $4
             WHERE id = $1",
        )
        .bind(id.as_str())
        .bind(changes.name.as_deref())
        .bind(changes.description.as_deref())
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await;
        match updated {
            Err(error) if is_unique_violation(&error) => {
                return Err(StoreError::conflict("name", NAME_TAKEN));
            }
            other => other?,
        };
        let after = fetch_team(&mut tx, id.as_str()).await?;
        let summary = if before.name == after.name {
            format!("updated team {}", after.name)
        } else {
            format!("renamed team {:?} to {:?}", before.name, after.name)
        };
        audit::record(
            &mut tx,
            actor,
            now,
            Audit { action: "team.update", target_kind: "team", target_id: id.as_str(), summary },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes a team that owns no services; its members are released.
    pub async fn delete_team(&self, id: &TeamId, actor: &Actor, now: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let team = fetch_team(&mut tx, id.as_str()).await?;
        let owned: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM services WHERE team_id = $1 AND deleted_at IS NULL")
                .bind(id.as_str())
                .fetch_one(&mut *tx)
                .await?;
        if owned > 0 {
            return Err(StoreError::conflict(
                "team",
                format!("the team owns {owned} service(s); give them another owner or delete them first"),
            ));
        }
        sqlx::query("UPDATE teams SET deleted_at = $2, updated_at = $2 WHERE id = $1")
            .bind(id.as_str())
            .bind(rows::millis(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM team_members WHERE team_id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        let summary = format!("deleted team {}", team.name);
        audit::record(
            &mut tx,
            actor,
            now,
            Audit { action: "team.delete", target_kind: "team", target_id: id.as_str(), summary },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds an active user to a team; adding a member twice changes nothing.
    pub async fn add_team_member(
        &self,
        team: &TeamId,
        user: &UserId,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Team, StoreError> {
        let mut tx = self.writer.begin().await?;
        let before = fetch_team(&mut tx, team.as_str()).await?;
        let member = require_active_user(&mut tx, "user_id", user).await?;
        if !before.members.iter().any(|m| &m.user_id == user) {
            sqlx::query("INSERT INTO team_members (team_id, user_id, added_at) VALUES ($1, $2, $3)")
                .bind(team.as_str())
                .bind(user.as_str())
                .bind(rows::millis(now))
                .execute(&mut *tx)
                .await?;
            let summary = format!("added {} to team {}", member.email, before.name);
            audit::record(
                &mut tx,
                actor,
                now,
                Audit { action: "team.member.add", target_kind: "team", target_id: team.as_str(), summary },
            )
            .await?;
        }
        let after = fetch_team(&mut tx, team.as_str()).await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn remove_team_member(
        &self,
        team: &TeamId,
        user: &UserId,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Team, StoreError> {
        let mut tx = self.writer.begin().await?;
        let before = fetch_team(&mut tx, team.as_str()).await?;
        let Some(member) = before.members.iter().find(|m| &m.user_id == user) else {
            return Err(StoreError::NotFound("team member"));
        };
        sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND user_id = $2")
            .bind(team.as_str())
            .bind(user.as_str())
            .execute(&mut *tx)
            .await?;
        let summary = format!("removed {} from team {}", member.email, before.name);
        audit::record(
            &mut tx,
            actor,
            now,
            Audit { action: "team.member.remove", target_kind: "team", target_id: team.as_str(), summary },
        )
        .await?;
        let after = fetch_team(&mut tx, team.as_str()).await?;
        tx.commit().await?;
        Ok(after)
    }
}
