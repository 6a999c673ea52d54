//! Schedules: their rotations (with participant orders over time), rules and overrides, and the
//! schedules that serve each tier of a service. A schedule is written whole in one transaction and
//! read back whole, as the `Layers` that answer who is on call.

use std::collections::HashMap;

use jiff::{
    Timestamp,
    civil::{DateTime, Time},
    tz::TimeZone,
};
use muster_core::{
    Invalid,
    audit::Actor,
    ids::{OverrideId, RotationId, ScheduleId, ServiceId, TeamId, UserId},
    page::Page,
    schedule::{
        Coverage, Layers, Override, OverrideKind, Rotation, Rule, Schedule, ScheduleNaming, ShiftLength,
        Weekdays, Window, rotation::ParticipantOrder, templates::Tier,
    },
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
struct ScheduleRow {
    id: String,
    name: String,
    description: String,
    time_zone: String,
    team_id: Option<String>,
    created_at: i64,
    updated_at: i64,
}

#[derive(FromRow)]
struct RotationRow {
    id: String,
    schedule_id: String,
    name: String,
    time_zone: String,
    start_local: String,
    shift_unit: String,
    shift_count: i64,
}

#[derive(FromRow)]
struct OrderRow {
    rotation_id: String,
    from_shift: i64,
    participants: String,
}

#[derive(FromRow)]
struct RuleRow {
    schedule_id: String,
    rotation_id: Option<String>,
    user_id: Option<String>,
    weekdays: i64,
    start_local: Option<String>,
    end_local: Option<String>,
}

#[derive(FromRow)]
struct OverrideRow {
    id: String,
    schedule_id: String,
    kind: String,
    person_id: String,
    cover_id: Option<String>,
    starts_at: i64,
    ends_at: i64,
}

const NAME_TAKEN: &str = "a schedule with this name already exists";

fn zone(name: &str) -> Result<TimeZone, StoreError> {
    TimeZone::get(name).map_err(|_| StoreError::Corrupt(format!("time zone {name:?}")))
}

fn override_from(row: OverrideRow) -> Result<Override, StoreError> {
    let person = UserId(row.person_id);
    let kind = match (row.kind.as_str(), row.cover_id) {
        ("add", _) => OverrideKind::Add { person },
        ("remove", _) => OverrideKind::Remove { person },
        ("replace", Some(cover)) => OverrideKind::Replace { absent: person, cover: UserId(cover) },
        (kind, _) => return Err(StoreError::Corrupt(format!("override kind {kind:?}"))),
    };
    Ok(Override {
        id: OverrideId(row.id),
        kind,
        start: rows::timestamp(row.starts_at)?,
        end: rows::timestamp(row.ends_at)?,
    })
}

/// Loads live schedules whole: every schedule when `only` is `None`, else that one. Five queries
/// whatever the number of schedules.
async fn load(
    conn: &mut AnyConnection,
    only: Option<&str>,
    page: Option<Page>,
) -> Result<Vec<Schedule>, StoreError> {
    let (filter, window) = match (only, page) {
        (Some(_), _) => ("deleted_at IS NULL AND id = $1", ""),
        (None, Some(_)) => ("deleted_at IS NULL", " ORDER BY lower(name), id LIMIT $1 OFFSET $2"),
        (None, None) => ("deleted_at IS NULL", ""),
    };
    let chosen = format!("SELECT id FROM schedules WHERE {filter}{window}");
    macro_rules! bound {
        ($query:expr) => {{
            let mut query = $query;
            if let Some(id) = only {
                query = query.bind(id.to_owned());
            } else if let Some(page) = page {
                query = query.bind(i64::from(page.limit)).bind(i64::from(page.offset));
            }
            query
        }};
    }
    let schedules: Vec<ScheduleRow> =
        bound!(sqlx::query_as::<Any, ScheduleRow>(sqlx::AssertSqlSafe(format!(
            "SELECT id, name, description, time_zone, team_id, created_at, updated_at FROM schedules
         WHERE id IN ({chosen}) ORDER BY lower(name), id"
        ))))
        .fetch_all(&mut *conn)
        .await?;
    let rotations: Vec<RotationRow> =
        bound!(sqlx::query_as::<Any, RotationRow>(sqlx::AssertSqlSafe(format!(
            "SELECT id, schedule_id, name, time_zone, start_local, shift_unit, shift_count FROM rotations
         WHERE schedule_id IN ({chosen}) ORDER BY schedule_id, position"
        ))))
        .fetch_all(&mut *conn)
        .await?;
    let orders: Vec<OrderRow> = bound!(sqlx::query_as::<Any, OrderRow>(sqlx::AssertSqlSafe(format!(
        "SELECT o.rotation_id, o.from_shift, o.participants FROM rotation_orders o
         JOIN rotations r ON r.id = o.rotation_id WHERE r.schedule_id IN ({chosen}) ORDER BY o.rotation_id, o.from_shift"
    ))))
    .fetch_all(&mut *conn)
    .await?;
    let rules: Vec<RuleRow> = bound!(sqlx::query_as::<Any, RuleRow>(sqlx::AssertSqlSafe(format!(
        "SELECT schedule_id, rotation_id, user_id, weekdays, start_local, end_local FROM schedule_rules
         WHERE schedule_id IN ({chosen}) ORDER BY schedule_id, position"
    ))))
    .fetch_all(&mut *conn)
    .await?;
    let overrides: Vec<OverrideRow> =
        bound!(sqlx::query_as::<Any, OverrideRow>(sqlx::AssertSqlSafe(format!(
            "SELECT id, schedule_id, kind, person_id, cover_id, starts_at, ends_at FROM schedule_overrides
         WHERE deleted_at IS NULL AND schedule_id IN ({chosen}) ORDER BY schedule_id, created_at, id"
        ))))
        .fetch_all(&mut *conn)
        .await?;

    let mut orders_of: HashMap<String, Vec<ParticipantOrder>> = HashMap::new();
    for row in orders {
        let participants: Vec<UserId> = serde_json::from_str(&row.participants)
            .map_err(|e| StoreError::Corrupt(format!("participants of {}: {e}", row.rotation_id)))?;
        orders_of
            .entry(row.rotation_id)
            .or_default()
            .push(ParticipantOrder { from_shift: row.from_shift, participants });
    }
    let mut rotations_of: HashMap<String, Vec<Rotation>> = HashMap::new();
    for row in rotations {
        let count = u32::try_from(row.shift_count).map_err(|_| StoreError::Corrupt("shift count".into()))?;
        let rotation = Rotation {
            name: row.name,
            time_zone: zone(&row.time_zone)?,
            start: row
                .start_local
                .parse::<DateTime>()
                .map_err(|e| StoreError::Corrupt(format!("rotation start: {e}")))?,
            shift_length: ShiftLength::from_unit("shift_length", &row.shift_unit, count)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            orders: orders_of.remove(&row.id).unwrap_or_default(),
            id: RotationId(row.id),
        };
        rotations_of.entry(row.schedule_id).or_default().push(rotation);
    }
    let mut rules_of: HashMap<String, Vec<Rule>> = HashMap::new();
    for row in rules {
        let coverage = match (row.rotation_id, row.user_id) {
            (Some(rotation), _) => Coverage::Rotation(RotationId(rotation)),
            (None, Some(user)) => Coverage::Person(UserId(user)),
            (None, None) => return Err(StoreError::Corrupt("a rule without coverage".into())),
        };
        let time =
            |text: String| text.parse::<Time>().map_err(|e| StoreError::Corrupt(format!("rule time: {e}")));
        let window = match (row.start_local, row.end_local) {
            (Some(start), Some(end)) => Window::Between { start: time(start)?, end: time(end)? },
            _ => Window::AllDay,
        };
        let weekdays = Weekdays::from_bits(u8::try_from(row.weekdays).unwrap_or_default());
        rules_of.entry(row.schedule_id).or_default().push(Rule { coverage, weekdays, window });
    }
    let mut overrides_of: HashMap<String, Vec<Override>> = HashMap::new();
    for row in overrides {
        let schedule = row.schedule_id.clone();
        overrides_of.entry(schedule).or_default().push(override_from(row)?);
    }
    schedules
        .into_iter()
        .map(|row| {
            Ok(Schedule {
                layers: Layers {
                    time_zone: zone(&row.time_zone)?,
                    rotations: rotations_of.remove(&row.id).unwrap_or_default(),
                    rules: rules_of.remove(&row.id).unwrap_or_default(),
                    overrides: overrides_of.remove(&row.id).unwrap_or_default(),
                },
                id: ScheduleId(row.id),
                name: row.name,
                description: row.description,
                team_id: row.team_id.map(TeamId),
                created_at: rows::timestamp(row.created_at)?,
                updated_at: rows::timestamp(row.updated_at)?,
            })
        })
        .collect()
}

async fn load_one(conn: &mut AnyConnection, id: &ScheduleId) -> Result<Schedule, StoreError> {
    load(conn, Some(id.as_str()), None).await?.pop().ok_or(StoreError::NotFound("schedule"))
}

/// Everyone a schedule names must be an active user.
async fn require_people(conn: &mut AnyConnection, layers: &Layers) -> Result<(), StoreError> {
    // Collected first: an iterator of closures held across an await makes the future not `Send`.
    let mut people: Vec<UserId> = Vec::new();
    for rotation in &layers.rotations {
        for order in &rotation.orders {
            people.extend(order.participants.iter().cloned());
        }
    }
    for rule in &layers.rules {
        if let Coverage::Person(person) = &rule.coverage {
            people.push(person.clone());
        }
    }
    for person in &people {
        require_active_user(conn, "participants", person).await?;
    }
    Ok(())
}

fn override_columns(kind: &OverrideKind) -> (&'static str, &UserId, Option<&UserId>) {
    match kind {
        OverrideKind::Add { person } => ("add", person, None),
        OverrideKind::Remove { person } => ("remove", person, None),
        OverrideKind::Replace { absent, cover } => ("replace", absent, Some(cover)),
    }
}

/// A schedule to write: how it is called, who owns it, its layers, and optionally the tier of a
/// service it serves.
#[derive(Debug, Clone)]
pub struct NewSchedule {
    pub naming: ScheduleNaming,
    pub team_id: Option<TeamId>,
    pub layers: Layers,
    pub serves: Option<(ServiceId, Tier)>,
}

/// Writes a whole new schedule. Rotation ids in `layers` only link rules to rotations; the store
/// gives every rotation a fresh id.
async fn insert_schedule(
    tx: &mut AnyConnection,
    new: &NewSchedule,
    actor: &Actor,
    now: Timestamp,
) -> Result<ScheduleId, StoreError> {
    let NewSchedule { naming, team_id, layers, serves } = new;
    let team_id = team_id.as_ref();
    let id = new_id();
    let at = rows::millis(now);
    require_people(tx, layers).await?;
    let inserted = sqlx::query(
        "INSERT INTO schedules (id, name, description, time_zone, team_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(&id)
    .bind(&naming.name)
    .bind(&naming.description)
    .bind(layers.time_zone.iana_name().unwrap_or("UTC"))
    .bind(team_id.map(TeamId::as_str))
    .bind(at)
    .execute(&mut *tx)
    .await;
    match inserted {
        Err(error) if is_unique_violation(&error) => {
            return Err(StoreError::conflict("name", NAME_TAKEN));
        }
        Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => {
            return Err(Invalid::one("team_id", "is not a known team").into());
        }
        other => other?,
    };
    let mut rotation_ids = HashMap::new();
    for (position, rotation) in layers.rotations.iter().enumerate() {
        let rotation_id = new_id();
        rotation_ids.insert(rotation.id.clone(), rotation_id.clone());
        let (unit, count) = rotation.shift_length.unit_and_count();
        sqlx::query(
            "INSERT INTO rotations (id, schedule_id, position, name, time_zone, start_local, shift_unit, shift_count)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&rotation_id)
        .bind(&id)
        .bind(position as i64)
        .bind(&rotation.name)
        .bind(rotation.time_zone.iana_name().unwrap_or("UTC"))
        .bind(rotation.start.to_string())
        .bind(unit)
        .bind(i64::from(count))
        .execute(&mut *tx)
        .await?;
        for order in &rotation.orders {
            insert_order(tx, &rotation_id, order, at).await?;
        }
    }
    for (position, rule) in layers.rules.iter().enumerate() {
        let (rotation, person) = match &rule.coverage {
            Coverage::Rotation(local) => {
                let stored = rotation_ids.get(local).ok_or_else(|| {
                    Invalid::one(
                        format!("rules[{position}].rotation"),
                        "is not one of the schedule's rotations",
                    )
                })?;
                (Some(stored.as_str()), None)
            }
            Coverage::Person(person) => (None, Some(person.as_str())),
        };
        let (start, end) = match rule.window {
            Window::AllDay => (None, None),
            Window::Between { start, end } => (Some(start.to_string()), Some(end.to_string())),
        };
        sqlx::query(
            "INSERT INTO schedule_rules (schedule_id, position, rotation_id, user_id, weekdays, start_local, end_local)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(position as i64)
        .bind(rotation)
        .bind(person)
        .bind(i64::from(rule.weekdays.bits()))
        .bind(start)
        .bind(end)
        .execute(&mut *tx)
        .await?;
    }
    let summary = format!(
        "created schedule {} ({}, {} rotation(s), {} rule(s))",
        naming.name,
        layers.time_zone.iana_name().unwrap_or("UTC"),
        layers.rotations.len(),
        layers.rules.len()
    );
    audit::record(
        tx,
        actor,
        now,
        Audit { action: "schedule.create", target_kind: "schedule", target_id: &id, summary },
    )
    .await?;
    if let Some((service, tier)) = serves {
        attach(tx, service, *tier, Some(&ScheduleId(id.clone()))).await?;
    }
    Ok(ScheduleId(id))
}

impl Store {
    /// Writes new schedules, and attaches them to the tiers of a service they serve, in one
    /// transaction: all of them or none.
    pub async fn create_schedules(
        &self,
        schedules: Vec<NewSchedule>,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Vec<Schedule>, StoreError> {
        let mut tx = self.writer.begin().await?;
        let mut ids = Vec::new();
        for new in &schedules {
            ids.push(insert_schedule(&mut tx, new, actor, now).await?);
        }
        let mut created = Vec::new();
        for id in &ids {
            created.push(load_one(&mut tx, id).await?);
        }
        tx.commit().await?;
        Ok(created)
    }

    pub async fn create_schedule(
        &self,
        naming: &ScheduleNaming,
        team_id: Option<&TeamId>,
        layers: &Layers,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Schedule, StoreError> {
        let new = NewSchedule {
            naming: naming.clone(),
            team_id: team_id.cloned(),
            layers: layers.clone(),
            serves: None,
        };
        self.create_schedules(vec![new], actor, now).await?.pop().ok_or(StoreError::NotFound("schedule"))
    }

    pub async fn get_schedule(&self, id: &ScheduleId) -> Result<Schedule, StoreError> {
        let mut conn = self.reader.acquire().await?;
        load_one(&mut conn, id).await
    }

    /// Schedules by name.
    pub async fn list_schedules(&self, page: Page) -> Result<Vec<Schedule>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        load(&mut conn, None, Some(page)).await
    }

    /// Every live schedule, for questions about everyone (who is on call anywhere, a person's shifts).
    pub async fn all_schedules(&self) -> Result<Vec<Schedule>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        load(&mut conn, None, None).await
    }

    /// Deletes a schedule and detaches it from the services it served.
    pub async fn delete_schedule(
        &self,
        id: &ScheduleId,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let schedule = load_one(&mut tx, id).await?;
        sqlx::query("UPDATE schedules SET deleted_at = $2, updated_at = $2 WHERE id = $1")
            .bind(id.as_str())
            .bind(rows::millis(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM service_schedules WHERE schedule_id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        let summary = format!("deleted schedule {}", schedule.name);
        audit::record(
            &mut tx,
            actor,
            now,
            Audit { action: "schedule.delete", target_kind: "schedule", target_id: id.as_str(), summary },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Gives a schedule to a team (`None`: to none): the team's reports (rotation sizing, the
    /// weekly hand-off) cover the schedules it owns.
    pub async fn set_schedule_team(
        &self,
        id: &ScheduleId,
        team: Option<&TeamId>,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Schedule, StoreError> {
        let mut tx = self.writer.begin().await?;
        let schedule = load_one(&mut tx, id).await?;
        if let Some(team) = team {
            crate::services::require_team(&mut tx, team).await?;
        }
        sqlx::query("UPDATE schedules SET team_id = $2, updated_at = $3 WHERE id = $1")
            .bind(id.as_str())
            .bind(team.map(TeamId::as_str))
            .bind(rows::millis(now))
            .execute(&mut *tx)
            .await?;
        let summary = match team {
            Some(team) => format!("gave schedule {} to team {team}", schedule.name),
            None => format!("took schedule {} from its team", schedule.name),
        };
        audit::record(
            &mut tx,
            actor,
            now,
            Audit { action: "schedule.team", target_kind: "schedule", target_id: id.as_str(), summary },
        )
        .await?;
        let changed = load_one(&mut tx, id).await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Adds an override after checking it against the schedule as it stands (see
    /// `Layers::check_override`).
    pub async fn add_override(
        &self,
        schedule: &ScheduleId,
        kind: OverrideKind,
        start: Timestamp,
        end: Timestamp,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Override, StoreError> {
        let mut tx = self.writer.begin().await?;
        let current = lock_schedule(&mut tx, schedule, now).await?;
        let created = insert_override(&mut tx, &current, kind, (start, end), actor, now).await?;
        tx.commit().await?;
        Ok(created)
    }

    pub async fn remove_override(
        &self,
        schedule: &ScheduleId,
        id: &OverrideId,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let removed = sqlx::query(
            "UPDATE schedule_overrides SET deleted_at = $3 WHERE id = $1 AND schedule_id = $2 AND deleted_at IS NULL",
        )
        .bind(id.as_str())
        .bind(schedule.as_str())
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
        if removed.rows_affected() == 0 {
            return Err(StoreError::NotFound("override"));
        }
        let summary = format!("removed override {id}");
        audit::record(
            &mut tx,
            actor,
            now,
            Audit {
                action: "schedule.override.delete",
                target_kind: "schedule",
                target_id: schedule.as_str(),
                summary,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Gives a rotation a new order of participants from its next shift on; shifts that have
    /// started keep the order they had.
    pub async fn set_rotation_participants(
        &self,
        schedule: &ScheduleId,
        rotation: &RotationId,
        participants: Vec<UserId>,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Schedule, StoreError> {
        let mut tx = self.writer.begin().await?;
        let current = load_one(&mut tx, schedule).await?;
        let mut changed = current
            .layers
            .rotations
            .iter()
            .find(|r| &r.id == rotation)
            .cloned()
            .ok_or(StoreError::NotFound("rotation"))?;
        let from_shift = changed.next_index(now);
        changed.reorder(from_shift, participants)?;
        for person in changed.orders.iter().flat_map(|o| o.participants.iter()) {
            require_active_user(&mut tx, "participants", person).await?;
        }
        sqlx::query("DELETE FROM rotation_orders WHERE rotation_id = $1 AND from_shift >= $2")
            .bind(rotation.as_str())
            .bind(from_shift)
            .execute(&mut *tx)
            .await?;
        let order = changed.orders.last().ok_or(StoreError::NotFound("rotation order"))?;
        insert_order(&mut tx, rotation.as_str(), order, rows::millis(now)).await?;
        let summary = format!(
            "reordered rotation {} of schedule {} from shift {from_shift}",
            changed.name, current.name
        );
        audit::record(
            &mut tx,
            actor,
            now,
            Audit {
                action: "schedule.rotation.reorder",
                target_kind: "schedule",
                target_id: schedule.as_str(),
                summary,
            },
        )
        .await?;
        let after = load_one(&mut tx, schedule).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Makes `schedule` serve `tier` of a service, or (with `None`) leaves the tier unserved.
    pub async fn set_service_schedule(
        &self,
        service: &ServiceId,
        tier: Tier,
        schedule: Option<&ScheduleId>,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let summary = attach(&mut tx, service, tier, schedule).await?;
        audit::record(
            &mut tx,
            actor,
            now,
            Audit {
                action: "service.schedule",
                target_kind: "service",
                target_id: service.as_str(),
                summary,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The services a schedule is on call for (in any tier), by name: id and name.
    pub async fn services_on_schedule(
        &self,
        schedule: &ScheduleId,
    ) -> Result<Vec<(ServiceId, String)>, StoreError> {
        let found: Vec<(String, String)> = sqlx::query_as(
            "SELECT DISTINCT s.id, s.name FROM services s JOIN service_schedules ss ON ss.service_id = s.id
             WHERE ss.schedule_id = $1 AND s.deleted_at IS NULL ORDER BY s.name, s.id",
        )
        .bind(schedule.as_str())
        .fetch_all(&self.reader)
        .await?;
        Ok(found.into_iter().map(|(id, name)| (ServiceId(id), name)).collect())
    }

    /// The schedule serving each tier of a service, primary first.
    pub async fn service_schedules(
        &self,
        service: &ServiceId,
    ) -> Result<Vec<(Tier, ScheduleId)>, StoreError> {
        #[derive(FromRow)]
        struct Row {
            tier: String,
            schedule_id: String,
        }
        let rows: Vec<Row> = sqlx::query_as::<Any, Row>(
            "SELECT tier, schedule_id FROM service_schedules WHERE service_id = $1",
        )
        .bind(service.as_str())
        .fetch_all(&self.reader)
        .await?;
        let mut tiers = rows
            .into_iter()
            .map(|row| Ok((rows::parsed::<Tier>("tier", &row.tier)?, ScheduleId(row.schedule_id))))
            .collect::<Result<Vec<_>, StoreError>>()?;
        tiers.sort_by_key(|(tier, _)| Tier::ALL.iter().position(|t| t == tier));
        Ok(tiers)
    }
}

/// Points a service's tier at a schedule (or at none); returns what changed, for the audit log.
async fn attach(
    tx: &mut AnyConnection,
    service: &ServiceId,
    tier: Tier,
    schedule: Option<&ScheduleId>,
) -> Result<String, StoreError> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT name FROM services WHERE id = $1 AND deleted_at IS NULL")
            .bind(service.as_str())
            .fetch_optional(&mut *tx)
            .await?;
    let service_name = found.ok_or(StoreError::NotFound("service"))?;
    sqlx::query("DELETE FROM service_schedules WHERE service_id = $1 AND tier = $2")
        .bind(service.as_str())
        .bind(tier.as_str())
        .execute(&mut *tx)
        .await?;
    let Some(schedule) = schedule else {
        return Ok(format!("{service_name}: no {} schedule", tier.as_str()));
    };
    let serving = load_one(tx, schedule)
        .await
        .map_err(|_| StoreError::from(Invalid::one("schedule_id", "is not a known schedule")))?;
    sqlx::query("INSERT INTO service_schedules (service_id, tier, schedule_id) VALUES ($1, $2, $3)")
        .bind(service.as_str())
        .bind(tier.as_str())
        .bind(schedule.as_str())
        .execute(&mut *tx)
        .await?;
    Ok(format!("{service_name}: {} on call from schedule {}", tier.as_str(), serving.name))
}

/// Loads a schedule for a change that depends on its current state. Updating the row first makes
/// concurrent changes of one schedule wait for each other (a row lock on PostgreSQL, the single
/// writer on SQLite), so two overrides cannot both pass the overlap check.
pub(crate) async fn lock_schedule(
    tx: &mut AnyConnection,
    schedule: &ScheduleId,
    now: Timestamp,
) -> Result<Schedule, StoreError> {
    let touched = sqlx::query("UPDATE schedules SET updated_at = $2 WHERE id = $1 AND deleted_at IS NULL")
        .bind(schedule.as_str())
        .bind(rows::millis(now))
        .execute(&mut *tx)
        .await?;
    if touched.rows_affected() == 0 {
        return Err(StoreError::NotFound("schedule"));
    }
    load_one(tx, schedule).await
}

/// Checks and writes one override of a locked schedule.
pub(crate) async fn insert_override(
    tx: &mut AnyConnection,
    current: &Schedule,
    kind: OverrideKind,
    (start, end): (Timestamp, Timestamp),
    actor: &Actor,
    now: Timestamp,
) -> Result<Override, StoreError> {
    let new = Override { id: OverrideId(new_id()), kind, start, end };
    current.layers.check_override(&new)?;
    let (kind, person, cover) = override_columns(&new.kind);
    require_active_user(tx, "person_id", person).await?;
    if let Some(cover) = cover {
        require_active_user(tx, "cover_id", cover).await?;
    }
    sqlx::query(
        "INSERT INTO schedule_overrides (id, schedule_id, kind, person_id, cover_id, starts_at, ends_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new.id.as_str())
    .bind(current.id.as_str())
    .bind(kind)
    .bind(person.as_str())
    .bind(cover.map(UserId::as_str))
    .bind(rows::millis(start))
    .bind(rows::millis(end))
    .bind(rows::millis(now))
    .execute(&mut *tx)
    .await?;
    let summary = format!("added a {kind} override to schedule {} from {start} until {end}", current.name);
    audit::record(
        tx,
        actor,
        now,
        Audit {
            action: "schedule.override.create",
            target_kind: "schedule",
            target_id: current.id.as_str(),
            summary,
        },
    )
    .await?;
    Ok(new)
}

async fn insert_order(
    conn: &mut AnyConnection,
    rotation: &str,
    order: &ParticipantOrder,
    at: i64,
) -> Result<(), StoreError> {
    let participants =
        serde_json::to_string(&order.participants).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query("INSERT INTO rotation_orders (rotation_id, from_shift, participants, created_at) VALUES ($1, $2, $3, $4)")
        .bind(rotation)
        .bind(order.from_shift)
        .bind(participants)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}
