-- On-call schedules: rotations (with their participant orders over time), rules, overrides, and
-- which schedule serves each tier of a service. Wall-clock values that belong to a time zone rather
-- than to an instant (a rotation's first hand-off, a rule's daily window) are ISO 8601 TEXT.

CREATE TABLE schedules (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    time_zone   TEXT NOT NULL,
    team_id     TEXT REFERENCES teams (id),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    deleted_at  BIGINT
);
CREATE UNIQUE INDEX schedules_live_name ON schedules (lower(name)) WHERE deleted_at IS NULL;

CREATE TABLE rotations (
    id          TEXT PRIMARY KEY,
    schedule_id TEXT NOT NULL REFERENCES schedules (id),
    position    BIGINT NOT NULL,
    name        TEXT NOT NULL,
    time_zone   TEXT NOT NULL,
    start_local TEXT NOT NULL,
    shift_unit  TEXT NOT NULL CHECK (shift_unit IN ('hours', 'days', 'weeks')),
    shift_count BIGINT NOT NULL
);
CREATE INDEX rotations_schedule ON rotations (schedule_id);

CREATE TABLE rotation_orders (
    rotation_id  TEXT NOT NULL REFERENCES rotations (id),
    from_shift   BIGINT NOT NULL,
    participants TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (rotation_id, from_shift)
);

CREATE TABLE schedule_rules (
    schedule_id TEXT NOT NULL REFERENCES schedules (id),
    position    BIGINT NOT NULL,
    rotation_id TEXT REFERENCES rotations (id),
    user_id     TEXT REFERENCES users (id),
    weekdays    BIGINT NOT NULL,
    start_local TEXT,
    end_local   TEXT,
    PRIMARY KEY (schedule_id, position)
);

CREATE TABLE schedule_overrides (
    id          TEXT PRIMARY KEY,
    schedule_id TEXT NOT NULL REFERENCES schedules (id),
    kind        TEXT NOT NULL CHECK (kind IN ('add', 'remove', 'replace')),
    person_id   TEXT NOT NULL REFERENCES users (id),
    cover_id    TEXT REFERENCES users (id),
    starts_at   BIGINT NOT NULL,
    ends_at     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    deleted_at  BIGINT
);
CREATE INDEX schedule_overrides_schedule ON schedule_overrides (schedule_id, starts_at);

CREATE TABLE service_schedules (
    service_id  TEXT NOT NULL REFERENCES services (id),
    tier        TEXT NOT NULL CHECK (tier IN ('primary', 'secondary', 'tickets')),
    schedule_id TEXT NOT NULL REFERENCES schedules (id),
    PRIMARY KEY (service_id, tier)
);
